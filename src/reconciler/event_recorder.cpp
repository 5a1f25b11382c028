#include "hso/reconciler/event_recorder.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdint>

#include "hso/kube/errors.hpp"
#include "hso/kube/request_path.hpp"
#include "hso/reconciler/plan/ownership.hpp"
#include "hso/util/time_format.hpp"

namespace hso::reconciler {
namespace {

constexpr std::size_t kMaxEventNameLength = 253;
constexpr std::size_t kHashSuffixLength = 17;  // '.' and 16 hex digits
constexpr std::size_t kMaxNoteLength = 1024;

std::uint64_t fnv1a(std::string_view a, std::string_view b) {
  std::uint64_t hash = 14695981039346656037ULL;
  const auto feed = [&](std::string_view text) {
    for (unsigned char c : text) {
      hash ^= c;
      hash *= 1099511628211ULL;
    }
  };
  feed(a);
  feed(std::string_view("\0", 1));
  feed(b);
  return hash;
}

}  // namespace

std::string event_name(const plan::PodInfo& pod, std::string_view reason) {
  std::string_view prefix = pod.name;
  if (prefix.size() > kMaxEventNameLength - kHashSuffixLength) {
    prefix = prefix.substr(0, kMaxEventNameLength - kHashSuffixLength);
  }
  while (!prefix.empty() && (prefix.back() == '-' || prefix.back() == '.'))
    prefix.remove_suffix(1);
  return std::string(prefix) + fmt::format(".{:016x}", fnv1a(pod.uid, reason));
}

nlohmann::json event_body(const plan::PodInfo& pod, EventType type, std::string_view reason,
                          std::string_view action, std::string_view note,
                          std::string_view reporting_instance,
                          std::chrono::system_clock::time_point now) {
  return {{"apiVersion", "events.k8s.io/v1"},
          {"kind", "Event"},
          {"metadata", {{"name", event_name(pod, reason)}, {"namespace", pod.namespace_name}}},
          {"eventTime", format_micro_time(now)},
          {"type", type == EventType::kNormal ? "Normal" : "Warning"},
          {"reason", reason},
          {"action", action},
          {"note", note.substr(0, kMaxNoteLength)},
          {"reportingController", plan::kOperatorName},
          {"reportingInstance", reporting_instance},
          {"regarding",
           {{"apiVersion", "v1"},
            {"kind", "Pod"},
            {"namespace", pod.namespace_name},
            {"name", pod.name},
            {"uid", pod.uid}}}};
}

ApiEventRecorder::ApiEventRecorder(kube::ApiClient& api, metrics::ReconcileMetrics& metrics,
                                   const Clock& clock, std::string reporting_instance,
                                   std::size_t max_remembered)
    : api_(api),
      metrics_(metrics),
      clock_(clock),
      reporting_instance_(std::move(reporting_instance)),
      max_remembered_(max_remembered) {}

bool ApiEventRecorder::remembered(std::uint64_t id) {
  MutexLock lock(mutex_);
  return reported_.contains(id);
}

void ApiEventRecorder::remember(std::uint64_t id) {
  MutexLock lock(mutex_);
  // Forgetting everything at the cap costs at most one GET per report, never a duplicate Event:
  // the Event names are deterministic and looked up before creating.
  if (reported_.size() >= max_remembered_)
    reported_.clear();
  reported_.insert(id);
}

void ApiEventRecorder::record(const plan::PodInfo& pod, EventType type, std::string_view reason,
                              std::string_view action, std::string_view note) {
  const std::string name = event_name(pod, reason);
  const std::uint64_t memory_key = fnv1a(pod.namespace_name, name);
  if (remembered(memory_key))
    return;
  try {
    // Warnings repeat on every resync of a skipped pod, also after a restart: look first, so
    // that an Event already there costs a read and never a write. A Normal Event follows the
    // write that caused it (the Service just created or adopted), so it cannot be there yet
    // except after a crash in between; AlreadyExists then counts as reported. This saves a
    // request per new pod.
    if (type == EventType::kWarning) {
      try {
        api_.get(kube::object_path(kube::kEvents, pod.namespace_name, name));
        remember(memory_key);
        return;
      } catch (const kube::ApiError& error) {
        if (!error.is_not_found())
          throw;
      }
    }
    api_.create(
        kube::collection_path(kube::kEvents, pod.namespace_name),
        event_body(pod, type, reason, action, note, reporting_instance_, clock_.wall_now()));
    metrics_.object_written(metrics::ObjectKind::kEvent, metrics::WriteAction::kCreate);
    remember(memory_key);
  } catch (const kube::ApiError& error) {
    if (error.is_already_exists()) {
      remember(memory_key);
      return;
    }
    spdlog::warn("could not record event {} on pod {}/{}: {}", reason, pod.namespace_name, pod.name,
                 error.what());
  } catch (const kube::WriteNotAllowed&) {
    // Not the leader (any more): the next leader reports what still holds.
    spdlog::debug("event {} on pod {}/{} withheld: not the leader", reason, pod.namespace_name,
                  pod.name);
  } catch (const std::exception& error) {
    spdlog::warn("could not record event {} on pod {}/{}: {}", reason, pod.namespace_name, pod.name,
                 error.what());
  }
}

}  // namespace hso::reconciler
