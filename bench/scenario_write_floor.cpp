// The floor: the creates the operator makes for `count` pods (a Service, an Event and an
// EndpointSlice each), made by a plain loop with the project's client at full speed, with as many
// requests in flight as the operator has workers. No pods: nothing else reacts to these objects.
#include "common.hpp"
#include "hso/kube/request_path.hpp"
#include "scenarios.hpp"

namespace bench {

int run_write_floor(Args& args) {
  const std::string ns = args.text("namespace");
  const long count = args.integer("count", 1000);
  const int threads = static_cast<int>(args.integer("threads", 4));
  args.finish();

  auto client = make_client(static_cast<std::size_t>(threads) + 2);
  const auto started = Clock::now();
  parallel_for(count, threads, [&](long i) {
    const std::string name = pod_name("fl", i);
    const json service =
        client->create(hso::kube::collection_path(hso::kube::kServices, ns),
                       {{"apiVersion", "v1"},
                        {"kind", "Service"},
                        {"metadata", {{"name", name}, {"labels", {{"hso-bench/floor", "true"}}}}},
                        {"spec", {{"clusterIP", "None"}, {"publishNotReadyAddresses", true}}}});
    client->create(hso::kube::collection_path(hso::kube::kEvents, ns),
                   {{"apiVersion", "events.k8s.io/v1"},
                    {"kind", "Event"},
                    {"metadata", {{"name", name + ".floor"}}},
                    {"eventTime", "2026-01-01T00:00:00.000000Z"},
                    {"type", "Normal"},
                    {"reason", "ServiceCreated"},
                    {"action", "Create"},
                    {"note", "Created headless Service \"" + name + "\""},
                    {"reportingController", "hso-bench"},
                    {"reportingInstance", "hso-bench"},
                    {"regarding",
                     {{"apiVersion", "v1"}, {"kind", "Pod"}, {"namespace", ns}, {"name", name}}}});
    client->create(hso::kube::collection_path(hso::kube::kEndpointSlices, ns),
                   {{"apiVersion", "discovery.k8s.io/v1"},
                    {"kind", "EndpointSlice"},
                    {"metadata",
                     {{"name", name + "-ipv4"},
                      {"labels", {{"kubernetes.io/service-name", name}}},
                      {"ownerReferences",
                       {{{"apiVersion", "v1"},
                         {"kind", "Service"},
                         {"name", name},
                         {"uid", service["metadata"]["uid"]},
                         {"controller", true}}}}}},
                    {"addressType", "IPv4"},
                    {"endpoints",
                     {{{"addresses", {pod_ip(i, 5)}},
                       {"conditions", {{"ready", true}, {"serving", true}, {"terminating", false}}},
                       {"hostname", name},
                       {"targetRef", {{"kind", "Pod"}, {"name", name}, {"namespace", ns}}}}}}});
  });
  const double seconds = seconds_since(started);
  print_json({{"scenario", "write_floor"},
              {"namespace", ns},
              {"count", count},
              {"threads", threads},
              {"creates", count * 3},
              {"seconds", seconds},
              {"creates_per_second", count * 3 / seconds}});
  return 0;
}

}  // namespace bench
