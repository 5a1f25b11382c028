#pragma once

#include <prometheus/collectable.h>
#include <prometheus/registry.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "hso/util/mutex.hpp"

namespace hso::metrics {

// The prometheus text format's content type, version 0.0.4.
inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

// A prometheus-cpp Registry plus what the Registry cannot do on its own: hooks that refresh
// polled values (e.g. the queue's longest-running item) just before each scrape, and extra
// collectables whose values are read at scrape time (e.g. /proc).
class MetricsRegistry {
 public:
  MetricsRegistry();

  prometheus::Registry& registry() { return *registry_; }

  void add_collect_hook(std::function<void()> hook);
  void add_collectable(std::shared_ptr<prometheus::Collectable> collectable);

  // Runs the hooks, collects everything and renders the text exposition format.
  std::string serialize() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  mutable Mutex mutex_;
  std::vector<std::function<void()>> hooks_ HSO_GUARDED_BY(mutex_);
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables_ HSO_GUARDED_BY(mutex_);
};

}  // namespace hso::metrics
