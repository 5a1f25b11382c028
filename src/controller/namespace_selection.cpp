#include "hso/controller/namespace_selection.hpp"

#include <utility>

#include "hso/reconciler/plan/keys.hpp"
#include "hso/util/json_access.hpp"

namespace hso::controller {

std::optional<NamespaceLabels> project_namespace(const nlohmann::json& object) {
  NamespaceLabels projected{metadata_string(object, "name"), {}};
  if (projected.name.empty())
    return std::nullopt;
  const nlohmann::json& labels = metadata_child(object, "labels");
  if (labels.is_object()) {
    for (const auto& [key, value] : labels.items()) {
      if (value.is_string())
        projected.labels.emplace(key, value.get<std::string>());
    }
  }
  return projected;
}

NamespaceSelection::NamespaceSelection(LabelSelector selector)
    : selector_(std::move(selector)),
      store_("namespaces", project_namespace,
             [this](const NamespaceLabels& ns) { return selector_.matches(ns.labels); }) {}

bool NamespaceSelection::selected(std::string_view namespace_name) const {
  return store_.get(namespace_name) != nullptr;
}

void NamespaceSelection::enqueue_changes(const std::vector<std::unique_ptr<ScopeCaches>>& scopes,
                                         workqueue::WorkQueue& queue) {
  // `scopes` and `queue` outlive the handlers, as for the scopes' own handlers: the reflector that
  // feeds the store is stopped before either goes.
  auto enqueue = [&scopes, &queue](const NamespaceStore::Ptr& ns) {
    for (const auto& scope : scopes)
      list_namespace_keys(*scope, ns->name, [&queue](const std::string& key) { queue.add(key); });
  };
  store_.on_add(
      [enqueue](const std::string&, const NamespaceStore::Ptr& added) { enqueue(added); });
  store_.on_delete(
      [enqueue](const std::string&, const NamespaceStore::Ptr& last) { enqueue(last); });
  // An update keeps a namespace selected (one that stops matching is reported deleted): nothing
  // changes for its pods.
}

namespace {

std::vector<std::string> namespace_of_key(const std::optional<std::string>& key) {
  if (!key)
    return {};
  const auto parsed = ObjectKey::parse(*key);
  return parsed ? std::vector<std::string>{parsed->namespace_name} : std::vector<std::string>{};
}

}  // namespace

void add_namespace_indexes(ScopeCaches& scope) {
  const std::string index(kByNamespaceIndex);
  scope.pods->add_index(index, [](const reconciler::plan::PodInfo& pod) {
    return std::vector<std::string>{pod.namespace_name};
  });
  for (ObjectStore* store :
       {scope.services.get(), scope.endpoint_slices.get(), scope.endpoints.get()}) {
    if (store == nullptr)
      continue;
    store->add_index(
        index, [](const OwnedObject& object) { return namespace_of_key(object.reconcile_key); });
  }
}

void list_namespace_keys(const ScopeCaches& scope, std::string_view namespace_name,
                         const runtime::KeySink& add) {
  for (const auto& pod : scope.pods->by_index(kByNamespaceIndex, namespace_name)) {
    if (!reconciler::plan::needs_attention(*pod))
      continue;
    for (const std::string& key : reconciler::plan::keys_for_pod(*pod, scope.subdomain_records))
      add(key);
  }
  for (const ObjectStore* store :
       {scope.services.get(), scope.endpoint_slices.get(), scope.endpoints.get()}) {
    if (store == nullptr)
      continue;
    for (const auto& object : store->by_index(kByNamespaceIndex, namespace_name)) {
      if (object->reconcile_key)
        add(*object->reconcile_key);
    }
  }
}

std::vector<std::shared_ptr<const reconciler::plan::PodInfo>> SelectedNamespacePods::pods_for(
    const std::string& namespace_name, const std::string& hostname) {
  if (!selection_.selected(namespace_name))
    return {};
  return pods_.pods_for(namespace_name, hostname);
}

std::vector<std::shared_ptr<const reconciler::plan::PodInfo>>
SelectedNamespacePods::pods_in_subdomain(const std::string& namespace_name,
                                         const std::string& subdomain) {
  if (!selection_.selected(namespace_name))
    return {};
  return pods_.pods_in_subdomain(namespace_name, subdomain);
}

}  // namespace hso::controller
