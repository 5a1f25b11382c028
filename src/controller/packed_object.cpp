#include "hso/controller/packed_object.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "hso/reconciler/plan/ownership.hpp"
#include "hso/reconciler/plan/trigger_time.hpp"

namespace hso::controller {
namespace {

using nlohmann::json;

// Strings that recur in every owned object: field names, the operator's labels and the values
// the API server fills in. Each is packed as two bytes, '\0' and its position + 1, instead of up
// to 48 characters; the label keys and values alone took about a fifth of a packed slice.
constexpr std::array kCommonStrings = {
    std::string_view("metadata"),
    std::string_view("name"),
    std::string_view("namespace"),
    std::string_view("uid"),
    std::string_view("resourceVersion"),
    std::string_view("creationTimestamp"),
    std::string_view("deletionTimestamp"),
    std::string_view("generation"),
    std::string_view("labels"),
    std::string_view("annotations"),
    std::string_view("ownerReferences"),
    std::string_view("apiVersion"),
    std::string_view("kind"),
    std::string_view("controller"),
    std::string_view("blockOwnerDeletion"),
    std::string_view("spec"),
    std::string_view("status"),
    std::string_view("type"),
    std::string_view("clusterIP"),
    std::string_view("clusterIPs"),
    std::string_view("ipFamilies"),
    std::string_view("ipFamilyPolicy"),
    std::string_view("sessionAffinity"),
    std::string_view("internalTrafficPolicy"),
    std::string_view("publishNotReadyAddresses"),
    std::string_view("loadBalancer"),
    std::string_view("selector"),
    std::string_view("ports"),
    std::string_view("port"),
    std::string_view("protocol"),
    std::string_view("targetPort"),
    std::string_view("appProtocol"),
    std::string_view("addressType"),
    std::string_view("endpoints"),
    std::string_view("addresses"),
    std::string_view("conditions"),
    std::string_view("ready"),
    std::string_view("serving"),
    std::string_view("terminating"),
    std::string_view("targetRef"),
    std::string_view("nodeName"),
    std::string_view("hostname"),
    std::string_view("zone"),
    std::string_view("subsets"),
    std::string_view("notReadyAddresses"),
    std::string_view("Pod"),
    std::string_view("Service"),
    std::string_view("discovery.k8s.io/v1"),
    std::string_view("EndpointSlice"),
    std::string_view("Endpoints"),
    std::string_view("ClusterIP"),
    std::string_view("None"),
    std::string_view("SingleStack"),
    std::string_view("Cluster"),
    std::string_view("IPv4"),
    std::string_view("IPv6"),
    std::string_view("TCP"),
    std::string_view("UDP"),
    std::string_view("SCTP"),
    std::string_view("true"),
    reconciler::plan::kManagedByLabel,
    reconciler::plan::kOperatorName,
    reconciler::plan::kSliceManagedByLabel,
    reconciler::plan::kSliceManagedByValue,
    reconciler::plan::kServiceNameLabel,
    reconciler::plan::kHeadlessLabel,
    reconciler::plan::kSkipMirrorLabel,
    reconciler::plan::kLastChangeTriggerTimeAnnotation,
};
static_assert(kCommonStrings.size() < 254,
              "a common string's token is one byte, not the uid marker");

std::optional<std::size_t> common_string_index(std::string_view text) {
  static const std::unordered_map<std::string_view, std::size_t> kIndex = [] {
    std::unordered_map<std::string_view, std::size_t> index;
    for (std::size_t i = 0; i < kCommonStrings.size(); ++i)
      index.emplace(kCommonStrings[i], i);
    return index;
  }();
  const auto it = kIndex.find(text);
  return it == kIndex.end() ? std::nullopt : std::optional(it->second);
}

// A uid in its canonical form (36 characters, lower-case hex and four '-') is packed as '\0',
// kUidMarker and its 16 bytes: a slice holds three uids (its own, its Service's, its pod's).
constexpr char kUidMarker = '\xff';
constexpr std::size_t kUidLength = 36;
constexpr std::string_view kHexDigits = "0123456789abcdef";

bool is_dash_position(std::size_t i) {
  return i == 8 || i == 13 || i == 18 || i == 23;
}

bool is_canonical_uid(const std::string& text) {
  if (text.size() != kUidLength)
    return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool ok =
        is_dash_position(i) ? text[i] == '-' : kHexDigits.find(text[i]) != std::string_view::npos;
    if (!ok)
      return false;
  }
  return true;
}

std::string packed_uid(const std::string& uid) {
  std::string packed{'\0', kUidMarker};
  int high = -1;
  for (const char c : uid) {
    if (c == '-')
      continue;
    const auto nibble = static_cast<int>(kHexDigits.find(c));
    if (high < 0) {
      high = nibble;
    } else {
      packed.push_back(static_cast<char>(high << 4 | nibble));
      high = -1;
    }
  }
  return packed;
}

std::string unpacked_uid(const std::string& packed) {
  std::string uid;
  for (std::size_t i = 2; i < packed.size(); ++i) {
    if (is_dash_position(uid.size()))
      uid.push_back('-');
    const auto byte = static_cast<unsigned char>(packed[i]);
    uid.push_back(kHexDigits[byte >> 4]);
    uid.push_back(kHexDigits[byte & 0xf]);
  }
  return uid;
}

// A string that itself begins with '\0' is packed behind a "\0\0" escape, so that packing stays
// lossless for any object.
std::string encoded(const std::string& text) {
  if (const auto index = common_string_index(text))
    return std::string{'\0', static_cast<char>(*index + 1)};
  if (is_canonical_uid(text))
    return packed_uid(text);
  if (!text.empty() && text.front() == '\0')
    return std::string(2, '\0') + text;
  return text;
}

std::string decoded(const std::string& text) {
  if (text.size() < 2 || text.front() != '\0')
    return text;
  if (text[1] == '\0')
    return text.substr(2);
  if (text[1] == kUidMarker)
    return unpacked_uid(text);
  const auto index = static_cast<std::size_t>(static_cast<unsigned char>(text[1])) - 1;
  return index < kCommonStrings.size() ? std::string(kCommonStrings[index]) : text;
}

enum class Level { kTop, kMetadata, kInner };

// The tree with every string (keys included) passed through `convert`; metadata.managedFields is
// left out when `drop_managed_fields`.
json converted(const json& value, std::string (*convert)(const std::string&),
               bool drop_managed_fields, Level level) {
  switch (value.type()) {
    case json::value_t::object: {
      json result = json::object();
      for (const auto& [key, child] : value.items()) {
        // The reconciler never reads managedFields, often the largest part of an object.
        if (drop_managed_fields && level == Level::kMetadata && key == "managedFields")
          continue;
        const Level next =
            level == Level::kTop && key == "metadata" ? Level::kMetadata : Level::kInner;
        result[convert(key)] = converted(child, convert, drop_managed_fields, next);
      }
      return result;
    }
    case json::value_t::array: {
      json result = json::array();
      for (const json& child : value)
        result.push_back(converted(child, convert, drop_managed_fields, Level::kInner));
      return result;
    }
    case json::value_t::string:
      return convert(value.get_ref<const std::string&>());
    default:
      return value;
  }
}

}  // namespace

