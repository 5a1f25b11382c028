#pragma once

#include <string_view>

namespace hso {

// Kubernetes name rules (apimachinery validation), used to reject bad input before it reaches the
// API server and to decide whether a pod's hostname can be a Service name.

// [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63 characters. Namespaces, label-style names.
bool is_dns1123_label(std::string_view name);
// Dot-separated DNS-1123 labels, at most 253 characters. Pod names.
bool is_dns1123_subdomain(std::string_view name);
// [a-z]([-a-z0-9]*[a-z0-9])?, at most 63 characters. Service names.
bool is_dns1035_label(std::string_view name);
// An annotation or label key: an optional DNS-1123 subdomain prefix and '/', then a name of at
// most 63 characters of [A-Za-z0-9._-] that starts and ends alphanumeric.
bool is_qualified_name(std::string_view key);
// A label value: empty, or at most 63 characters of [A-Za-z0-9._-] that start and end
// alphanumeric.
bool is_label_value(std::string_view value);

}  // namespace hso
