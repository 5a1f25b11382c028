#include "hso/metrics/metrics_registry.hpp"

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <utility>

namespace hso::metrics {

MetricsRegistry::MetricsRegistry() : registry_(std::make_shared<prometheus::Registry>()) {}

void MetricsRegistry::add_collect_hook(std::function<void()> hook) {
  MutexLock lock(mutex_);
  hooks_.push_back(std::move(hook));
}

void MetricsRegistry::add_collectable(std::shared_ptr<prometheus::Collectable> collectable) {
  MutexLock lock(mutex_);
  collectables_.push_back(std::move(collectable));
}

std::string MetricsRegistry::serialize() const {
  std::vector<std::function<void()>> hooks;
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables;
  {
    MutexLock lock(mutex_);
    hooks = hooks_;
    collectables = collectables_;
  }
  for (const auto& hook : hooks) {
    hook();
  }
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  for (const auto& collectable : collectables) {
    auto more = collectable->Collect();
    families.insert(families.end(), std::make_move_iterator(more.begin()),
                    std::make_move_iterator(more.end()));
  }
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace hso::metrics
