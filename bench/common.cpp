#include "common.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <random>
#include <set>
#include <stdexcept>

#include "hso/kube/client_config.hpp"
#include "hso/kube/errors.hpp"
#include "hso/kube/request_path.hpp"
#include "hso/util/time_format.hpp"

namespace bench {

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double millis_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

Args::Args(int argc, char** argv) {
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) {
      throw std::invalid_argument("expected --name=value, got '" + arg + "'");
    }
    const auto equals = arg.find('=');
    const std::string name = arg.substr(2, equals == std::string::npos ? arg.npos : equals - 2);
    values_[name] = equals == std::string::npos ? "true" : arg.substr(equals + 1);
    used_[name] = false;
  }
}

std::string Args::text(const std::string& name, const std::string& fallback) {
  const auto it = values_.find(name);
  if (it == values_.end())
    return fallback;
  used_[name] = true;
  return it->second;
}

long Args::integer(const std::string& name, long fallback) {
  const std::string value = text(name);
  return value.empty() ? fallback : std::stol(value);
}

double Args::number(const std::string& name, double fallback) {
  const std::string value = text(name);
  return value.empty() ? fallback : std::stod(value);
}

void Args::finish() const {
  for (const auto& [name, used] : used_) {
    if (!used)
      throw std::invalid_argument("unknown argument --" + name);
  }
}

std::unique_ptr<hso::kube::HttpApiClient> make_client(std::size_t connections) {
  hso::kube::ClientOptions options;
  options.qps = 0;
  options.max_idle_connections = connections;
  options.user_agent = "hso-bench";
  return hso::kube::make_api_client(hso::kube::load_client_config("", ""), options);
}

std::string pod_name(const std::string& prefix, long index) {
  return prefix + fmt::format("-{:05}", index);
}

json pod_body(const std::string& namespace_name, const std::string& name, bool annotated) {
  // About the size of a small real pod once the API server has defaulted it and added
  // managedFields (some 4 KB of JSON).
  json pod = {
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata",
       {{"name", name},
        {"namespace", namespace_name},
        {"labels", {{"app.kubernetes.io/name", "hso-bench"}, {"hso-bench/role", "worker"}}}}},
      {"spec",
       {{"schedulerName", "hso-bench-unscheduled"},
        {"terminationGracePeriodSeconds", 0},
        {"containers",
         {{{"name", "app"},
           {"image", "registry.invalid/hso-bench/app:1"},
           {"ports", {{{"name", "http"}, {"containerPort", 8080}}}},
           {"env",
            {{{"name", "ROLE"}, {"value", "worker"}},
             {{"name", "POD_NAME"},
              {"valueFrom", {{"fieldRef", {{"fieldPath", "metadata.name"}}}}}}}},
           {"resources",
            {{"requests", {{"cpu", "10m"}, {"memory", "16Mi"}}},
             {"limits", {{"memory", "64Mi"}}}}}}}}}}};
  if (annotated) {
    pod["metadata"]["annotations"] = {{kAnnotation, "true"}};
  }
  return pod;
}

std::string pod_ip(long index, int generation) {
  return "100." + std::to_string(64 + generation) + "." + std::to_string(index / 250) + "." +
         std::to_string(index % 250 + 1);
}

// Ready now, as a kubelet reports it: the transition time is what the EndpointSlice controller, and
// the operator, stamp as the slice's last-change-trigger-time, from which CoreDNS measures.
json status_patch(const std::string& ip) {
  const std::string now = hso::format_rfc3339(
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()));
  return {
      {"status",
       {{"phase", "Running"},
        {"podIP", ip},
        {"podIPs", {{{"ip", ip}}}},
        {"conditions", {{{"type", "Ready"}, {"status", "True"}, {"lastTransitionTime", now}}}}}}};
}

std::string pods_path(const std::string& namespace_name) {
  return hso::kube::collection_path(hso::kube::kPods, namespace_name);
}

std::string pod_path(const std::string& namespace_name, const std::string& name) {
  return hso::kube::object_path(hso::kube::kPods, namespace_name, name);
}

void parallel_for(long count, int threads, const std::function<void(long)>& fn) {
  std::atomic<long> next{0};
  std::mutex error_mutex;
  std::exception_ptr error;
  {
    std::vector<std::jthread> pool;
    for (int t = 0; t < std::max(1, threads); ++t) {
      pool.emplace_back([&] {
        for (long i = next++; i < count; i = next++) {
          try {
            fn(i);
          } catch (...) {
            std::lock_guard lock(error_mutex);
            if (!error)
              error = std::current_exception();
            next = count;
          }
        }
      });
    }
  }
  if (error)
    std::rethrow_exception(error);
}

