#include "hso/informer/reflector.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <utility>

#include "hso/kube/errors.hpp"
#include "hso/util/free_memory.hpp"
#include "hso/util/json_access.hpp"
#include "hso/util/random.hpp"

namespace hso::informer {
namespace {

using namespace std::chrono_literals;

// A stream that ends this fast without a single event is a failure in disguise (a proxy
// closing connections, say); retrying it at once would spin.
constexpr auto kShortestHealthyWatch = 1s;
// A continue token expiring mid-list restarts the list at once this many times before the
// failure goes through the backoff.
constexpr int kImmediateListRestarts = 2;

metrics::WatchMetrics& noop_metrics() {
  static metrics::WatchMetrics metrics;
  return metrics;
}

const char* event_type_name(kube::WatchEvent::Type type) {
  switch (type) {
    case kube::WatchEvent::Type::kAdded:
      return "ADDED";
    case kube::WatchEvent::Type::kModified:
      return "MODIFIED";
    case kube::WatchEvent::Type::kDeleted:
      return "DELETED";
    case kube::WatchEvent::Type::kBookmark:
      return "BOOKMARK";
  }
  return "UNKNOWN";
}

bool is_initial_events_end(const nlohmann::json& bookmark) {
  return json_string_view_at(metadata_child(bookmark, "annotations"),
                             kube::kInitialEventsEndAnnotation) == "true";
}

class ShortWatch : public std::runtime_error {
 public:
  ShortWatch() : std::runtime_error("watch ended at once without events") {}
};

}  // namespace

Reflector::Reflector(kube::ApiClient& client, ObjectSink& sink, ReflectorOptions options,
                     ReflectorEnvironment environment)
    : client_(client),
      sink_(sink),
      options_(std::move(options)),
      metrics_(environment.metrics != nullptr ? *environment.metrics : noop_metrics()),
      clock_(environment.clock != nullptr ? *environment.clock : SystemClock::instance()),
      sleeper_(environment.sleeper ? std::move(environment.sleeper) : real_sleeper()),
      random_(environment.random ? std::move(environment.random)
                                 : kube::Backoff::UniformRandom(uniform_random)),
      backoff_(options_.backoff, clock_, random_),
      streaming_(options_.stream_lists) {}

Reflector::~Reflector() {
  stop();
}

void Reflector::start() {
  thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

void Reflector::stop() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
}

bool Reflector::wait_for_sync(std::stop_token stop) const {
  MutexLock lock(mutex_);
  synced_changed_.wait(lock, stop, [this] { return has_synced(); });
  return has_synced();
}

std::string Reflector::last_resource_version() const {
  MutexLock lock(mutex_);
  return resource_version_;
}

std::string Reflector::last_error() const {
  MutexLock lock(mutex_);
  return last_error_;
}

void Reflector::set_last_error(std::string error) {
  MutexLock lock(mutex_);
  last_error_ = std::move(error);
}

void Reflector::set_resource_version(std::string resource_version) {
  MutexLock lock(mutex_);
  resource_version_ = std::move(resource_version);
}

void Reflector::run(std::stop_token stop) {
  need_list_ = true;
  int consecutive_gone = 0;
  while (!stop.stop_requested()) {
    try {
      if (need_list_ && streaming_) {
        // Clears need_list_ once the initial state is in, so a watch failing after that resumes
        // from its resourceVersion instead of streaming everything again.
        if (!stream_into_sink_then_watch(stop)) {
          continue;  // not offered: list instead, at once
        }
      } else {
        if (need_list_) {
          list_into_sink(stop);
          if (stop.stop_requested()) {
            break;
          }
          need_list_ = false;
        }
        watch_once(stop);
      }
      consecutive_gone = 0;
      if (!stop.stop_requested()) {
        metrics_.watch_restarted(options_.resource);
      }
    } catch (const kube::ApiError& error) {
      if (error.is_gone()) {
        spdlog::info("{}: resourceVersion {} is too old, relisting", options_.resource,
                     last_resource_version());
        need_list_ = true;
        metrics_.relisted(options_.resource);
        // A fresh list should cure a 410; one that keeps coming back is a failure like others.
        if (++consecutive_gone > 1) {
          back_off(stop, std::nullopt);
        }
        continue;
      }
      spdlog::warn("{}: {} failed: {} ({})", options_.resource, need_list_ ? "list" : "watch",
                   error.what(), error.code());
      set_last_error(std::string(error.what()) + " (HTTP " + std::to_string(error.code()) + ")");
      count_failed_watch();
      back_off(stop, error.retry_after());
    } catch (const ShortWatch& error) {
      spdlog::debug("{}: {}", options_.resource, error.what());
      count_failed_watch();
      back_off(stop, std::nullopt);
    } catch (const std::exception& error) {
      spdlog::warn("{}: {} failed: {}", options_.resource, need_list_ ? "list" : "watch",
                   error.what());
      set_last_error(error.what());
      count_failed_watch();
      back_off(stop, std::nullopt);
    }
  }
}

void Reflector::count_failed_watch() {
  // A watch that failed (cut, refused, answered with an error) is re-established like one that
  // ended: both are restarts. A failed list or initial stream is not a watch yet.
  if (!need_list_)
    metrics_.watch_restarted(options_.resource);
}

void Reflector::back_off(std::stop_token stop, std::optional<std::chrono::seconds> retry_after) {
  Clock::Duration delay = backoff_.next();
  if (retry_after && *retry_after > delay) {
    delay = *retry_after;
  }
  sleeper_(delay, stop);
}

void Reflector::list_into_sink(std::stop_token stop) {
  for (int restart = 0;; ++restart) {
    auto replacement = sink_.begin_replace();
    kube::ListOptions list_options;
    list_options.label_selector = options_.label_selector;
    list_options.field_selector = options_.field_selector;
    list_options.limit = options_.page_size;
    std::string list_version;
    std::size_t count = 0;
    try {
      do {
        kube::ListPage page = client_.list(options_.collection_path, list_options);
        for (const nlohmann::json& item : page.items) {
          replacement->add(item);
        }
        count += page.items.size();
        list_version = std::move(page.resource_version);
        list_options.continue_token = std::move(page.continue_token);
        if (stop.stop_requested()) {
          return;
        }
      } while (!list_options.continue_token.empty());
    } catch (const kube::ApiError& error) {
      if (error.is_gone() && !list_options.continue_token.empty() &&
          restart < kImmediateListRestarts) {
        spdlog::info("{}: list continuation expired, restarting the list", options_.resource);
        metrics_.relisted(options_.resource);
        continue;
      }
      throw;
    }
    replacement->commit();
    replacement.reset();
    // Every page was decoded into a document and dropped once projected: without this the resident
    // set stays at the list's peak (10,000 pods: 46 MiB steady before, 31 MiB after).
    return_free_memory();
    spdlog::debug("{}: listed {} objects at resourceVersion {}", options_.resource, count,
                  list_version);
    set_resource_version(std::move(list_version));
    mark_synced();
    return;
  }
}

void Reflector::mark_synced() {
  {
    MutexLock lock(mutex_);
    last_error_.clear();
    synced_.store(true, std::memory_order_release);
  }
  synced_changed_.notify_all();
}

bool Reflector::stream_into_sink_then_watch(std::stop_token stop) {
  auto replacement = sink_.begin_replace();
  bool initial_state_done = false;
  std::size_t count = 0;
  kube::WatchOptions watch_options;
  watch_options.label_selector = options_.label_selector;
  watch_options.field_selector = options_.field_selector;
  watch_options.allow_bookmarks = true;
  watch_options.send_initial_events = true;
  watch_options.timeout = random_watch_timeout();
  const auto on_initial_event = [&](kube::WatchEvent& event) {
    if (event.type == kube::WatchEvent::Type::kAdded) {
      replacement->add(event.object);
      ++count;
    } else if (event.type != kube::WatchEvent::Type::kBookmark) {
      throw std::runtime_error(std::string("a streaming list sent ") + event_type_name(event.type) +
                               " before its initial state ended");
    } else if (is_initial_events_end(event.object)) {
      replacement->commit();
      replacement.reset();
      return_free_memory();
      spdlog::debug("{}: streamed {} objects", options_.resource, count);
      set_resource_version(metadata_string(event.object, "resourceVersion"));
      mark_synced();
      need_list_ = false;
      initial_state_done = true;
    }
  };
  try {
    client_.watch(
        options_.collection_path, watch_options,
        [&](kube::WatchEvent&& event) {
          if (initial_state_done)
            return handle_event(event) && !stop.stop_requested();
          on_initial_event(event);
          return !stop.stop_requested();
        },
        stop);
  } catch (const kube::ApiError& error) {
    if (initial_state_done || (error.code() != 400 && !error.is_invalid()))
      throw;
    spdlog::info("{}: the API server does not stream lists ({}); listing in pages instead",
                 options_.resource, error.what());
    streaming_ = false;
    return false;
  }
  if (!initial_state_done && !stop.stop_requested())
    throw std::runtime_error("the streaming list ended before its initial state did");
  return true;
}

void Reflector::watch_once(std::stop_token stop) {
  kube::WatchOptions watch_options;
  watch_options.label_selector = options_.label_selector;
  watch_options.field_selector = options_.field_selector;
  watch_options.resource_version = last_resource_version();
  watch_options.allow_bookmarks = true;
  watch_options.timeout = random_watch_timeout();

  const Clock::TimePoint started = clock_.now();
  std::size_t events = 0;
  client_.watch(
      options_.collection_path, watch_options,
      [&](kube::WatchEvent&& event) {
        ++events;
        return handle_event(event) && !stop.stop_requested();
      },
      stop);
  if (events == 0 && !stop.stop_requested() && clock_.now() - started < kShortestHealthyWatch) {
    throw ShortWatch();
  }
}

bool Reflector::handle_event(kube::WatchEvent& event) {
  metrics_.event_received(options_.resource, event_type_name(event.type));
  // A watch that delivers works: the next failure starts the backoff over. Otherwise faults close
  // together (each healed at once) kept growing it, and a plain watch reset after a few of them
  // left the cache blind for up to 45 s (seen in the chaos soak).
  backoff_.reset();
  try {
    switch (event.type) {
      case kube::WatchEvent::Type::kAdded:
      case kube::WatchEvent::Type::kModified:
        sink_.upsert(event.object);
        break;
      case kube::WatchEvent::Type::kDeleted:
        sink_.remove(event.object);
        break;
      case kube::WatchEvent::Type::kBookmark:
        break;
    }
  } catch (const std::exception& error) {
    spdlog::error("{}: applying a watch event failed: {}", options_.resource, error.what());
  }
  std::string version = metadata_string(event.object, "resourceVersion");
  if (!version.empty()) {
    set_resource_version(std::move(version));
  }
  return true;
}

std::chrono::seconds Reflector::random_watch_timeout() {
  const auto low = options_.min_watch_timeout.count();
  const auto high = std::max(options_.max_watch_timeout.count(), low);
  const double u = std::clamp(random_(), 0.0, 1.0);
  return std::chrono::seconds(low + static_cast<std::int64_t>(std::floor(u * (high - low))));
}

}  // namespace hso::informer
