#pragma once

#include <nlohmann/json.hpp>
#include <optional>

// Compares an object as the API server returns it with the desired body from desired_objects.hpp,
// on the fields the operator manages only: the server fills in defaults (sessionAffinity,
// ipFamilies, internalTrafficPolicy, ...) and other tools may add labels or annotations, and none
// of that may cause a write. The result is a JSON merge patch that carries the existing object's
// resourceVersion, so the server refuses it with 409 if the object changed since it was read.
namespace hso::reconciler::plan {

bool is_owned_service(const nlohmann::json& service);
bool is_owned_endpoint_slice(const nlohmann::json& slice);
bool is_owned_endpoints(const nlohmann::json& endpoints);

// clusterIP is immutable: an owned Service that is not headless can only be deleted and recreated.
bool service_needs_recreation(const nlohmann::json& existing);
// The same, for the Service `desired` wants: an ExternalName Service and a headless one can only
// replace each other by a delete and a create (the cluster IP is immutable).
bool service_needs_recreation(const nlohmann::json& existing, const nlohmann::json& desired);

// Whether two slice endpoints say the same on the fields the operator writes.
bool same_endpoint(const nlohmann::json& a, const nlohmann::json& b);

// nullopt: nothing to write.
std::optional<nlohmann::json> service_patch(const nlohmann::json& existing,
                                            const nlohmann::json& desired);
std::optional<nlohmann::json> endpoint_slice_patch(const nlohmann::json& existing,
                                                   const nlohmann::json& desired);
std::optional<nlohmann::json> endpoints_patch(const nlohmann::json& existing,
                                              const nlohmann::json& desired);

}  // namespace hso::reconciler::plan
