// Writes per pod: `pods` annotated pods live a whole life (created, get an IP, the IP changes once,
// deleted: terminating first, held by a finalizer as a kubelet would hold it, then gone). After
// each step the API server's own request counters are read once everything has settled, and the
// writes to Services, EndpointSlices, Endpoints and Events are reported by resource, verb and
// code, next to the operator's own count of its requests.
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <utility>

#include "common.hpp"
#include "scenarios.hpp"

namespace bench {

double total(const std::map<std::string, double>& writes) {
  double sum = 0;
  for (const auto& [key, value] : writes)
    sum += value;
  return sum;
}

json operator_requests(const Counters& delta) {
  json result = json::object();
  for (const auto& [series, value] : delta) {
    if (series.rfind("headless_service_operator_api_requests_total", 0) != 0)
      continue;
    result[label_of(series, "resource") + " " + label_of(series, "verb") + " " +
           label_of(series, "code")] = value;
  }
  return result;
}

std::map<std::string, double> operator_writes(const Counters& counters) {
  std::map<std::string, double> writes;
  for (const auto& [series, value] : counters) {
    const std::string verb = label_of(series, "verb");
    if (series.rfind("headless_service_operator_api_requests_total", 0) == 0 &&
        label_of(series, "resource") != "leases" &&
        (verb == "create" || verb == "update" || verb == "patch" || verb == "delete")) {
      writes[series] = value;
    }
  }
  return writes;
}

void settle(hso::kube::HttpApiClient& client, const std::string& operator_metrics,
            std::chrono::milliseconds quiet, std::chrono::seconds deadline, bool whole_server) {
  // What must stand still: every writer's writes to the resources (the API server's counters),
  // or only the operator's (other controllers, such as kube-controller-manager deleting the
  // Endpoints of thousands of deleted Services at its own pace, may go on for minutes).
  const auto writes_now = [&] {
    std::map<std::string, double> writes;
    if (whole_server)
      writes = apiserver_writes(scrape_apiserver(client));
    if (!operator_metrics.empty())
      writes.merge(operator_writes(scrape_operator(operator_metrics)));
    return writes;
  };
  auto last = writes_now();
  auto since = Clock::now();
  wait_until("the writes to settle", deadline, [&] {
    if (!operator_metrics.empty()) {
      const Counters op = scrape_operator(operator_metrics);
      const auto depth = op.find("headless_service_operator_workqueue_depth");
      if (depth != op.end() && depth->second != 0) {
        since = Clock::now();
        return false;
      }
    }
    auto now = writes_now();
    if (now != last) {
      last = std::move(now);
      since = Clock::now();
      return false;
    }
    // An observation window: nothing written for `quiet`.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return Clock::now() - since >= quiet;
  });
}

// The design's minimum for one pod's life, as the operator's own request counter sees it (its
// successful writes): the Service created, its Event created, the EndpointSlice created, patched
// for the new IP and patched again when the pod starts terminating (terminating=true). A deleted
// object is deleted once, by the operator or by the garbage collector (the Service is owned by
// its pod, the slice by its Service), so the operator makes at most one delete of each.
int check_minimum(const json& requests, long pods) {
  const std::map<std::string, double> exact{{"services create", 1},
                                            {"events create", 1},
                                            {"endpointslices create", 1},
                                            {"endpointslices patch", 2}};
  std::map<std::string, double> writes;
  for (const auto& [key, value] : requests.items()) {
    const std::string resource = key.substr(0, key.find(' '));
    const std::string verb = key.substr(key.find(' ') + 1, key.rfind(' ') - key.find(' ') - 1);
    if (verb == "get" || verb == "list" || verb == "watch" ||
        (resource != "services" && resource != "endpointslices" && resource != "endpoints" &&
         resource != "events"))
      continue;
    const std::string code = key.substr(key.rfind(' ') + 1);
    if (code.front() != '2') {
      // A delete that lost the race with the garbage collector (404), a patch from a cache one
      // event behind (409): wasted, reported, but not a second write of anything.
      std::cerr << "lifecycle: note: failed write attempts: " << key << " x" << value << "\n";
      continue;
    }
    writes[key.substr(0, key.rfind(' '))] += value.get<double>();
  }
  int failures = 0;
  for (const auto& [what, per_pod] : exact) {
    if (writes[what] != per_pod * pods) {
      std::cerr << "lifecycle: " << what << ": " << writes[what] << ", expected " << per_pod * pods
                << "\n";
      ++failures;
    }
  }
  for (const auto& [what, count] : writes) {
    const bool delete_race = (what == "endpointslices delete" || what == "services delete") &&
                             count <= static_cast<double>(pods);
    if (!exact.contains(what) && !delete_race) {
      std::cerr << "lifecycle: unexpected writes: " << what << " x" << count << "\n";
      ++failures;
    }
  }
  return failures == 0 ? 0 : 1;
}

// The steps of the pods' life, each measured by the API server's counters and the operator's.
class LifeSteps {
 public:
  struct Settings {
    std::string operator_metrics;
    long pods = 0;
    int threads = 1;
    std::chrono::milliseconds quiet{0};
    std::chrono::seconds deadline{0};
  };

  LifeSteps(hso::kube::HttpApiClient& client, Settings settings)
      : client_(client), settings_(std::move(settings)) {}

