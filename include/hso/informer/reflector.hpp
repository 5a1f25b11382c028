#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <stop_token>
#include <string>
#include <thread>

#include "hso/informer/object_sink.hpp"
#include "hso/kube/api_client.hpp"
#include "hso/kube/backoff.hpp"
#include "hso/metrics/sinks.hpp"
#include "hso/util/clock.hpp"
#include "hso/util/mutex.hpp"
#include "hso/util/stop_wait.hpp"

namespace hso::informer {

struct ReflectorOptions {
  // Names the resource in metrics and logs, e.g. "pods".
  std::string resource;
  // The collection to reflect: "/api/v1/pods" (all namespaces) or
  // "/api/v1/namespaces/team-a/pods" (one). Several namespaces: one reflector each.
  std::string collection_path;
  std::string label_selector;
  std::string field_selector;
  std::int64_t page_size = 500;
  // Each watch asks the server to end it after a random time in this range, so that replicas
  // do not reconnect in step.
  std::chrono::seconds min_watch_timeout{300};
  std::chrono::seconds max_watch_timeout{600};
  // Between failed lists and watches; a server's Retry-After is a floor on top of it.
  kube::BackoffPolicy backoff{.jitter = 0.5};
  // Take the initial state as a streaming list (a watch with sendInitialEvents, KEP-3157): one
  // object decoded at a time instead of a page of them, so start-up makes no memory peak. Falls
  // back to paged lists for good when the server refuses it.
  bool stream_lists = false;
};

// Optional collaborators; the defaults are the real ones.
struct ReflectorEnvironment {
  metrics::WatchMetrics* metrics = nullptr;
  const Clock* clock = nullptr;
  Sleeper sleeper;
  kube::Backoff::UniformRandom random;
};

// Keeps an ObjectSink equal to one collection on the API server: a paged list replaces the
// sink's contents, then a watch from the list's resourceVersion applies changes. A normal end
// of the watch resumes from the last resourceVersion seen (bookmarks included); 410 Gone
// relists; other failures back off and retry. Runs until stopped.
class Reflector {
 public:
  Reflector(kube::ApiClient& client, ObjectSink& sink, ReflectorOptions options,
            ReflectorEnvironment environment = {});
  ~Reflector();

  Reflector(const Reflector&) = delete;
  Reflector& operator=(const Reflector&) = delete;

  // Blocks, listing and watching, until `stop` is requested.
  void run(std::stop_token stop);
  // run() on a thread owned by the reflector; stop() (or the destructor) ends and joins it.
  void start();
  void stop();

  // True once the first full list has landed in the sink.
  bool has_synced() const { return synced_.load(std::memory_order_acquire); }
  // Blocks until has_synced() or `stop`; returns has_synced().
  bool wait_for_sync(std::stop_token stop) const;
  std::string last_resource_version() const;
  // The last list or watch failure, until a list succeeds again ("" when none).
  std::string last_error() const;
  const std::string& resource() const { return options_.resource; }

 private:
  void list_into_sink(std::stop_token stop);
  // The initial state as a streaming list into the sink, then the same stream as a watch until
  // the server ends it. False when the server does not offer streaming lists.
  bool stream_into_sink_then_watch(std::stop_token stop);
  void mark_synced();
  // Returns normally when the server ends the stream; throws on failure.
  void watch_once(std::stop_token stop);
  bool handle_event(kube::WatchEvent& event);
  // Counts a watch that failed as a restart (it is re-established after the backoff).
  void count_failed_watch();
  void back_off(std::stop_token stop, std::optional<std::chrono::seconds> retry_after);
  std::chrono::seconds random_watch_timeout();
  void set_resource_version(std::string resource_version);
  void set_last_error(std::string error);

  kube::ApiClient& client_;
  ObjectSink& sink_;
  const ReflectorOptions options_;
  metrics::WatchMetrics& metrics_;
  const Clock& clock_;
  Sleeper sleeper_;
  kube::Backoff::UniformRandom random_;
  kube::Backoff backoff_;

  mutable Mutex mutex_;
  mutable std::condition_variable_any synced_changed_;
  std::string resource_version_ HSO_GUARDED_BY(mutex_);
  std::string last_error_ HSO_GUARDED_BY(mutex_);
  std::atomic<bool> synced_{false};
  // Only the reflector's thread reads or changes these.
  bool streaming_;
  bool need_list_ = true;
  std::jthread thread_;
};

}  // namespace hso::informer
