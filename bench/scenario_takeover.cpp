// Takeover throughput: the fairer split of the throughput scenario. 1,000 pods, Running with an IP
// and annotated, wait while the bench itself holds the operator's Lease; the operator starts as a
// standby and fills its caches. Then the bench lets the Lease go, and the time runs from the
// moment the operator holds it (seen on a watch of the Lease) to the last Service and slice. The
// window holds only the operator's own writes, as the write floor's does.
//
//   takeover --phase=prepare  hold the Lease, create the pods (before the operator starts)
//   takeover --phase=measure  release the Lease and time the new leader's work
#include <atomic>
#include <optional>

#include "common.hpp"
#include "hso/kube/errors.hpp"
#include "hso/kube/request_path.hpp"
#include "scenarios.hpp"

namespace bench {
namespace {

constexpr const char* kBenchHolder = "hso-bench-holder";

std::string lease_path(const std::string& lease_namespace, const std::string& name) {
  return hso::kube::object_path(hso::kube::kLeases, lease_namespace, name);
}

// Sets the Lease's holder (creating the Lease if it is not there).
void set_lease_holder(hso::kube::ApiClient& client, const std::string& lease_namespace,
                      const std::string& name, const std::string& holder, int duration_seconds) {
  const json spec = {{"holderIdentity", holder}, {"leaseDurationSeconds", duration_seconds}};
  try {
    json lease = client.get(lease_path(lease_namespace, name));
    lease["spec"].update(spec);
    client.update(lease_path(lease_namespace, name), lease);
  } catch (const hso::kube::ApiError& error) {
    if (!error.is_not_found())
      throw;
    client.create(hso::kube::collection_path(hso::kube::kLeases, lease_namespace),
                  {{"apiVersion", "coordination.k8s.io/v1"},
                   {"kind", "Lease"},
                   {"metadata", {{"name", name}, {"namespace", lease_namespace}}},
                   {"spec", spec}});
  }
}

void prepare(hso::kube::ApiClient& client, const std::string& ns, long pods, int threads,
             const std::string& lease_namespace, const std::string& lease_name) {
  set_lease_holder(client, lease_namespace, lease_name, kBenchHolder, 3600);
  parallel_for(pods, threads, [&](long i) {
    const std::string name = pod_name("to", i);
    client.create(pods_path(ns), pod_body(ns, name, true));
    client.patch(pod_path(ns, name) + "/status", hso::kube::PatchType::kMerge,
                 status_patch(pod_ip(i, 3)));
  });
  print_json({{"scenario", "takeover"}, {"phase", "prepare"}, {"namespace", ns}, {"pods", pods}});
}

void measure(hso::kube::ApiClient& client, const std::string& ns, long pods,
             const std::string& lease_namespace, const std::string& lease_name,
             std::chrono::seconds deadline) {
  NamespaceObserver observer(client, ns);
  observer.remove_sentinels();
  std::mutex mutex;
  std::optional<Clock::time_point> taken;
  std::string taker;
  Watcher lease_watch(
      client, hso::kube::collection_path(hso::kube::kLeases, lease_namespace),
      [&](hso::kube::WatchEvent::Type, const json& lease, Clock::time_point when) {
        const std::string holder =
            lease.value("spec", json::object()).value("holderIdentity", std::string());
        std::lock_guard lock(mutex);
        if (name_of(lease) == lease_name && !taken && !holder.empty() && holder != kBenchHolder) {
          taken = when;
          taker = holder;
        }
      });
  // Released as a leader hands over on shutdown: no holder, a one-second lease.
  set_lease_holder(client, lease_namespace, lease_name, "", 1);
  wait_until("the operator to take the Lease", deadline, [&] {
    std::lock_guard lock(mutex);
    return taken.has_value();
  });
  wait_until("every Service and EndpointSlice", deadline, [&] {
    return observer.services().size() >= static_cast<std::size_t>(pods) + 1 &&
           observer.addresses().size() >= static_cast<std::size_t>(pods) + 1;
  });
  Clock::time_point last = *taken;
  for (long i = 0; i < pods; ++i) {
    const auto service = observer.services().at(pod_name("to", i));
    const auto slice = observer.addresses().at(pod_ip(i, 3));
    if (!service || !slice)
      throw std::runtime_error("pod " + pod_name("to", i) + " lacks its Service or slice");
    last = std::max({last, *service, *slice});
  }
  const double seconds = millis_between(*taken, last) / 1000;
  print_json({{"scenario", "takeover"},
              {"namespace", ns},
              {"pods", pods},
              {"leader", taker},
              {"seconds", seconds},
              {"pods_per_second", pods / seconds}});
}

}  // namespace

int run_takeover(Args& args) {
  const std::string phase = args.text("phase");
  const std::string ns = args.text("namespace");
  const long pods = args.integer("pods", 1000);
  const int threads = static_cast<int>(args.integer("threads", 16));
  const std::string lease_namespace = args.text("lease-namespace");
  const std::string lease_name = args.text("lease-name", "k8s-pod-headless-service-operator");
  const auto deadline = std::chrono::seconds(args.integer("timeout", 600));
  args.finish();
  auto client = make_client(static_cast<std::size_t>(threads) + 4);
  if (phase == "prepare") {
    prepare(*client, ns, pods, threads, lease_namespace, lease_name);
  } else if (phase == "measure") {
    measure(*client, ns, pods, lease_namespace, lease_name, deadline);
  } else {
    throw std::invalid_argument("--phase must be prepare or measure");
  }
  return 0;
}

}  // namespace bench
