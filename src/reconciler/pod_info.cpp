#include "hso/reconciler/pod_info.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace hso::reconciler {
namespace {

constexpr std::size_t kMaxHostnameLength = 63;

const nlohmann::json* find(const nlohmann::json& object, const char* key) {
  if (!object.is_object())
    return nullptr;
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

std::string string_at(const nlohmann::json& object, const char* key) {
  const nlohmann::json* value = find(object, key);
  return value != nullptr && value->is_string() ? value->get<std::string>() : std::string();
}

PodPhase parse_phase(std::string_view phase) {
  if (phase == "Pending")
    return PodPhase::kPending;
  if (phase == "Running")
    return PodPhase::kRunning;
  if (phase == "Succeeded")
    return PodPhase::kSucceeded;
  if (phase == "Failed")
    return PodPhase::kFailed;
  return PodPhase::kUnknown;
}

bool ready_condition(const nlohmann::json& status) {
  const nlohmann::json* conditions = find(status, "conditions");
  if (conditions == nullptr || !conditions->is_array())
    return false;
  for (const auto& condition : *conditions) {
    if (string_at(condition, "type") == "Ready")
      return string_at(condition, "status") == "True";
  }
  return false;
}

// The textual form must be one the API server accepts; anything else would make every write of
// the pod's slices fail (422), the other family's included.
bool is_ip_address(const std::string& text, AddressFamily family) {
  unsigned char buffer[16];
  return inet_pton(family == AddressFamily::kIPv4 ? AF_INET : AF_INET6, text.c_str(), buffer) == 1;
}

// status.podIPs (status.podIP when podIPs is absent): at most one address per family, as the API
// server guarantees; an entry that is not an IP address, or a second of a family, is left out.
std::vector<std::string> pod_ips(const nlohmann::json& status) {
  std::vector<std::string> candidates;
  if (const nlohmann::json* list = find(status, "podIPs"); list != nullptr && list->is_array()) {
    for (const auto& entry : *list)
      candidates.push_back(string_at(entry, "ip"));
  }
  if (candidates.empty())
    candidates.push_back(string_at(status, "podIP"));
  std::vector<std::string> ips;
  bool seen[2] = {false, false};
  for (std::string& ip : candidates) {
    const AddressFamily family = address_family(ip);
    bool& family_seen = seen[family == AddressFamily::kIPv4 ? 0 : 1];
    if (family_seen || !is_ip_address(ip, family))
      continue;
    family_seen = true;
    ips.push_back(std::move(ip));
  }
  return ips;
}

bool parse_int(std::string_view text, int& out) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size();
}

bool is_digits(std::string_view text) {
  for (char c : text) {
    if (c < '0' || c > '9')
      return false;
  }
  return true;
}

}  // namespace

std::optional<std::chrono::sys_seconds> parse_timestamp(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!is_digits(text.substr(0, 4)) || !parse_int(text.substr(0, 4), year) ||
      !is_digits(text.substr(5, 2)) || !parse_int(text.substr(5, 2), month) ||
      !is_digits(text.substr(8, 2)) || !parse_int(text.substr(8, 2), day) ||
      !is_digits(text.substr(11, 2)) || !parse_int(text.substr(11, 2), hour) ||
      !is_digits(text.substr(14, 2)) || !parse_int(text.substr(14, 2), minute) ||
      !is_digits(text.substr(17, 2)) || !parse_int(text.substr(17, 2), second)) {
    return std::nullopt;
  }
  std::string_view rest = text.substr(19);
  if (!rest.empty() && rest.front() == '.') {
    std::size_t digits = 1;
    while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9')
      ++digits;
    if (digits == 1)
      return std::nullopt;
    rest.remove_prefix(digits);
  }
  std::chrono::minutes offset{0};
  if (rest == "Z" || rest == "z") {
  } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
    int offset_hours = 0, offset_minutes = 0;
    if (!is_digits(rest.substr(1, 2)) || !parse_int(rest.substr(1, 2), offset_hours) ||
        !is_digits(rest.substr(4, 2)) || !parse_int(rest.substr(4, 2), offset_minutes)) {
      return std::nullopt;
    }
    offset = std::chrono::hours(offset_hours) + std::chrono::minutes(offset_minutes);
    if (rest[0] == '-')
      offset = -offset;
  } else {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year(year),
                                         std::chrono::month(static_cast<unsigned>(month)),
                                         std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok() || hour > 23 || minute > 59 || second > 60)
    return std::nullopt;
  return std::chrono::sys_days(date) + std::chrono::hours(hour) + std::chrono::minutes(minute) +
         std::chrono::seconds(second) - offset;
}

