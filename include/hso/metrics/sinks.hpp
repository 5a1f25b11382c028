#pragma once

#include <chrono>
#include <cstddef>
#include <string_view>

// What the components report, as narrow interfaces with do-nothing defaults. Components take a
// reference to one of these; src/metrics implements them with prometheus-cpp. This keeps the
// components free of any metrics library and lets unit tests pass the defaults or a mock.
namespace hso::metrics {

using Seconds = std::chrono::duration<double>;

enum class ObjectKind { kService, kEndpointSlice, kEndpoints, kEvent };
enum class WriteAction { kCreate, kUpdate, kDelete };
enum class ReconcileResult { kSuccess, kError, kRequeue };
enum class SkipReason { kInvalidName, kCollision, kForeignService, kAnnotationValue };

class ReconcileMetrics {
 public:
  virtual ~ReconcileMetrics() = default;
  virtual void object_written(ObjectKind, WriteAction) {}
  virtual void reconcile_finished(ReconcileResult, Seconds) {}
  virtual void set_pods_watched(std::size_t) {}
  virtual void set_pods_managed(std::size_t) {}
  virtual void set_pods_skipped(SkipReason, std::size_t) {}
};

class QueueMetrics {
 public:
  virtual ~QueueMetrics() = default;
  virtual void added() {}
  virtual void set_depth(std::size_t) {}
  virtual void retried() {}
  virtual void waited(Seconds) {}  // from add to a worker picking the key up
  virtual void worked(Seconds) {}  // one key's processing
  virtual void set_longest_running(Seconds) {}
  virtual void set_unfinished_work(Seconds) {}
};

class WatchMetrics {
 public:
  virtual ~WatchMetrics() = default;
  virtual void watch_restarted(std::string_view /*resource*/) {}
  virtual void relisted(std::string_view /*resource*/) {}
  // type: ADDED, MODIFIED, DELETED, BOOKMARK.
  virtual void event_received(std::string_view /*resource*/, std::string_view /*type*/) {}
};

class LeaderMetrics {
 public:
  virtual ~LeaderMetrics() = default;
  virtual void set_leader(bool) {}
  virtual void transitioned() {}
  virtual void renew_failed() {}
};

}  // namespace hso::metrics
