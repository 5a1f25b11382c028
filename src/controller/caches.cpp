#include "hso/controller/caches.hpp"

#include "hso/reconciler/keys.hpp"
#include "hso/util/object_key.hpp"

namespace hso::controller {

std::optional<nlohmann::json> project_owned_object(const nlohmann::json& object) {
  if (!object.is_object())
    return std::nullopt;
  nlohmann::json copy = object;
  if (auto metadata = copy.find("metadata"); metadata != copy.end() && metadata->is_object()) {
    metadata->erase("managedFields");
  }
  return copy;
}

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

std::vector<std::shared_ptr<const reconciler::PodInfo>> CacheDirectory::pods_for(
    const std::string& namespace_name, const std::string& hostname) {
  const ScopeCaches* scope = scope_for(namespace_name);
  if (scope == nullptr)
    return {};
  return scope->pods->by_index(reconciler::kPodsByServiceKeyIndex,
                               object_key(namespace_name, hostname));
}

std::shared_ptr<const nlohmann::json> CacheDirectory::service(const std::string& namespace_name,
                                                              const std::string& name) {
  const ScopeCaches* scope = scope_for(namespace_name);
  if (scope == nullptr)
    return nullptr;
  return scope->services->get(object_key(namespace_name, name));
}

std::vector<std::shared_ptr<const nlohmann::json>> CacheDirectory::endpoint_slices(
    const std::string& namespace_name, const std::string& service_name) {
  const ScopeCaches* scope = scope_for(namespace_name);
  if (scope == nullptr)
    return {};
  return scope->endpoint_slices->by_index(kSlicesByServiceKeyIndex,
                                          object_key(namespace_name, service_name));
}

std::shared_ptr<const nlohmann::json> CacheDirectory::endpoints(const std::string& namespace_name,
                                                                const std::string& name) {
  const ScopeCaches* scope = scope_for(namespace_name);
  if (scope == nullptr || scope->endpoints == nullptr)
    return nullptr;
  return scope->endpoints->get(object_key(namespace_name, name));
}

}  // namespace hso::controller