std::optional<PodInfo> project_pod(const nlohmann::json& pod, std::string_view annotation_key) {
  const nlohmann::json* metadata = find(pod, "metadata");
  if (metadata == nullptr || !metadata->is_object())
    return std::nullopt;
  PodInfo info;
  info.namespace_name = string_at(*metadata, "namespace");
  info.name = string_at(*metadata, "name");
  info.uid = string_at(*metadata, "uid");
  if (info.namespace_name.empty() || info.name.empty() || info.uid.empty())
    return std::nullopt;
  const auto created = parse_timestamp(string_at(*metadata, "creationTimestamp"));
  if (!created)
    return std::nullopt;
  info.created = *created;
  if (const nlohmann::json* annotations = find(*metadata, "annotations");
      annotations != nullptr && annotations->is_object()) {
    const auto it = annotations->find(std::string(annotation_key));
    if (it != annotations->end() && it->is_string()) {
      info.wants_service = *it == "true";
      if (!info.wants_service && *it != "false")
        info.unread_annotation = it->get<std::string>();
    }
  }
  if (const nlohmann::json* spec = find(pod, "spec")) {
    info.spec_hostname = string_at(*spec, "hostname");
  }
  if (!info.wants_service) {
    // A pod that does not ask for a Service is only a key to the operator until it does (and
    // the update that adds the annotation brings everything). Keeping nothing else makes the
    // many such pods cheap, and their status churn compares equal: no update, no work. One whose
    // annotation cannot be read keeps its uid, which the Warning Event telling it so needs.
    if (info.unread_annotation.empty())
      info.uid.clear();
    return info;
  }
  if (const nlohmann::json* deletion = find(*metadata, "deletionTimestamp")) {
    info.terminating = !deletion->is_null();
  }
  if (const nlohmann::json* spec = find(pod, "spec")) {
    info.node_name = string_at(*spec, "nodeName");
  }
  if (const nlohmann::json* status = find(pod, "status")) {
    info.phase = parse_phase(string_at(*status, "phase"));
    info.pod_ips = pod_ips(*status);
    info.ready = ready_condition(*status);
  }
  return info;
}

std::string effective_hostname(std::string_view pod_name, std::string_view spec_hostname) {
  std::string_view hostname = spec_hostname.empty() ? pod_name : spec_hostname;
  if (hostname.size() > kMaxHostnameLength) {
    hostname = hostname.substr(0, kMaxHostnameLength);
    while (!hostname.empty() && (hostname.back() == '-' || hostname.back() == '.')) {
      hostname.remove_suffix(1);
    }
  }
  return std::string(hostname);
}

std::string effective_hostname(const PodInfo& pod) {
  return effective_hostname(pod.name, pod.spec_hostname);
}

bool needs_attention(const PodInfo& pod) {
  return pod.wants_service || !pod.unread_annotation.empty();
}

bool publishes_addresses(const PodInfo& pod) {
  return !pod.pod_ips.empty() && pod.phase != PodPhase::kSucceeded &&
         pod.phase != PodPhase::kFailed;
}

AddressFamily address_family(std::string_view ip) {
  return ip.find(':') == std::string_view::npos ? AddressFamily::kIPv4 : AddressFamily::kIPv6;
}

}  // namespace hso::reconciler
