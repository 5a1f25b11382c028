#pragma once

#include <cstddef>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include "hso/controller/caches.hpp"
#include "hso/controller/namespace_selection.hpp"
#include "hso/controller/options.hpp"
#include "hso/informer/reflector.hpp"
#include "hso/kube/api_client.hpp"
#include "hso/metrics/sinks.hpp"
#include "hso/runtime/key_reconciler.hpp"
#include "hso/util/clock.hpp"
#include "hso/workqueue/work_queue.hpp"

namespace hso::controller {

// The watches of the headless-service wiring: per scope (all namespaces, or each namespace named)
// the caches of make_scope_caches and one reflector for each, listing and watching annotated
// pods, the operator's Services and EndpointSlices, and its Endpoints when legacy Endpoints are
// written; with a namespace selector also the Namespaces. The runtime's KeySource: it says when
// every cache has synced and which keys they know.
class ServiceWatches final : public runtime::KeySource {
 public:
  // Builds the caches and reflectors; nothing runs before start().
  ServiceWatches(kube::ApiClient& reader, const ControllerOptions& options,
                 metrics::WatchMetrics& metrics, const Clock& clock);
  ~ServiceWatches() override;

  ServiceWatches(const ServiceWatches&) = delete;
  ServiceWatches& operator=(const ServiceWatches&) = delete;

  // Each change of a cache adds the key it concerns to `queue` (scope_handlers.hpp). Call once,
  // before start().
  void enqueue_changes(workqueue::WorkQueue& queue);
  void start();
  void stop();

  bool has_synced() const;
  // "" once every cache has synced; else which waits and the last error it met.
  std::string unsynced_reason() const;
  bool wait_for_sync(std::stop_token stop) const override;
  void list_keys(const runtime::KeySink& add) const override;

  std::size_t pods_watched() const;
  // The reconciler's reads, answered from the caches.
  CacheDirectory& directory() { return *directory_; }
  // The reconciler's pod reads: the directory's, or none in a namespace the selector leaves out.
  reconciler::PodSource& pods();

 private:
  void build_scope(kube::ApiClient& reader, const ControllerOptions& options,
                   const std::string& namespace_name);
  void build_namespace_selection(kube::ApiClient& reader, const std::string& selector);

  metrics::WatchMetrics& metrics_;
  const Clock& clock_;
  std::vector<std::unique_ptr<ScopeCaches>> scopes_;
  std::unique_ptr<NamespaceSelection> namespaces_;  // null without a namespace selector
  std::vector<std::unique_ptr<informer::Reflector>> reflectors_;
  std::unique_ptr<CacheDirectory> directory_;
  std::unique_ptr<SelectedNamespacePods> selected_pods_;  // null without a namespace selector
};

}  // namespace hso::controller
