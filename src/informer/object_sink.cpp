#include "hso/informer/object_sink.hpp"

#include <spdlog/spdlog.h>

namespace hso::informer {
namespace {

std::string_view string_field(const nlohmann::json& object, const char* field) {
  if (!object.is_object()) {
    return {};
  }
  const auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) {
    return {};
  }
  const auto value = metadata->find(field);
  if (value == metadata->end() || !value->is_string()) {
    return {};
  }
  return value->get_ref<const std::string&>();
}

}  // namespace

std::optional<std::string> object_key(const nlohmann::json& object) {
  const std::string_view name = string_field(object, "name");
  if (name.empty()) {
    return std::nullopt;
  }
  return make_key(string_field(object, "namespace"), name);
}

void log_skipped_object(std::string_view resource, const nlohmann::json& object,
                        std::string_view reason) {
  const std::string_view namespace_name = string_field(object, "namespace");
  const std::string_view name = string_field(object, "name");
  spdlog::warn("skipping malformed {} object {}/{}: {}", resource,
               namespace_name.empty() ? "-" : namespace_name, name.empty() ? "<no name>" : name,
               reason);
}

}  // namespace hso::informer

namespace hso::informer::detail {

void log_handler_failure(std::string_view resource, std::string_view key, const char* what) {
  spdlog::error("{} event handler failed for {}: {}", resource, key, what);
}

}  // namespace hso::informer::detail