std::optional<PackedObject> PackedObject::pack(const json& object) {
  if (!object.is_object())
    return std::nullopt;
  return PackedObject(
      json::to_msgpack(converted(object, encoded, /*drop_managed_fields=*/true, Level::kTop)));
}

PackedObject::PackedObject(const std::vector<std::uint8_t>& bytes)
    : bytes_(std::make_unique_for_overwrite<std::uint8_t[]>(bytes.size())),
      size_(static_cast<std::uint32_t>(bytes.size())) {
  std::copy(bytes.begin(), bytes.end(), bytes_.get());
}

PackedObject::PackedObject(const PackedObject& other)
    : bytes_(std::make_unique_for_overwrite<std::uint8_t[]>(other.size_)), size_(other.size_) {
  std::copy_n(other.bytes_.get(), size_, bytes_.get());
}

PackedObject::PackedObject(PackedObject&& other) noexcept
    : bytes_(std::move(other.bytes_)), size_(std::exchange(other.size_, 0)) {}

PackedObject& PackedObject::operator=(const PackedObject& other) {
  if (this != &other)
    *this = PackedObject(other);
  return *this;
}

PackedObject& PackedObject::operator=(PackedObject&& other) noexcept {
  bytes_ = std::move(other.bytes_);
  size_ = std::exchange(other.size_, 0);
  return *this;
}

bool PackedObject::operator==(const PackedObject& other) const {
  return size_ == other.size_ && std::equal(bytes_.get(), bytes_.get() + size_, other.bytes_.get());
}

json PackedObject::unpack() const {
  return converted(json::from_msgpack(bytes_.get(), bytes_.get() + size_), decoded,
                   /*drop_managed_fields=*/false, Level::kTop);
}

}  // namespace hso::controller
