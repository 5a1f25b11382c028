// The floor: the creates the operator makes for `count` pods (a Service, an Event and an
// EndpointSlice each), made by a plain loop with the project's client at full speed, with as many
// requests in flight as the operator has workers. No pods: nothing else reacts to these objects.
//
// --patch-pods=N makes it the like-for-like floor of the throughput scenario, whose measured
// window also holds the driver's own N annotation patches of 4 KB pods (16 in flight): N such
// pods are made first, and the timed window patches each of them (an annotation the operator
// does not read, so it writes nothing for them) beside the creates, and ends when both are done.
#include <exception>
#include <thread>

#include "common.hpp"
#include "hso/kube/request_path.hpp"
#include "scenarios.hpp"

namespace bench {
namespace {

void create_floor_objects(hso::kube::ApiClient& client, const std::string& ns, long i) {
  const std::string name = pod_name("fl", i);
  const json service =
      client.create(hso::kube::collection_path(hso::kube::kServices, ns),
                    {{"apiVersion", "v1"},
                     {"kind", "Service"},
                     {"metadata", {{"name", name}, {"labels", {{"hso-bench/floor", "true"}}}}},
                     {"spec", {{"clusterIP", "None"}, {"publishNotReadyAddresses", true}}}});
  client.create(
      hso::kube::collection_path(hso::kube::kEvents, ns),
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
       {"regarding", {{"apiVersion", "v1"}, {"kind", "Pod"}, {"namespace", ns}, {"name", name}}}});
  client.create(hso::kube::collection_path(hso::kube::kEndpointSlices, ns),
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
}

// Running pods with an IP, as the throughput scenario has them before its window.
void make_patched_pods(hso::kube::ApiClient& client, const std::string& ns, long pods) {
  parallel_for(pods, 16, [&](long i) {
    const std::string name = pod_name("fp", i);
    client.create(pods_path(ns), pod_body(ns, name, false));
    client.patch(pod_path(ns, name) + "/status", hso::kube::PatchType::kMerge,
                 status_patch(pod_ip(i, 6)));
  });
}

// The throughput scenario's annotation patches, of an annotation the operator does not read.
std::jthread patch_pods_beside(hso::kube::ApiClient& client, const std::string& ns, long pods,
                               std::exception_ptr& failure) {
  return std::jthread([&client, ns, pods, &failure] {
    const json touch = {{"metadata", {{"annotations", {{"hso-bench/touched", "true"}}}}}};
    try {
      parallel_for(pods, 16, [&](long i) {
        client.patch(pod_path(ns, pod_name("fp", i)), hso::kube::PatchType::kMerge, touch);
      });
    } catch (...) {
      failure = std::current_exception();
    }
  });
}

}  // namespace

int run_write_floor(Args& args) {
  const std::string ns = args.text("namespace");
  const long count = args.integer("count", 1000);
  const int threads = static_cast<int>(args.integer("threads", 4));
  const long patch_pods = args.integer("patch-pods", 0);
  args.finish();

  auto client = make_client(static_cast<std::size_t>(threads) + 16 + 2);
  if (patch_pods > 0)
    make_patched_pods(*client, ns, patch_pods);
  std::exception_ptr patch_failure;
  const auto started = Clock::now();
  {
    std::jthread patcher;
    if (patch_pods > 0)
      patcher = patch_pods_beside(*client, ns, patch_pods, patch_failure);
    parallel_for(count, threads, [&](long i) { create_floor_objects(*client, ns, i); });
  }
  const double seconds = seconds_since(started);
  if (patch_failure)
    std::rethrow_exception(patch_failure);
  print_json({{"scenario", "write_floor"},
              {"namespace", ns},
              {"count", count},
              {"threads", threads},
              {"creates", count * 3},
              {"patched_pods", patch_pods},
              {"seconds", seconds},
              {"creates_per_second", count * 3 / seconds}});
  return 0;
}

}  // namespace bench
