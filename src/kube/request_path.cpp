#include "hso/kube/request_path.hpp"

namespace hso::kube {

std::string collection_path(const ApiResource& resource, std::string_view namespace_name) {
  std::string path(resource.group_version_path);
  if (!namespace_name.empty())
    path.append("/namespaces/").append(namespace_name);
  path.append("/").append(resource.plural);
  return path;
}

std::string object_path(const ApiResource& resource, std::string_view namespace_name,
                        std::string_view name) {
  return collection_path(resource, namespace_name).append("/").append(name);
}

std::string encode_query_value(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 15];
    }
  }
  return out;
}

std::string with_query(std::string path,
                       const std::vector<std::pair<std::string, std::string>>& params) {
  char separator = path.find('?') == std::string::npos ? '?' : '&';
  for (const auto& [key, value] : params) {
    if (value.empty())
      continue;
    path += separator;
    path += encode_query_value(key);
    path += '=';
    path += encode_query_value(value);
    separator = '&';
  }
  return path;
}

std::string resource_of_path(std::string_view path) {
  path = path.substr(0, path.find('?'));
  std::vector<std::string_view> segments;
  while (!path.empty()) {
    const auto slash = path.find('/');
    const std::string_view segment = path.substr(0, slash);
    if (!segment.empty())
      segments.push_back(segment);
    if (slash == std::string_view::npos)
      break;
    path.remove_prefix(slash + 1);
  }
  std::size_t i = 0;
  if (segments.size() >= 2 && segments[0] == "api") {
    i = 2;
  } else if (segments.size() >= 3 && segments[0] == "apis") {
    i = 3;
  } else {
    return {};
  }
  if (segments.size() >= i + 3 && segments[i] == "namespaces")
    i += 2;
  if (i >= segments.size())
    return {};
  return std::string(segments[i]);
}

}  // namespace hso::kube
