#include "hso/controller/packed_object.hpp"

namespace hso::controller {

std::optional<PackedObject> PackedObject::pack(const nlohmann::json& object) {
  if (!object.is_object())
    return std::nullopt;
  std::vector<std::uint8_t> bytes;
  const auto metadata = object.find("metadata");
  if (metadata != object.end() && metadata->is_object() && metadata->contains("managedFields")) {
    // The reconciler never reads managedFields, often the largest part of an object.
    nlohmann::json copy = object;
    copy["metadata"].erase("managedFields");
    bytes = nlohmann::json::to_msgpack(copy);
  } else {
    bytes = nlohmann::json::to_msgpack(object);
  }
  bytes.shrink_to_fit();
  return PackedObject(std::move(bytes));
}

nlohmann::json PackedObject::unpack() const {
  return nlohmann::json::from_msgpack(bytes_);
}

}  // namespace hso::controller
