#pragma once

// Shared pieces of the benchmark scenarios: arguments, the API client, the bench's pods, a watcher
// that timestamps what it sees, counters scraped from /metrics, and summaries. Every time is read
// from one monotonic clock (std::chrono::steady_clock) in one process.

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "hso/kube/http_api_client.hpp"
#include "hso/util/mutex.hpp"

namespace bench {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

double seconds_since(Clock::time_point start);
double millis_between(Clock::time_point from, Clock::time_point to);

// --name=value arguments; a scenario reads the ones it knows and rejects the rest.
class Args {
 public:
  Args(int argc, char** argv);
  std::string text(const std::string& name, const std::string& fallback = "");
  long integer(const std::string& name, long fallback);
  double number(const std::string& name, double fallback);
  // Throws naming any argument that no accessor asked for.
  void finish() const;

 private:
  std::map<std::string, std::string> values_;
  std::map<std::string, bool> used_;
};

// A client for KUBECONFIG with no client-side rate limit and room for `connections` requests at
// once.
std::unique_ptr<hso::kube::HttpApiClient> make_client(std::size_t connections = 16);

// The bench's pods are never scheduled (a schedulerName nobody serves), so neither the scheduler
// nor kwok writes to them: the driver alone sets their status, and the answer to its status patch
// is the API server's acknowledgement of the IP.
inline constexpr const char* kAnnotation = "srcd.host/create-headless-service";
std::string pod_name(const std::string& prefix, long index);
json pod_body(const std::string& namespace_name, const std::string& name, bool annotated);
// A finalizer the lifecycle puts on its pods so that a deleted pod stays terminating until the
// bench lets it go, as a kubelet would.
inline constexpr const char* kHoldFinalizer = "hso-bench/hold";
inline constexpr const char* kAbsentNode = "hso-bench-absent-node";
// 100.64.0.0/10 (never kwok's 10.244.0.0/16): generation g, index i -> 100.(64+g).(i/250).(i%250+1)
std::string pod_ip(long index, int generation);
// Running, Ready, with `ip` (a merge patch of the status subresource).
json status_patch(const std::string& ip);
std::string pods_path(const std::string& namespace_name);
std::string pod_path(const std::string& namespace_name, const std::string& name);

// Runs fn(i) for i in [0, count) on `threads` threads; the first exception is rethrown.
void parallel_for(long count, int threads, const std::function<void(long)>& fn);

// Polls `done` every millisecond-ish until it is true or the deadline passes (then throws with
// `what`).
void wait_until(const std::string& what, std::chrono::milliseconds deadline,
                const std::function<bool()>& done);

// Watches one collection from "now" (a list's resourceVersion) and hands every event to `on_event`
// with the time it arrived. Resumes after the server ends a watch. ready() is true once the
// watch stream has delivered its first event or bookmark... callers confirm with a sentinel.
class Watcher {
 public:
  using Handler = std::function<void(hso::kube::WatchEvent::Type, const json&, Clock::time_point)>;
  Watcher(hso::kube::ApiClient& client, std::string collection_path, Handler on_event);
  ~Watcher();
  void stop();

 private:
  void run(std::stop_token stop);
  hso::kube::ApiClient& client_;
  const std::string path_;
  const Handler on_event_;
  std::string resource_version_;
  std::jthread thread_;
};

// Time each key was first seen, filled by watch handlers.
class FirstSeen {
 public:
  // Returns true when `key` is new.
  bool mark(const std::string& key, Clock::time_point when);
  std::optional<Clock::time_point> at(const std::string& key) const;
  std::size_t size() const;
  bool contains(const std::string& key) const;

 private:
  mutable hso::Mutex mutex_;
  std::map<std::string, Clock::time_point> seen_ HSO_GUARDED_BY(mutex_);
};

// Calls `fn(ip)` for every endpoint address of an EndpointSlice.
void for_each_slice_address(const json& slice, const std::function<void(const std::string&)>& fn);
std::string name_of(const json& object);

// A watch of EndpointSlices in a namespace that records when each address first appeared and
// which slices were deleted, and of Services (created/deleted names). Confirms that both watches
// run by creating and seeing a sentinel Service and EndpointSlice the operator does not own.
class NamespaceObserver {
 public:
  NamespaceObserver(hso::kube::ApiClient& client, std::string namespace_name);
  ~NamespaceObserver();
  FirstSeen& addresses() { return addresses_; }
  FirstSeen& services() { return services_; }
  FirstSeen& deleted_services() { return deleted_services_; }
  FirstSeen& deleted_slices() { return deleted_slices_; }
  // Addresses first published with the condition terminating=true.
  FirstSeen& terminating() { return terminating_; }
  // Removes the sentinels (their writes are the bench's, made outside any counted window).
  void remove_sentinels();

 private:
  hso::kube::ApiClient& client_;
  const std::string namespace_;
  FirstSeen addresses_, services_, deleted_services_, deleted_slices_, terminating_;
  std::unique_ptr<Watcher> slices_watch_, services_watch_;
};

// Median, p99 and extremes of a sample (milliseconds or seconds, as given).
struct Summary {
  std::size_t count = 0;
  double min = 0, median = 0, p90 = 0, p99 = 0, max = 0;
  json to_json() const;
};
Summary summarize(std::vector<double> values);

// Counters of a Prometheus text page: "name{labels}" -> value, for families in `names`.
using Counters = std::map<std::string, double>;
Counters parse_counters(const std::string& text, const std::vector<std::string>& names);
// The API server's apiserver_request_total (through the admin client).
Counters scrape_apiserver(hso::kube::HttpApiClient& client);
// The families `names` of a /metrics page at host:port (plain HTTP).
Counters scrape_metrics(const std::string& address, const std::vector<std::string>& names);
// An operator's /metrics at host:port (plain HTTP).
Counters scrape_operator(const std::string& address);
// `after - before`, without zero entries.
Counters difference(const Counters& before, const Counters& after);
// The value of label `label` in a "name{...}" series key ("" when absent).
std::string label_of(const std::string& series, const std::string& label);
// Mutating requests (POST, PUT, PATCH, DELETE, DELETECOLLECTION) of the API server's counters on
// services, endpointslices, endpoints and events, keyed "resource verb code".
std::map<std::string, double> apiserver_writes(const Counters& delta);

// A DNS A query answered by `server` (host:port) over UDP: true once an answer holds `ip`.
bool dns_answers(const std::string& server, const std::string& name, const std::string& ip,
                 std::chrono::milliseconds timeout);

void print_json(const json& result);

}  // namespace bench
