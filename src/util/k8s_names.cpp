#include "hso/util/k8s_names.hpp"

namespace hso {
namespace {

constexpr std::size_t kMaxLabelLength = 63;
constexpr std::size_t kMaxSubdomainLength = 253;

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool is_alnum(char c) {
  return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

}  // namespace

bool is_dns1123_label(std::string_view name) {
  if (name.empty() || name.size() > kMaxLabelLength)
    return false;
  if (!is_lower_alnum(name.front()) || !is_lower_alnum(name.back()))
    return false;
  for (char c : name) {
    if (!is_lower_alnum(c) && c != '-')
      return false;
  }
  return true;
}

bool is_dns1123_subdomain(std::string_view name) {
  if (name.empty() || name.size() > kMaxSubdomainLength)
    return false;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = name.find('.', start);
    const std::string_view label =
        name.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (!is_dns1123_label(label))
      return false;
    if (dot == std::string_view::npos)
      return true;
    start = dot + 1;
  }
}

bool is_dns1035_label(std::string_view name) {
  return is_dns1123_label(name) && name.front() >= 'a' && name.front() <= 'z';
}

bool is_qualified_name(std::string_view key) {
  std::string_view name = key;
  if (const auto slash = key.find('/'); slash != std::string_view::npos) {
    if (!is_dns1123_subdomain(key.substr(0, slash)))
      return false;
    name = key.substr(slash + 1);
  }
  return !name.empty() && is_label_value(name);
}

bool is_label_value(std::string_view value) {
  if (value.empty())
    return true;
  if (value.size() > kMaxLabelLength)
    return false;
  if (!is_alnum(value.front()) || !is_alnum(value.back()))
    return false;
  for (char c : value) {
    if (!is_alnum(c) && c != '-' && c != '_' && c != '.')
      return false;
  }
  return true;
}

}  // namespace hso
