#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

namespace hso::controller {

// An owned object (Service, EndpointSlice, Endpoints) as the caches keep it: the object without
// managedFields, as MessagePack bytes. A per-pod Service takes about 600 bytes so and 4.4 KB as a
// parsed tree; its slice 730 bytes against 5.1 KB (BENCHMARKS.md, "At scale"): with 10,000
// annotated pods that is some 80 MiB. A reconcile's read unpacks a copy (a few microseconds);
// watch events and resyncs need only the object's key, kept beside the bytes (OwnedObject).
class PackedObject {
 public:
  // nullopt for anything but a JSON object.
  static std::optional<PackedObject> pack(const nlohmann::json& object);

  nlohmann::json unpack() const;
  std::size_t size_bytes() const { return bytes_.size(); }

  // Byte equality is object equality for objects packed by the same code: the Store suppresses
  // an update whose packed form did not change.
  bool operator==(const PackedObject&) const = default;

 private:
  explicit PackedObject(std::vector<std::uint8_t> bytes) : bytes_(std::move(bytes)) {}

  std::vector<std::uint8_t> bytes_;
};

}  // namespace hso::controller
