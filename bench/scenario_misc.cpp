// Helpers of bench/run.sh: fill a namespace with pods, time a full list, watch an operator start,
// snapshot and compare the API server's counters, wait until an operator has settled.
#include <httplib.h>
#include <time.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "common.hpp"
#include "scenarios.hpp"

namespace bench {

void settle(hso::kube::HttpApiClient& client, const std::string& operator_metrics,
            std::chrono::milliseconds quiet, std::chrono::seconds deadline, bool whole_server);
double total(const std::map<std::string, double>& writes);

int run_populate(Args& args) {
  const std::string ns = args.text("namespace");
  const long pods = args.integer("pods", 1000);
  const long annotated = args.integer("annotated", 0);
  const int threads = static_cast<int>(args.integer("threads", 16));
  const std::string prefix = args.text("prefix", "pop");
  // --status=true: every pod gets its IP and Ready status; annotated: only the annotated ones
  // (half the writes for the others, which the operator never looks at: make bench-scale).
  const std::string status = args.text("status", "true");
  // --subdomain=S: every pod sets spec.subdomain (bench/records.sh).
  const std::string subdomain = args.text("subdomain", "");
  if (status != "true" && status != "false" && status != "annotated")
    throw std::invalid_argument("--status must be true, false or annotated, not " + status);
  args.finish();
  auto client = make_client(static_cast<std::size_t>(threads) + 2);
  const auto started = Clock::now();
  parallel_for(pods, threads, [&](long i) {
    const std::string name = pod_name(prefix, i);
    json pod = pod_body(ns, name, i < annotated);
    if (!subdomain.empty())
      pod["spec"]["subdomain"] = subdomain;
    client->create(pods_path(ns), pod);
    if (status == "true" || (status == "annotated" && i < annotated)) {
      client->patch(pod_path(ns, name) + "/status", hso::kube::PatchType::kMerge,
                    status_patch(pod_ip(i, 3)));
    }
  });
  const double seconds = seconds_since(started);
  const long status_writes =
      status == "true" ? pods : (status == "annotated" ? std::min(annotated, pods) : 0);
  print_json({{"scenario", "populate"},
              {"namespace", ns},
              {"pods", pods},
              {"annotated", annotated},
              {"status", status},
              {"seconds", seconds},
              {"writes_per_second", static_cast<double>(pods + status_writes) / seconds}});
  return 0;
}

// How long this API server takes to answer a full paged list (what an informer does at start).
int run_list(Args& args) {
  const std::string path = args.text("path", "/api/v1/pods");
  const long repeat = args.integer("repeat", 5);
  const long page = args.integer("page", 500);
  args.finish();
  auto client = make_client(2);
  std::vector<double> seconds;
  std::size_t items = 0;
  for (long r = 0; r < repeat; ++r) {
    hso::kube::ListOptions options;
    options.limit = page;
    items = 0;
    const auto started = Clock::now();
    do {
      auto result = client->list(path, options);
      items += result.items.size();
      options.continue_token = result.continue_token;
    } while (!options.continue_token.empty());
    seconds.push_back(seconds_since(started));
  }
  print_json({{"scenario", "list"},
              {"path", path},
              {"items", items},
              {"seconds", summarize(seconds).to_json()}});
  return 0;
}

namespace {

long status_kib(int pid, const std::string& field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0)
      return std::stol(line.substr(field.size() + 1));
  }
  return -1;
}