void wait_until(const std::string& what, std::chrono::milliseconds deadline,
                const std::function<bool()>& done) {
  const auto end = Clock::now() + deadline;
  while (!done()) {
    if (Clock::now() > end) {
      throw std::runtime_error("timed out after " + std::to_string(deadline.count() / 1000) +
                               " s waiting for " + what);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

Watcher::Watcher(hso::kube::ApiClient& client, std::string collection_path, Handler on_event)
    : client_(client), path_(std::move(collection_path)), on_event_(std::move(on_event)) {
  hso::kube::ListOptions options;
  options.limit = 1;
  resource_version_ = client_.list(path_, options).resource_version;
  thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

Watcher::~Watcher() {
  stop();
}

void Watcher::stop() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
}

void Watcher::run(std::stop_token stop) {
  while (!stop.stop_requested()) {
    hso::kube::WatchOptions options;
    options.resource_version = resource_version_;
    options.timeout = std::chrono::seconds(3600);
    try {
      client_.watch(
          path_, options,
          [this](hso::kube::WatchEvent&& event) {
            const auto now = Clock::now();
            const json& metadata = event.object.value("metadata", json::object());
            if (metadata.contains("resourceVersion"))
              resource_version_ = metadata["resourceVersion"].get<std::string>();
            if (event.type != hso::kube::WatchEvent::Type::kBookmark)
              on_event_(event.type, event.object, now);
            return true;
          },
          stop);
    } catch (const hso::kube::ApiError& error) {
      if (!error.is_gone())
        throw;
      // Events in between are lost; the bench's deadlines would then report the gap.
      std::cerr << "watch " << path_ << ": resourceVersion too old, resuming from now\n";
      hso::kube::ListOptions list;
      list.limit = 1;
      resource_version_ = client_.list(path_, list).resource_version;
    }
  }
}

bool FirstSeen::mark(const std::string& key, Clock::time_point when) {
  hso::MutexLock lock(mutex_);
  return seen_.emplace(key, when).second;
}

std::optional<Clock::time_point> FirstSeen::at(const std::string& key) const {
  hso::MutexLock lock(mutex_);
  const auto it = seen_.find(key);
  if (it == seen_.end())
    return std::nullopt;
  return it->second;
}

std::size_t FirstSeen::size() const {
  hso::MutexLock lock(mutex_);
  return seen_.size();
}

bool FirstSeen::contains(const std::string& key) const {
  hso::MutexLock lock(mutex_);
  return seen_.contains(key);
}

void for_each_slice_address(const json& slice, const std::function<void(const std::string&)>& fn) {
  const auto endpoints = slice.find("endpoints");
  if (endpoints == slice.end() || !endpoints->is_array())
    return;
  for (const json& endpoint : *endpoints) {
    const auto addresses = endpoint.find("addresses");
    if (addresses == endpoint.end() || !addresses->is_array())
      continue;
    for (const json& address : *addresses) {
      if (address.is_string())
        fn(address.get<std::string>());
    }
  }
}

std::string name_of(const json& object) {
  const json& metadata = object.value("metadata", json::object());
  return metadata.value("name", std::string());
}

namespace {

constexpr const char* kSentinel = "hso-bench-sentinel";
constexpr const char* kSentinelAddress = "100.127.255.254";

}  // namespace

NamespaceObserver::NamespaceObserver(hso::kube::ApiClient& client, std::string namespace_name)
    : client_(client), namespace_(std::move(namespace_name)) {
  using Type = hso::kube::WatchEvent::Type;
  const std::string slices_path =
      hso::kube::collection_path(hso::kube::kEndpointSlices, namespace_);
  const std::string services_path = hso::kube::collection_path(hso::kube::kServices, namespace_);
  slices_watch_ = std::make_unique<Watcher>(
      client_, slices_path, [this](Type type, const json& slice, Clock::time_point when) {
        if (type == Type::kDeleted) {
          deleted_slices_.mark(name_of(slice), when);
          return;
        }
        for_each_slice_address(slice,
                               [&](const std::string& address) { addresses_.mark(address, when); });
        for (const json& endpoint : slice.value("endpoints", json::array())) {
          if (endpoint.value("conditions", json::object()).value("terminating", false)) {
            for (const json& address : endpoint.value("addresses", json::array()))
              terminating_.mark(address.get<std::string>(), when);
          }
        }
      });
  services_watch_ = std::make_unique<Watcher>(
      client_, services_path, [this](Type type, const json& service, Clock::time_point when) {
        if (type == Type::kDeleted) {
          deleted_services_.mark(name_of(service), when);
        } else {
          services_.mark(name_of(service), when);
        }
      });
  // Neither sentinel carries the operator's labels, so the operator never sees them.
  client_.create(services_path, {{"apiVersion", "v1"},
                                 {"kind", "Service"},
                                 {"metadata", {{"name", kSentinel}}},
                                 {"spec", {{"clusterIP", "None"}}}});
  client_.create(slices_path, {{"apiVersion", "discovery.k8s.io/v1"},
                               {"kind", "EndpointSlice"},
                               {"metadata", {{"name", kSentinel}}},
                               {"addressType", "IPv4"},
                               {"endpoints", {{{"addresses", {kSentinelAddress}}}}}});
  wait_until("the watches to see the sentinels", std::chrono::seconds(30), [this] {
    return services_.contains(kSentinel) && addresses_.contains(kSentinelAddress);
  });
}

NamespaceObserver::~NamespaceObserver() {
  if (slices_watch_)
    slices_watch_->stop();
  if (services_watch_)
    services_watch_->stop();
}

void NamespaceObserver::remove_sentinels() {
  client_.remove(hso::kube::object_path(hso::kube::kServices, namespace_, kSentinel));
  client_.remove(hso::kube::object_path(hso::kube::kEndpointSlices, namespace_, kSentinel));
  wait_until("the sentinels to be deleted", std::chrono::seconds(30), [this] {
    return deleted_services_.contains(kSentinel) && deleted_slices_.contains(kSentinel);
  });
}

json Summary::to_json() const {
  return {{"count", count}, {"min", min}, {"median", median},
          {"p90", p90},     {"p99", p99}, {"max", max}};
}

Summary summarize(std::vector<double> values) {
  Summary summary;
  summary.count = values.size();
  if (values.empty())
    return summary;
  std::sort(values.begin(), values.end());
  // Nearest-rank percentiles.
  const auto rank = [&](double p) {
    const auto index = static_cast<std::size_t>(std::ceil(p * values.size()));
    return values[std::clamp<std::size_t>(index, 1, values.size()) - 1];
  };
  summary.min = values.front();
  summary.max = values.back();
  summary.median = rank(0.5);
  summary.p90 = rank(0.9);
  summary.p99 = rank(0.99);
  return summary;
}

Counters parse_counters(const std::string& text, const std::vector<std::string>& names) {
  Counters counters;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos)
      end = text.size();
    const std::string_view line(text.data() + start, end - start);
    start = end + 1;
    if (line.empty() || line.front() == '#')
      continue;
    const auto space = line.rfind(' ');
    if (space == std::string_view::npos)
      continue;
    const std::string_view series = line.substr(0, space);
    const std::string_view name = series.substr(0, series.find('{'));
    if (std::find(names.begin(), names.end(), name) == names.end())
      continue;
    try {
      counters[std::string(series)] = std::stod(std::string(line.substr(space + 1)));
    } catch (const std::exception&) {
    }
  }
  return counters;
}

Counters scrape_apiserver(hso::kube::HttpApiClient& client) {
  hso::kube::HttpApiClient::Request request;
  request.method = "GET";
  request.path = "/metrics";
  request.verb = "get";
  const auto response = client.send(request);
  if (response.status != 200) {
    throw std::runtime_error("API server /metrics answered " + std::to_string(response.status));
  }
  return parse_counters(response.body, {"apiserver_request_total"});
}

Counters scrape_metrics(const std::string& address, const std::vector<std::string>& names) {
  const auto colon = address.rfind(':');
  httplib::Client client(address.substr(0, colon), std::stoi(address.substr(colon + 1)));
  client.set_connection_timeout(5);
  const auto response = client.Get("/metrics");
  if (!response || response->status != 200) {
    throw std::runtime_error("/metrics at " + address + " did not answer");
  }
  return parse_counters(response->body, names);
}

Counters scrape_operator(const std::string& address) {
  return scrape_metrics(
      address,
      {"headless_service_operator_api_requests_total",
       "headless_service_operator_object_writes_total",
       "headless_service_operator_reconciles_total", "headless_service_operator_watch_events_total",
       "headless_service_operator_workqueue_depth",
       "headless_service_operator_workqueue_adds_total", "headless_service_operator_pods_watched",
       "headless_service_operator_pods_managed"});
}

Counters difference(const Counters& before, const Counters& after) {
  Counters delta;
  for (const auto& [series, value] : after) {
    const auto it = before.find(series);
    const double change = value - (it == before.end() ? 0.0 : it->second);
    if (change != 0)
      delta[series] = change;
  }
  return delta;
}

std::string label_of(const std::string& series, const std::string& label) {
  const std::string needle = label + "=\"";
  std::size_t at = series.find('{');
  while (at != std::string::npos) {
    at = series.find(needle, at);
    if (at == std::string::npos)
      return {};
    if (series[at - 1] == '{' || series[at - 1] == ',') {
      const auto begin = at + needle.size();
      return series.substr(begin, series.find('"', begin) - begin);
    }
    at += needle.size();
  }
  return {};
}

std::map<std::string, double> apiserver_writes(const Counters& delta) {
  static const std::set<std::string> kVerbs{"POST", "PUT", "PATCH", "DELETE", "DELETECOLLECTION"};
  static const std::set<std::string> kResources{"services", "endpointslices", "endpoints",
                                                "events"};
  std::map<std::string, double> writes;
  for (const auto& [series, value] : delta) {
    const std::string verb = label_of(series, "verb");
    std::string resource = label_of(series, "resource");
    if (!kVerbs.contains(verb) || !kResources.contains(resource))
      continue;
    const std::string subresource = label_of(series, "subresource");
    if (!subresource.empty())
      resource += "/" + subresource;
    writes[resource + " " + verb + " " + label_of(series, "code")] += value;
  }
  return writes;
}

namespace {

std::string dns_query(const std::string& name, std::uint16_t id) {
  std::string packet;
  packet.push_back(static_cast<char>(id >> 8));
  packet.push_back(static_cast<char>(id & 0xff));
  packet += std::string("\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 10);  // RD, one question
  std::size_t start = 0;
  while (start <= name.size()) {
    auto dot = name.find('.', start);
    if (dot == std::string::npos)
      dot = name.size();
    if (dot > start) {
      packet.push_back(static_cast<char>(dot - start));
      packet += name.substr(start, dot - start);
    }
    start = dot + 1;
  }
  packet.push_back('\0');
  packet += std::string("\x00\x01\x00\x01", 4);  // A, IN
  return packet;
}

// Skips a (possibly compressed) name at `at`; returns the offset after it or npos.
std::size_t skip_name(const unsigned char* data, std::size_t size, std::size_t at) {
  while (at < size) {
    const unsigned char length = data[at];
    if (length == 0)
      return at + 1;
    if ((length & 0xc0) == 0xc0)
      return at + 2;
    at += 1 + length;
  }
  return std::string::npos;
}

bool answer_holds(const unsigned char* data, std::size_t size, std::uint16_t id, in_addr want) {
  if (size < 12 || ((data[0] << 8) | data[1]) != id || (data[3] & 0x0f) != 0)
    return false;
  const int questions = (data[4] << 8) | data[5];
  const int answers = (data[6] << 8) | data[7];
  std::size_t at = 12;
  for (int q = 0; q < questions && at != std::string::npos; ++q) {
    at = skip_name(data, size, at);
    if (at != std::string::npos)
      at += 4;
  }
  for (int a = 0; a < answers && at != std::string::npos && at < size; ++a) {
    at = skip_name(data, size, at);
    if (at == std::string::npos || at + 10 > size)
      return false;
    const int type = (data[at] << 8) | data[at + 1];
    const int length = (data[at + 8] << 8) | data[at + 9];
    at += 10;
    if (at + length > size)
      return false;
    if (type == 1 && length == 4 && std::memcmp(data + at, &want, 4) == 0)
      return true;
    at += length;
  }
  return false;
}

}  // namespace

bool dns_answers(const std::string& server, const std::string& name, const std::string& ip,
                 std::chrono::milliseconds timeout) {
  const auto colon = server.rfind(':');
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(std::stoi(server.substr(colon + 1))));
  in_addr want{};
  if (inet_pton(AF_INET, server.substr(0, colon).c_str(), &address.sin_addr) != 1 ||
      inet_pton(AF_INET, ip.c_str(), &want) != 1) {
    throw std::invalid_argument("bad DNS server or address: " + server + " " + ip);
  }
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    throw std::runtime_error("socket failed");
  static std::atomic<std::uint16_t> next_id{1};
  const std::uint16_t id = next_id++;
  const std::string query = dns_query(name, id);
  bool found = false;
  if (sendto(fd, query.data(), query.size(), 0, reinterpret_cast<sockaddr*>(&address),
             sizeof address) == static_cast<ssize_t>(query.size())) {
    pollfd waiting{fd, POLLIN, 0};
    if (poll(&waiting, 1, static_cast<int>(timeout.count())) == 1) {
      unsigned char buffer[1500];
      const ssize_t got = recv(fd, buffer, sizeof buffer, 0);
      found = got > 0 && answer_holds(buffer, static_cast<std::size_t>(got), id, want);
    }
  }
  close(fd);
  return found;
}

void print_json(const json& result) {
  std::cout << result.dump() << std::endl;
}

}  // namespace bench
