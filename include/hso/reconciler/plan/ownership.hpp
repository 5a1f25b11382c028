#pragma once

#include <string_view>

// The names this operator writes into the objects it owns. Ownership is decided by these labels
// alone: an object without them is never modified or deleted (except when adopting the original
// Go operator's objects, see decision.hpp).
namespace hso::reconciler::plan {

inline constexpr std::string_view kOperatorName = "k8s-pod-headless-service-operator";

// On Services and legacy Endpoints.
inline constexpr std::string_view kManagedByLabel = "app.kubernetes.io/managed-by";
inline constexpr std::string_view kManagedByValue = kOperatorName;

// On EndpointSlices: the EndpointSlice convention for "which controller manages this slice". The
// value must not collide with kube-controller-manager's ("endpointslice-controller.k8s.io",
// "endpointslicemirroring-controller.k8s.io"), so it carries the project's domain.
inline constexpr std::string_view kSliceManagedByLabel = "endpointslice.kubernetes.io/managed-by";
inline constexpr std::string_view kSliceManagedByValue =
    "k8s-pod-headless-service-operator.srcd.host";

inline constexpr std::string_view kServiceNameLabel = "kubernetes.io/service-name";
inline constexpr std::string_view kHeadlessLabel = "service.kubernetes.io/headless";
// Keeps kube-controller-manager's mirroring controller from copying our legacy Endpoints into
// a second set of EndpointSlices.
inline constexpr std::string_view kSkipMirrorLabel = "endpointslice.kubernetes.io/skip-mirror";

// Label selectors the informers can use to watch only what this operator owns.
inline constexpr std::string_view kOwnedServiceSelector =
    "app.kubernetes.io/managed-by=k8s-pod-headless-service-operator";
inline constexpr std::string_view kOwnedEndpointSliceSelector =
    "endpointslice.kubernetes.io/managed-by=k8s-pod-headless-service-operator.srcd.host";
inline constexpr std::string_view kOwnedEndpointsSelector = kOwnedServiceSelector;

}  // namespace hso::reconciler::plan
