#include "hso/informer/object_sink.hpp"

#include <spdlog/spdlog.h>

#include "hso/util/json_access.hpp"
#include "hso/util/object_key.hpp"

namespace hso::informer {

std::optional<std::string> object_key(const nlohmann::json& object) {
  const std::string_view name = metadata_string_view(object, "name");
  if (name.empty()) {
    return std::nullopt;
  }
  return hso::object_key(metadata_string_view(object, "namespace"), name);
}

void log_skipped_object(std::string_view resource, const nlohmann::json& object,
                        std::string_view reason) {
  const std::string_view namespace_name = metadata_string_view(object, "namespace");
  const std::string_view name = metadata_string_view(object, "name");
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
