#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "hso/controller/packed_object.hpp"
#include "hso/informer/reflector.hpp"
#include "hso/informer/store.hpp"
#include "hso/reconciler/plan/pod_info.hpp"
#include "hso/reconciler/sources.hpp"

namespace hso::controller {

// An owned object as its store keeps it: packed, beside the reconcile key it belongs to, worked
// out once at the door so that handlers, the slice index and each resync read the key without
// unpacking the object.
struct OwnedObject {
  PackedObject packed;
  std::optional<std::string> reconcile_key;

  bool operator==(const OwnedObject&) const = default;
};

using PodStore = informer::Store<reconciler::plan::PodInfo>;
using ObjectStore = informer::Store<OwnedObject>;
using ReconcileKeyOf = std::optional<std::string> (*)(const nlohmann::json&);

// The caches for one scope: all namespaces (namespace_name empty) or one namespace. A store is
// filled by exactly one reflector, because a relist replaces a store's whole content.
struct ScopeCaches {
  std::string namespace_name;
  std::unique_ptr<PodStore> pods;
  std::unique_ptr<ObjectStore> services;
  std::unique_ptr<ObjectStore> endpoint_slices;
  std::unique_ptr<ObjectStore> endpoints;  // null unless legacy Endpoints are written
  // A pod's change also reaches its subdomain's key (reconciler::plan::keys_for_pod).
  bool subdomain_records = false;
};

// The stores of one scope with their projections, keep functions and indexes (no handlers, no
// reflectors): pods that ask for a Service under `pod_annotation` (or whose asking cannot be read),
// indexed by the Service key they ask for and by their subdomain's key; owned Services; owned
// EndpointSlices indexed by their Service's key; owned Endpoints when `legacy_endpoints`.
std::unique_ptr<ScopeCaches> make_scope_caches(const std::string& namespace_name,
                                               const std::string& pod_annotation,
                                               bool legacy_endpoints,
                                               bool subdomain_records = false);

// What an owned-object store keeps of an object: the fields the reconciler reads
// (reconciler::plan::reconciled_fields), packed, and the object's reconcile key by `key_of` (worked
// out from the whole object); nullopt for anything but a JSON object.
std::optional<OwnedObject> project_owned_object(const nlohmann::json& object,
                                                ReconcileKeyOf key_of);

// Answers the reconciler's reads from the caches of the scope that covers the namespace; each
// owned object read is unpacked into a copy the caller owns.
class CacheDirectory final : public reconciler::PodSource, public reconciler::OwnedObjectSource {
 public:
  explicit CacheDirectory(const std::vector<std::unique_ptr<ScopeCaches>>& scopes);

  std::vector<std::shared_ptr<const reconciler::plan::PodInfo>> pods_for(
      const std::string& namespace_name, const std::string& hostname) override;
  std::vector<std::shared_ptr<const reconciler::plan::PodInfo>> pods_in_subdomain(
      const std::string& namespace_name, const std::string& subdomain) override;
  std::vector<ObjectPtr> find(reconciler::OwnedKind kind, const std::string& namespace_name,
                              const std::string& name) override;

 private:
  const ScopeCaches* scope_for(const std::string& namespace_name) const;

  const ScopeCaches* cluster_scope_ = nullptr;
  std::map<std::string, const ScopeCaches*, std::less<>> namespace_scopes_;
};

// Index of EndpointSlices by the key of the Service they belong to.
inline constexpr std::string_view kSlicesByServiceKeyIndex = "service-key";

}  // namespace hso::controller
