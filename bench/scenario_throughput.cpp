// Throughput: pods that already run with an IP all ask for a Service at once (their annotation is
// set as fast as the API server takes it); the time until every one has its Service and an
// EndpointSlice with its IP.
#include "common.hpp"
#include "scenarios.hpp"

namespace bench {

int run_throughput(Args& args) {
  const std::string ns = args.text("namespace");
  const long pods = args.integer("pods", 1000);
  const int threads = static_cast<int>(args.integer("threads", 16));
  const auto deadline = std::chrono::seconds(args.integer("timeout", 600));
  args.finish();

  auto client = make_client(static_cast<std::size_t>(threads) + 4);
  parallel_for(pods, threads, [&](long i) {
    const std::string name = pod_name("tp", i);
    client->create(pods_path(ns), pod_body(ns, name, false));
    client->patch(pod_path(ns, name) + "/status", hso::kube::PatchType::kMerge,
                  status_patch(pod_ip(i, 2)));
  });
  NamespaceObserver observer(*client, ns);
  observer.remove_sentinels();

  const json annotate = {{"metadata", {{"annotations", {{kAnnotation, "true"}}}}}};
  const auto started = Clock::now();
  parallel_for(pods, threads, [&](long i) {
    client->patch(pod_path(ns, pod_name("tp", i)), hso::kube::PatchType::kMerge, annotate);
  });
  const double annotate_seconds = seconds_since(started);
  // The sentinels are in both sets.
  wait_until("every Service and EndpointSlice", deadline, [&] {
    return observer.services().size() >= static_cast<std::size_t>(pods) + 1 &&
           observer.addresses().size() >= static_cast<std::size_t>(pods) + 1;
  });
  Clock::time_point last = started;
  for (long i = 0; i < pods; ++i) {
    const auto service = observer.services().at(pod_name("tp", i));
    const auto slice = observer.addresses().at(pod_ip(i, 2));
    if (!service || !slice)
      throw std::runtime_error("pod " + pod_name("tp", i) + " lacks its Service or slice");
    last = std::max({last, *service, *slice});
  }
  const double seconds = millis_between(started, last) / 1000;
  print_json({{"scenario", "throughput"},
              {"namespace", ns},
              {"pods", pods},
              {"annotate_seconds", annotate_seconds},
              {"seconds", seconds},
              {"pods_per_second", pods / seconds}});
  return 0;
}

}  // namespace bench
