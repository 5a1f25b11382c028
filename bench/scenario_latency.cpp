// Latency: from the API server's answer to a pod's status patch that sets its IP, to the moment a
// watch sees an EndpointSlice carrying that IP; optionally until CoreDNS answers with it.
#include <cmath>
#include <condition_variable>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "common.hpp"
#include "scenarios.hpp"

namespace bench {
namespace {

// Asks CoreDNS for sampled pods, one at a time, until it answers with the pod's IP.
class DnsProber {
 public:
  explicit DnsProber(std::string server) : server_(std::move(server)) {
    if (!server_.empty())
      thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
  }
  void probe(std::string name, std::string ip, Clock::time_point since) {
    if (server_.empty())
      return;
    hso::MutexLock lock(mutex_);
    queue_.push_back({std::move(name), std::move(ip), since});
    ++queued_;
    wake_.notify_one();
  }
  // Waits until every queued probe has an answer or gave up.
  std::vector<double> results(std::chrono::seconds deadline) {
    wait_until("DNS answers", deadline, [this] {
      hso::MutexLock lock(mutex_);
      return finished_ == queued_;
    });
    hso::MutexLock lock(mutex_);
    return millis_;
  }
  std::size_t failures() {
    hso::MutexLock lock(mutex_);
    return failures_;
  }

 private:
  struct Probe {
    std::string name, ip;
    Clock::time_point since;
  };
  void run(std::stop_token stop) {
    while (true) {
      Probe next;
      {
        hso::MutexLock lock(mutex_);
        if (!wake_.wait(lock, stop, [this]() HSO_REQUIRES(mutex_) { return !queue_.empty(); }))
          return;
        next = std::move(queue_.front());
        queue_.pop_front();
      }
      const auto give_up = next.since + std::chrono::seconds(20);
      bool answered = false;
      while (!answered && Clock::now() < give_up && !stop.stop_requested()) {
        answered = dns_answers(server_, next.name, next.ip, std::chrono::milliseconds(20));
        if (!answered)
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      const auto now = Clock::now();
      hso::MutexLock lock(mutex_);
      if (answered) {
        millis_.push_back(millis_between(next.since, now));
      } else {
        ++failures_;
      }
      ++finished_;
    }
  }

  const std::string server_;
  hso::Mutex mutex_;
  std::condition_variable_any wake_;
  std::deque<Probe> queue_ HSO_GUARDED_BY(mutex_);
  std::size_t queued_ HSO_GUARDED_BY(mutex_) = 0;
  std::size_t finished_ HSO_GUARDED_BY(mutex_) = 0;
  std::size_t failures_ HSO_GUARDED_BY(mutex_) = 0;
  std::vector<double> millis_ HSO_GUARDED_BY(mutex_);
  std::jthread thread_;
};

// Runs `set_ip` for every pod: `rate` per second, or all at once on `threads` threads (rate 0).
void drive(long pods, double rate, int threads, const std::function<void(long)>& set_ip) {
  const auto started = Clock::now();
  if (rate > 0) {
    for (long i = 0; i < pods; ++i) {
      std::this_thread::sleep_until(started + std::chrono::duration_cast<Clock::duration>(
                                                  std::chrono::duration<double>(i / rate)));
      set_ip(i);
    }
  } else {
    parallel_for(pods, threads, set_ip);
  }
}

// Each pod's latency in ms, from its acknowledged patch to the first slice with its IP; `last`
// becomes the latest of those sightings.
std::vector<double> latencies(NamespaceObserver& observer,
                              const std::vector<Clock::time_point>& acked,
                              Clock::time_point& last) {
  std::vector<double> millis;
  for (std::size_t i = 0; i < acked.size(); ++i) {
    const std::string ip = pod_ip(static_cast<long>(i), 0);
    const auto seen = observer.addresses().at(ip);
    if (!seen)
      throw std::runtime_error("no EndpointSlice carries " + ip);
    last = std::max(last, *seen);
    millis.push_back(millis_between(acked[i], *seen));
  }
  return millis;
}

// CoreDNS's own figure for the same writes: the time from a slice's
// endpoints.kubernetes.io/last-change-trigger-time to CoreDNS holding the slice, in whole seconds
// (the annotation has no fraction), summed over its service kinds.
const std::string kProgramming = "coredns_kubernetes_dns_programming_duration_seconds";

Counters programming_histogram(const std::string& address) {
  return scrape_metrics(address,
                        {kProgramming + "_bucket", kProgramming + "_sum", kProgramming + "_count"});
}

double programming_count(const Counters& delta) {
  double count = 0;
  for (const auto& [series, value] : delta) {
    if (series.starts_with(kProgramming + "_count"))
      count += value;
  }
  return count;
}

// The observations between two scrapes: how many, their mean, and the upper bounds of the buckets
// that hold the median and the 99th percentile.
json programming_summary(const Counters& before, const Counters& after) {
  const Counters delta = difference(before, after);
  const double count = programming_count(delta);
  double sum = 0;
  std::map<double, double> cumulative;  // le -> observations at or below it
  for (const auto& [series, value] : delta) {
    if (series.starts_with(kProgramming + "_sum")) {
      sum += value;
    } else if (series.starts_with(kProgramming + "_bucket")) {
      const std::string le = label_of(series, "le");
      cumulative[le == "+Inf" ? std::numeric_limits<double>::infinity() : std::stod(le)] += value;
    }
  }
  const auto bound = [&](double quantile) -> json {
    for (const auto& [le, observations] : cumulative) {
      if (observations >= quantile * count)
        return std::isinf(le) ? json("+Inf") : json(le);
    }
    return nullptr;
  };
  return {{"observations", count},
          {"mean_seconds", count > 0 ? sum / count : 0.0},
          {"median_at_most_seconds", count > 0 ? bound(0.5) : json()},
          {"p99_at_most_seconds", count > 0 ? bound(0.99) : json()}};
}

// Waits (up to 30 s) until CoreDNS has observed `expected` more slices than in `before`; what it
// has then is the figure, also when fewer (a slice written twice in one second is observed once).
json programming_since(const std::string& address, const Counters& before, double expected) {
  Counters after = programming_histogram(address);
  try {
    wait_until("CoreDNS's programming observations", std::chrono::seconds(30), [&] {
      after = programming_histogram(address);
      return programming_count(difference(before, after)) >= expected;
    });
  } catch (const std::exception&) {
  }
  return programming_summary(before, after);
}

// CoreDNS's histogram when the run's writes start, and its observations since; idle without an
// address.
class ProgrammingWatch {
 public:
  explicit ProgrammingWatch(std::string address)
      : address_(std::move(address)),
        before_(address_.empty() ? Counters{} : programming_histogram(address_)) {}
  json since(long expected) const {
    return address_.empty() ? json()
                            : programming_since(address_, before_, static_cast<double>(expected));
  }

