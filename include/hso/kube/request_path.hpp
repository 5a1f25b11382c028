#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hso::kube {

// An API resource: the path of its group and version and its plural name.
struct ApiResource {
  std::string_view group_version_path;  // "/api/v1", "/apis/discovery.k8s.io/v1"
  std::string_view plural;              // "services"
};

inline constexpr ApiResource kNamespaces{"/api/v1", "namespaces"};
inline constexpr ApiResource kPods{"/api/v1", "pods"};
inline constexpr ApiResource kServices{"/api/v1", "services"};
inline constexpr ApiResource kEndpoints{"/api/v1", "endpoints"};
inline constexpr ApiResource kEndpointSlices{"/apis/discovery.k8s.io/v1", "endpointslices"};
inline constexpr ApiResource kEvents{"/apis/events.k8s.io/v1", "events"};
inline constexpr ApiResource kLeases{"/apis/coordination.k8s.io/v1", "leases"};
inline constexpr ApiResource kTokenReviews{"/apis/authentication.k8s.io/v1", "tokenreviews"};
inline constexpr ApiResource kSubjectAccessReviews{"/apis/authorization.k8s.io/v1",
                                                   "subjectaccessreviews"};

// "<group version>/namespaces/<namespace>/<plural>", or "<group version>/<plural>" (every
// namespace, or a cluster-scoped resource) when the namespace is empty.
std::string collection_path(const ApiResource& resource, std::string_view namespace_name = {});
// collection_path(...) + "/<name>".
std::string object_path(const ApiResource& resource, std::string_view namespace_name,
                        std::string_view name);

// Percent-encodes a query parameter value (everything but RFC 3986 unreserved characters).
std::string encode_query_value(std::string_view value);

// Appends `?k=v&...` (or `&k=v...` when `path` already has a query), skipping empty values.
std::string with_query(std::string path,
                       const std::vector<std::pair<std::string, std::string>>& params);

// The resource an API path is about, for metrics: "/api/v1/namespaces/ns/pods/p/status" ->
// "pods", "/api/v1/namespaces" -> "namespaces". Empty for paths that are not resource paths.
std::string resource_of_path(std::string_view path);

}  // namespace hso::kube