// Seconds since the process started (clock ticks since boot in /proc/<pid>/stat, field 22).
double process_age(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  std::getline(stat, text);
  std::istringstream rest(text.substr(text.rfind(')') + 2));
  std::string field;
  for (int i = 3; i <= 22; ++i)
    rest >> field;
  timespec now{};
  clock_gettime(CLOCK_BOOTTIME, &now);
  return static_cast<double>(now.tv_sec) + now.tv_nsec / 1e9 -
         std::stod(field) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace

// Follows an operator from its start to /readyz: resident set at the first look, its peak, and
// the time to ready.
int run_startup(Args& args) {
  const int pid = static_cast<int>(args.integer("pid", 0));
  const std::string probes = args.text("probes");
  const auto deadline = std::chrono::seconds(args.integer("timeout", 120));
  args.finish();
  const auto colon = probes.rfind(':');
  httplib::Client probe(probes.substr(0, colon), std::stoi(probes.substr(colon + 1)));
  probe.set_connection_timeout(0, 200'000);
  const double age_at_first_look = process_age(pid);
  const long first_rss = status_kib(pid, "VmRSS");
  long max_rss = first_rss;
  auto next_probe = Clock::now();
  double ready_after = -1;
  const auto end = Clock::now() + deadline;
  while (Clock::now() < end) {
    const long rss = status_kib(pid, "VmRSS");
    if (rss < 0)
      throw std::runtime_error("the operator exited before it was ready");
    max_rss = std::max(max_rss, rss);
    if (Clock::now() >= next_probe) {
      next_probe = Clock::now() + std::chrono::milliseconds(5);
      const auto response = probe.Get("/readyz");
      if (response && response->status == 200) {
        ready_after = process_age(pid);
        break;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (ready_after < 0)
    throw std::runtime_error("the operator was not ready in time");
  print_json({{"scenario", "startup"},
              {"ready_seconds", ready_after},
              {"first_look_seconds", age_at_first_look},
              {"rss_first_kib", first_rss},
              {"rss_max_sampled_kib", max_rss},
              {"rss_at_ready_kib", status_kib(pid, "VmRSS")},
              {"hwm_at_ready_kib", status_kib(pid, "VmHWM")}});
  return 0;
}

// The API server's request counters, for a later `diff`.
int run_snapshot(Args& args) {
  args.finish();
  auto client = make_client(2);
  print_json(scrape_apiserver(*client));
  return 0;
}

// Writes between two snapshots (files): to Services, EndpointSlices and Events; to Endpoints
// (apart); to Leases.
int run_diff(Args& args) {
  const std::string before_file = args.text("before");
  const std::string after_file = args.text("after");
  args.finish();
  const auto load = [](const std::string& file) {
    std::ifstream in(file);
    return json::parse(in).get<Counters>();
  };
  const Counters delta = difference(load(before_file), load(after_file));
  // The operator writes no Endpoints unless --legacy-endpoints (the bench does not set it);
  // kube-controller-manager's endpoints controller deletes the Endpoints of every deleted Service
  // (404 for selector-less ones) at its own pace, minutes after a big clean-up: counted apart.
  auto writes = apiserver_writes(delta);
  std::map<std::string, double> endpoints;
  for (auto it = writes.begin(); it != writes.end();) {
    if (it->first.rfind("endpoints ", 0) == 0) {
      endpoints.insert(*it);
      it = writes.erase(it);
    } else {
      ++it;
    }
  }
  double leases = 0;
  for (const auto& [series, value] : delta) {
    const std::string verb = label_of(series, "verb");
    if (label_of(series, "resource") == "leases" && verb != "GET" && verb != "LIST" &&
        verb != "WATCH")
      leases += value;
  }
  print_json({{"writes", writes},
              {"total", total(writes)},
              {"lease_writes", leases},
              {"endpoints_writes_by_others", endpoints}});
  return 0;
}

// Waits until the operator has finished at least `reconciles` reconciles, its queue is empty and
// it has written nothing for `quiet-ms` (with --whole-server=true: nobody has written to
// Services, EndpointSlices, Endpoints or Events).
int run_wait_settled(Args& args) {
  const std::string operator_metrics = args.text("operator-metrics");
  const double reconciles = args.number("reconciles", 0);
  const auto quiet = std::chrono::milliseconds(args.integer("quiet-ms", 2000));
  const auto deadline = std::chrono::seconds(args.integer("timeout", 300));
  const bool whole_server = args.text("whole-server", "false") == "true";
  args.finish();
  auto client = make_client(2);
  const auto started = Clock::now();
  wait_until("the operator's reconciles", deadline, [&] {
    double done = 0;
    for (const auto& [series, value] : scrape_operator(operator_metrics)) {
      if (series.rfind("headless_service_operator_reconciles_total", 0) == 0)
        done += value;
    }
    if (done >= reconciles)
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return false;
  });
  const double reconciled_seconds = seconds_since(started);
  settle(*client, operator_metrics, quiet, deadline, whole_server);
  print_json({{"scenario", "wait_settled"}, {"reconciled_seconds", reconciled_seconds}});
  return 0;
}

}  // namespace bench
