#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>

#include "hso/kube/api_client.hpp"
#include "hso/metrics/sinks.hpp"
#include "hso/reconciler/plan/pod_info.hpp"
#include "hso/util/clock.hpp"
#include "hso/util/mutex.hpp"

namespace hso::reconciler {

enum class EventType { kNormal, kWarning };

class EventRecorder {
 public:
  virtual ~EventRecorder() = default;
  // Reports something about a pod once: the same (pod uid, reason) again is dropped, so
  // resyncs do not repeat it. Best effort: failures are logged, never thrown. Normal events are
  // for what the caller has just written; Warnings may be reported again on every resync.
  virtual void record(const plan::PodInfo& pod, EventType type, std::string_view reason,
                      std::string_view action, std::string_view note) = 0;
};

// "<pod name>.<16 hex digits of a hash of (pod uid, reason)>": the same report always gets the
// same name, so an operator that restarts finds it already there and writes nothing.
std::string event_name(const plan::PodInfo& pod, std::string_view reason);

// The events.k8s.io/v1 Event body.
nlohmann::json event_body(const plan::PodInfo& pod, EventType type, std::string_view reason,
                          std::string_view action, std::string_view note,
                          std::string_view reporting_instance,
                          std::chrono::system_clock::time_point now);

// Writes events.k8s.io/v1 Events into the pod's namespace.
class ApiEventRecorder final : public EventRecorder {
 public:
  ApiEventRecorder(kube::ApiClient& api, metrics::ReconcileMetrics& metrics, const Clock& clock,
                   std::string reporting_instance, std::size_t max_remembered = 100'000);

  void record(const plan::PodInfo& pod, EventType type, std::string_view reason,
              std::string_view action, std::string_view note) override;

 private:
  bool remembered(std::uint64_t id) HSO_EXCLUDES(mutex_);
  void remember(std::uint64_t id) HSO_EXCLUDES(mutex_);

  kube::ApiClient& api_;
  metrics::ReconcileMetrics& metrics_;
  const Clock& clock_;
  std::string reporting_instance_;
  std::size_t max_remembered_;
  Mutex mutex_;
  // A 64-bit hash of namespace and Event name, not the names: some 80 bytes less per pod that got
  // an Event (BENCHMARKS.md, Session 7). Two Events of one hash (about one chance in 10^9 at the
  // cap) would cost one of them going unwritten, never a duplicate.
  std::unordered_set<std::uint64_t> reported_ HSO_GUARDED_BY(mutex_);
};

}  // namespace hso::reconciler
