#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hso::kube {

// Percent-encodes a query parameter value (everything but RFC 3986 unreserved characters).
std::string encode_query_value(std::string_view value);

// Appends `?k=v&...` (or `&k=v...` when `path` already has a query), skipping empty values.
std::string with_query(std::string path,
                       const std::vector<std::pair<std::string, std::string>>& params);

// The resource an API path is about, for metrics: "/api/v1/namespaces/ns/pods/p/status" ->
// "pods", "/api/v1/namespaces" -> "namespaces". Empty for paths that are not resource paths.
std::string resource_of_path(std::string_view path);

}  // namespace hso::kube