  // Runs `act` for every pod, waits for `done`, then for the writes to settle, and records what
  // the step wrote.
  void run(const std::string& name, const std::function<void(long)>& act,
           const std::function<bool()>& done) {
    const Counters before = scrape_apiserver(client_);
    const Counters op_before = operator_counters();
    const auto started = Clock::now();
    parallel_for(settings_.pods, settings_.threads, act);
    wait_until(name, settings_.deadline, done);
    const double seconds = seconds_since(started);
    settle(client_, settings_.operator_metrics, settings_.quiet, settings_.deadline, true);
    const auto writes = apiserver_writes(difference(before, scrape_apiserver(client_)));
    const json op = settings_.operator_metrics.empty()
                        ? json::object()
                        : operator_requests(difference(op_before, operator_counters()));
    for (const auto& [key, value] : writes)
      all_writes_[key] += value;
    for (const auto& [key, value] : op.items())
      all_operator_[key] = all_operator_.value(key, 0.0) + value.get<double>();
    steps_.push_back({{"step", name},
                      {"seconds", seconds},
                      {"apiserver_writes", writes},
                      {"apiserver_writes_per_pod", total(writes) / settings_.pods},
                      {"operator_requests", op}});
  }

  json result(const std::string& ns) const {
    double successful = 0;
    for (const auto& [key, value] : all_writes_) {
      if (key.back() != ' ' && key.substr(key.rfind(' ') + 1).front() == '2')
        successful += value;
    }
    const auto pods = settings_.pods;
    return {{"scenario", "lifecycle"},
            {"namespace", ns},
            {"pods", pods},
            {"steps", steps_},
            {"apiserver_writes", all_writes_},
            {"apiserver_writes_per_pod", total(all_writes_) / pods},
            {"apiserver_successful_writes_per_pod", successful / pods},
            {"operator_requests", all_operator_}};
  }

  const json& operator_totals() const { return all_operator_; }

 private:
  Counters operator_counters() const {
    return settings_.operator_metrics.empty() ? Counters{}
                                              : scrape_operator(settings_.operator_metrics);
  }

  hso::kube::HttpApiClient& client_;
  const Settings settings_;
  json steps_ = json::array();
  std::map<std::string, double> all_writes_;
  json all_operator_ = json::object();
};

// A whole life for every pod: created, an IP, a new IP, terminating, gone.
void live(LifeSteps& steps, hso::kube::HttpApiClient& client, NamespaceObserver& observer,
          const std::string& ns, long pods) {
  const auto count_is = [](FirstSeen& seen, long expected) {
    return [&seen, expected] { return seen.size() >= static_cast<std::size_t>(expected); };
  };
  steps.run(
      "create",
      [&](long i) {
        json pod = pod_body(ns, pod_name("lc", i), true);
        pod["metadata"]["finalizers"] = {kHoldFinalizer};
        // Bound to a node that does not exist: kube-controller-manager's pod garbage collector
        // fails and deletes terminating pods that are not bound at its next pass (every 20 s),
        // which would race the bench's own deletion; orphans of a missing node it leaves alone
        // for 40 s, longer than a life here takes.
        pod["spec"]["nodeName"] = kAbsentNode;
        client.create(pods_path(ns), pod);
      },
      count_is(observer.services(), pods + 1));
  const auto set_ip = [&](long i, int generation) {
    client.patch(pod_path(ns, pod_name("lc", i)) + "/status", hso::kube::PatchType::kMerge,
                 status_patch(pod_ip(i, generation)));
  };
  steps.run(
      "ip", [&](long i) { set_ip(i, 0); }, count_is(observer.addresses(), pods + 1));
  steps.run(
      "ip-change", [&](long i) { set_ip(i, 1); }, count_is(observer.addresses(), 2 * pods + 1));
  steps.run(
      "terminating", [&](long i) { client.remove(pod_path(ns, pod_name("lc", i))); },
      count_is(observer.terminating(), pods));
  steps.run(
      "deleted",
      [&](long i) {
        client.patch(pod_path(ns, pod_name("lc", i)), hso::kube::PatchType::kMerge,
                     {{"metadata", {{"finalizers", nullptr}}}});
      },
      [&] {
        return observer.deleted_services().size() >= static_cast<std::size_t>(pods) + 1 &&
               observer.deleted_slices().size() >= static_cast<std::size_t>(pods) + 1;
      });
}

int run_lifecycle(Args& args) {
  const std::string ns = args.text("namespace");
  LifeSteps::Settings settings;
  settings.pods = args.integer("pods", 100);
  settings.threads = static_cast<int>(args.integer("threads", 8));
  settings.operator_metrics = args.text("operator-metrics");
  settings.quiet = std::chrono::milliseconds(args.integer("quiet-ms", 2000));
  settings.deadline = std::chrono::seconds(args.integer("timeout", 300));
  // Fail unless the operator's own writes are the design's minimum (for the smoke test).
  const bool check = args.text("check", "false") == "true";
  args.finish();

  auto client = make_client(static_cast<std::size_t>(settings.threads) + 4);
  NamespaceObserver observer(*client, ns);
  observer.remove_sentinels();
  settle(*client, settings.operator_metrics, settings.quiet, settings.deadline, true);

  const long pods = settings.pods;
  LifeSteps steps(*client, std::move(settings));
  live(steps, *client, observer, ns, pods);
  print_json(steps.result(ns));
  return check ? check_minimum(steps.operator_totals(), pods) : 0;
}

}  // namespace bench
