#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

namespace hso::controller {

// An owned object (Service, EndpointSlice, Endpoints) as the caches keep it: the object without
// managedFields, as MessagePack bytes in which the strings every owned object repeats (field
// names, the operator's labels, "ClusterIP"...) take two bytes each. A per-pod Service as the
// API server returns it takes 4.4 KB as a parsed tree, its slice 5.1 KB (BENCHMARKS.md, "At
// scale"): with 10,000 annotated pods that is some 80 MiB. The caches pack only the fields the
// reconciler reads (reconciler::plan::reconciled_fields; BENCHMARKS.md, "Session 7"). A reconcile's
// read unpacks a copy (a few microseconds); watch events and resyncs need only the object's key,
// kept beside the bytes (OwnedObject). Packing is lossless: unpack() gives back the object.
class PackedObject {
 public:
  // nullopt for anything but a JSON object.
  static std::optional<PackedObject> pack(const nlohmann::json& object);

  PackedObject(const PackedObject& other);
  PackedObject& operator=(const PackedObject& other);
  PackedObject(PackedObject&& other) noexcept;
  PackedObject& operator=(PackedObject&& other) noexcept;
  ~PackedObject() = default;

  nlohmann::json unpack() const;
  std::size_t size_bytes() const { return size_; }

  // Byte equality is object equality for objects packed by the same code: the Store suppresses
  // an update whose packed form did not change.
  bool operator==(const PackedObject& other) const;

 private:
  explicit PackedObject(const std::vector<std::uint8_t>& bytes);

  // An array and its size rather than a vector: 8 bytes less in every cached object, whose
  // allocation then fits a smaller malloc size class.
  std::unique_ptr<std::uint8_t[]> bytes_;
  std::uint32_t size_ = 0;
};

}  // namespace hso::controller
