#pragma once

#include <nlohmann/json.hpp>

namespace hso::reconciler::plan {

// The part of an owned object (Service, EndpointSlice, Endpoints) that this component reads:
// metadata's name, namespace, uid, resourceVersion, deletionTimestamp, labels, ownerReferences
// (whole: a patch carries the ones it does not manage back unchanged) and the trigger-time
// annotation; the Service's spec.type, clusterIP, selector, ports and externalName; a slice's
// addressType, endpoints and ports; the Endpoints' subsets. What the API server fills in besides
// (creation time, managedFields, clusterIPs, ipFamilies, status, ...) is never read, so a cache
// that keeps only this part plans exactly the same writes. Anything but a JSON object is returned
// as it is.
nlohmann::json reconciled_fields(const nlohmann::json& object);

}  // namespace hso::reconciler::plan
