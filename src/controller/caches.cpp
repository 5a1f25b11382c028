#include "hso/controller/caches.hpp"

#include "hso/reconciler/plan/keys.hpp"
#include "hso/reconciler/plan/owned_fields.hpp"
#include "hso/util/object_key.hpp"

namespace hso::controller {

std::optional<OwnedObject> project_owned_object(const nlohmann::json& object,
                                                ReconcileKeyOf key_of) {
  auto packed = PackedObject::pack(reconciler::plan::reconciled_fields(object));
  if (!packed)
    return std::nullopt;
  return OwnedObject{std::move(*packed), key_of(object)};
}

namespace {

informer::Store<OwnedObject>::Projection owned_objects_of(ReconcileKeyOf key_of) {
  return [key_of](const nlohmann::json& object) { return project_owned_object(object, key_of); };
}

}  // namespace

std::unique_ptr<ScopeCaches> make_scope_caches(const std::string& namespace_name,
                                               const std::string& pod_annotation,
                                               bool legacy_endpoints, bool subdomain_records) {
  auto scope = std::make_unique<ScopeCaches>();
  scope->namespace_name = namespace_name;
  scope->subdomain_records = subdomain_records;
  // Only pods that ask for a Service (or whose asking cannot be read) are kept: a pod that starts
  // asking arrives whole in its MODIFIED event, and one that stops asking is reported deleted with
  // the projection that asked. So memory follows the pods that ask, not the pods that exist.
  scope->pods = std::make_unique<PodStore>(
      "pods",
      [pod_annotation](const nlohmann::json& pod) {
        return reconciler::plan::project_pod(pod, pod_annotation);
      },
      [](const reconciler::plan::PodInfo& pod) { return reconciler::plan::needs_attention(pod); });
  scope->pods->add_index(std::string(reconciler::plan::kPodsByServiceKeyIndex),
                         [](const reconciler::plan::PodInfo& pod) {
                           return reconciler::plan::needs_attention(pod)
                                      ? std::vector<std::string>{reconciler::plan::key_for_pod(pod)}
                                      : std::vector<std::string>{};
                         });
  scope->pods->add_index(std::string(reconciler::plan::kPodsBySubdomainIndex),
                         [](const reconciler::plan::PodInfo& pod) {
                           auto key = reconciler::plan::subdomain_key_for_pod(pod);
                           if (!reconciler::plan::needs_attention(pod) || !key)
                             return std::vector<std::string>{};
                           return std::vector<std::string>{std::move(*key)};
                         });
  scope->services = std::make_unique<ObjectStore>(
      "services", owned_objects_of(reconciler::plan::key_for_service));
  scope->endpoint_slices = std::make_unique<ObjectStore>(
      "endpointslices", owned_objects_of(reconciler::plan::key_for_endpoint_slice));
  scope->endpoint_slices->add_index(
      std::string(kSlicesByServiceKeyIndex), [](const OwnedObject& slice) {
        return slice.reconcile_key ? std::vector<std::string>{*slice.reconcile_key}
                                   : std::vector<std::string>{};
      });
  if (legacy_endpoints) {
    scope->endpoints = std::make_unique<ObjectStore>(
        "endpoints", owned_objects_of(reconciler::plan::key_for_endpoints));
  }
  return scope;
}

namespace {

std::shared_ptr<const nlohmann::json> unpacked(const ObjectStore::Ptr& owned) {
  return owned ? std::make_shared<const nlohmann::json>(owned->packed.unpack()) : nullptr;
}

}  // namespace

CacheDirectory::CacheDirectory(const std::vector<std::unique_ptr<ScopeCaches>>& scopes) {
  for (const auto& scope : scopes) {
    if (scope->namespace_name.empty()) {
      cluster_scope_ = scope.get();
    } else {
      namespace_scopes_.emplace(scope->namespace_name, scope.get());
    }
  }
}

const ScopeCaches* CacheDirectory::scope_for(const std::string& namespace_name) const {
  if (cluster_scope_ != nullptr)
    return cluster_scope_;
  const auto it = namespace_scopes_.find(namespace_name);
  return it == namespace_scopes_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<const reconciler::plan::PodInfo>> CacheDirectory::pods_for(
    const std::string& namespace_name, const std::string& hostname) {
  const ScopeCaches* scope = scope_for(namespace_name);
  if (scope == nullptr)
    return {};
  return scope->pods->by_index(reconciler::plan::kPodsByServiceKeyIndex,
                               object_key(namespace_name, hostname));
}

std::vector<std::shared_ptr<const reconciler::plan::PodInfo>> CacheDirectory::pods_in_subdomain(
    const std::string& namespace_name, const std::string& subdomain) {
  const ScopeCaches* scope = scope_for(namespace_name);
  if (scope == nullptr)
    return {};
  return scope->pods->by_index(reconciler::plan::kPodsBySubdomainIndex,
                               object_key(namespace_name, subdomain));
}

std::vector<CacheDirectory::ObjectPtr> CacheDirectory::find(reconciler::OwnedKind kind,
                                                            const std::string& namespace_name,
                                                            const std::string& name) {
  const ScopeCaches* scope = scope_for(namespace_name);
  if (scope == nullptr)
    return {};
  const std::string key = object_key(namespace_name, name);
  std::vector<ObjectPtr> found;
  switch (kind) {
    case reconciler::OwnedKind::kService:
      if (auto service = unpacked(scope->services->get(key)))
        found.push_back(std::move(service));
      break;
    case reconciler::OwnedKind::kEndpoints:
      if (scope->endpoints == nullptr)
        break;
      if (auto endpoints = unpacked(scope->endpoints->get(key)))
        found.push_back(std::move(endpoints));
      break;
    case reconciler::OwnedKind::kEndpointSlices:
      for (const auto& packed : scope->endpoint_slices->by_index(kSlicesByServiceKeyIndex, key))
        found.push_back(unpacked(packed));
      break;
  }
  return found;
}

}  // namespace hso::controller