 private:
  std::string address_;
  Counters before_;
};

}  // namespace

int run_latency(Args& args) {
  const std::string ns = args.text("namespace");
  const long pods = args.integer("pods", 1000);
  const double rate = args.number("rate", 10);  // pods/s; 0: all at once
  const int threads = static_cast<int>(args.integer("threads", 16));
  const std::string dns = args.text("dns");
  const long dns_every = args.integer("dns-every", 50);
  const std::string coredns_metrics = args.text("coredns-metrics");
  const auto deadline = std::chrono::seconds(args.integer("timeout", 600));
  args.finish();

  auto client = make_client(static_cast<std::size_t>(threads) + 4);
  NamespaceObserver observer(*client, ns);
  observer.remove_sentinels();

  // The pods exist (and have their Services) before the IPs come: the IP is what is measured.
  const auto created = Clock::now();
  parallel_for(pods, threads, [&](long i) {
    client->create(pods_path(ns), pod_body(ns, pod_name("lat", i), true));
  });
  wait_until("a Service for every pod", deadline,
             [&] { return observer.services().size() >= static_cast<std::size_t>(pods); });
  const double services_seconds = seconds_since(created);

  const ProgrammingWatch programming(coredns_metrics);
  std::vector<Clock::time_point> acked(static_cast<std::size_t>(pods));
  DnsProber prober(dns);
  const auto set_ip = [&](long i) {
    const std::string name = pod_name("lat", i);
    client->patch(pod_path(ns, name) + "/status", hso::kube::PatchType::kMerge,
                  status_patch(pod_ip(i, 0)));
    acked[static_cast<std::size_t>(i)] = Clock::now();
    if (dns_every > 0 && i % dns_every == 0)
      prober.probe(name + "." + ns + ".svc.cluster.local", pod_ip(i, 0), acked[i]);
  };
  const auto started = Clock::now();
  drive(pods, rate, threads, set_ip);
  const double drive_seconds = seconds_since(started);
  // The sentinel's address is in the set too.
  wait_until("an EndpointSlice with every pod's IP", deadline,
             [&] { return observer.addresses().size() >= static_cast<std::size_t>(pods) + 1; });
  Clock::time_point last = started;
  const std::vector<double> millis = latencies(observer, acked, last);
  const auto dns_millis = prober.results(std::chrono::seconds(60));
  print_json({{"scenario", "latency"},
              {"namespace", ns},
              {"pods", pods},
              {"rate", rate},
              {"services_seconds", services_seconds},
              {"drive_seconds", drive_seconds},
              {"all_slices_seconds", millis_between(started, last) / 1000},
              {"latency_ms", summarize(millis).to_json()},
              {"dns_ms", summarize(dns_millis).to_json()},
              {"dns_failures", prober.failures()},
              {"coredns_programming", programming.since(pods)}});
  return 0;
}

}  // namespace bench
