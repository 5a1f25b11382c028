#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "hso/metrics/sinks.hpp"
#include "hso/util/clock.hpp"
#include "hso/util/mutex.hpp"

namespace hso::reconciler {

// What the operator's own writes left behind, per Service key, until the watch shows it. A
// reconcile that starts before its caches have seen the objects it just wrote would plan from the
// older state: create what exists (409 AlreadyExists, then a wait), or repeat a patch. A key whose
// writes are not seen yet waits for their watch events instead (kube-controller-manager's
// EndpointSlice controller checks its caches for staleness the same way). Without an event within
// `patience` the expectation is dropped and the caches are trusted again, so a lost event costs a
// wasted write at worst, never a stuck key. Safe to use from several workers.
class WriteExpectations {
 public:
  // The cached object of a kind and name of the key, or null.
  using CacheLookup =
      std::function<std::shared_ptr<const nlohmann::json>(metrics::ObjectKind, const std::string&)>;

  WriteExpectations(const Clock& clock, std::chrono::milliseconds patience);

  // After a create or update that answered `written`: the cache is behind until it shows the
  // object with a resourceVersion other than `cached_before` (empty when it had none). A write the
  // server made no change for (same resourceVersion) expects nothing.
  void written(const std::string& key, metrics::ObjectKind kind, const nlohmann::json& written,
               const std::string& cached_before);
  // After a delete: the cache is behind until the object with this uid is gone from it.
  void deleted(const std::string& key, metrics::ObjectKind kind, const std::string& name,
               const std::string& uid);

  // "<Kind> <name>" of a write of the key the cache does not show yet; nullopt when it shows them
  // all (they are then forgotten) or they have waited longer than the patience.
  std::optional<std::string> unseen(const std::string& key, const CacheLookup& cached);

  // Keys with expectations still held, for tests and diagnostics.
  std::size_t size() const;

 private:
  struct Expectation {
    bool gone = false;          // deleted: satisfied once no object with `uid` is cached
    std::string before;         // written: satisfied once the cached resourceVersion differs
    std::string uid;            // deleted: the uid that must go
    Clock::TimePoint deadline;  // after this the caches are trusted again
  };
  using ObjectId = std::pair<metrics::ObjectKind, std::string>;

  void expect(const std::string& key, ObjectId id, Expectation expectation);

  const Clock& clock_;
  const std::chrono::milliseconds patience_;
  mutable Mutex mutex_;
  std::map<std::string, std::map<ObjectId, Expectation>> expectations_ HSO_GUARDED_BY(mutex_);
};

// "Service", "EndpointSlice", ...: the kind as the API names it, for logs and messages.
const char* object_kind_name(metrics::ObjectKind kind);

}  // namespace hso::reconciler
