#include "hso/controller/service_watches.hpp"

#include <stdexcept>
#include <utility>

#include "hso/controller/scope_handlers.hpp"
#include "hso/kube/request_path.hpp"
#include "hso/reconciler/plan/ownership.hpp"

namespace hso::controller {

ServiceWatches::ServiceWatches(kube::ApiClient& reader, const ControllerOptions& options,
                               metrics::WatchMetrics& metrics, const Clock& clock)
    : metrics_(metrics), clock_(clock) {
  if (!options.namespace_selector.empty())
    build_namespace_selection(reader, options.namespace_selector);
  if (options.namespaces.empty()) {
    build_scope(reader, options, "");
  } else {
    for (const auto& namespace_name : options.namespaces)
      build_scope(reader, options, namespace_name);
  }
  directory_ = std::make_unique<CacheDirectory>(scopes_);
  if (namespaces_)
    selected_pods_ = std::make_unique<SelectedNamespacePods>(*directory_, *namespaces_);
}

void ServiceWatches::build_namespace_selection(kube::ApiClient& reader,
                                               const std::string& selector) {
  std::string error;
  auto parsed = LabelSelector::parse(selector, &error);
  if (!parsed)
    throw std::invalid_argument("namespace selector: " + error);
  namespaces_ = std::make_unique<NamespaceSelection>(std::move(*parsed));
  // Every Namespace, matched here rather than by the server: one that stops matching must be
  // seen leaving, and the store keeps only the matching ones.
  informer::ReflectorOptions reflector;
  reflector.resource = std::string(kube::kNamespaces.plural);
  reflector.collection_path = kube::collection_path(kube::kNamespaces);
  reflector.stream_lists = true;
  informer::ReflectorEnvironment environment;
  environment.metrics = &metrics_;
  environment.clock = &clock_;
  reflectors_.push_back(std::make_unique<informer::Reflector>(
      reader, namespaces_->store(), std::move(reflector), std::move(environment)));
}

reconciler::PodSource& ServiceWatches::pods() {
  if (selected_pods_)
    return *selected_pods_;
  return *directory_;
}

ServiceWatches::~ServiceWatches() {
  stop();
}

void ServiceWatches::build_scope(kube::ApiClient& reader, const ControllerOptions& options,
                                 const std::string& namespace_name) {
  auto scope =
      make_scope_caches(namespace_name, options.pod_annotation, options.reconcile.legacy_endpoints,
                        options.reconcile.subdomain_records);
  if (namespaces_)
    add_namespace_indexes(*scope);
  auto add_reflector = [&](informer::ObjectSink& sink, const kube::ApiResource& resource,
                           std::string_view label_selector) {
    informer::ReflectorOptions reflector;
    reflector.resource = std::string(resource.plural);
    reflector.collection_path = kube::collection_path(resource, namespace_name);
    reflector.label_selector = std::string(label_selector);
    // Small pages keep the decoded JSON of a page small: with 10,000 pods the peak during the
    // initial list went from 45 MiB (500 per page) to the steady state's 31 MiB, and the list
    // itself got no slower.
    reflector.page_size = 100;
    reflector.stream_lists = true;
    informer::ReflectorEnvironment environment;
    environment.metrics = &metrics_;
    environment.clock = &clock_;
    reflectors_.push_back(std::make_unique<informer::Reflector>(reader, sink, std::move(reflector),
                                                                std::move(environment)));
  };
  add_reflector(*scope->pods, kube::kPods, options.pod_selector);
  add_reflector(*scope->services, kube::kServices, reconciler::plan::kOwnedServiceSelector);
  add_reflector(*scope->endpoint_slices, kube::kEndpointSlices,
                reconciler::plan::kOwnedEndpointSliceSelector);
  if (scope->endpoints)
    add_reflector(*scope->endpoints, kube::kEndpoints, reconciler::plan::kOwnedEndpointsSelector);
  scopes_.push_back(std::move(scope));
}

void ServiceWatches::enqueue_changes(workqueue::WorkQueue& queue) {
  for (auto& scope : scopes_)
    controller::enqueue_changes(*scope, queue);
  if (namespaces_)
    namespaces_->enqueue_changes(scopes_, queue);
}

void ServiceWatches::start() {
  for (auto& reflector : reflectors_)
    reflector->start();
}

void ServiceWatches::stop() {
  for (auto& reflector : reflectors_)
    reflector->stop();
}

bool ServiceWatches::has_synced() const {
  for (const auto& reflector : reflectors_) {
    if (!reflector->has_synced())
      return false;
  }
  return true;
}

std::string ServiceWatches::unsynced_reason() const {
  std::string reason;
  for (const auto& reflector : reflectors_) {
    if (reflector->has_synced())
      continue;
    const std::string error = reflector->last_error();
    reason += (reason.empty() ? "" : "; ") + reflector->resource() +
              (error.empty() ? " listing" : ": " + error);
  }
  return reason;
}

bool ServiceWatches::wait_for_sync(std::stop_token stop) const {
  for (const auto& reflector : reflectors_) {
    if (!reflector->wait_for_sync(stop))
      return false;
  }
  return true;
}

void ServiceWatches::list_keys(const runtime::KeySink& add) const {
  for (const auto& scope : scopes_)
    controller::list_keys(*scope, add);
}

std::size_t ServiceWatches::pods_watched() const {
  std::size_t total = 0;
  for (const auto& scope : scopes_)
    total += scope->pods->size();
  return total;
}

}  // namespace hso::controller
