#include "hso/reconciler/plan/named_ports.hpp"

#include <algorithm>
#include <set>
#include <string_view>
#include <utility>

#include "hso/util/json_access.hpp"

namespace hso::reconciler::plan {
namespace {

using nlohmann::json;

constexpr std::int64_t kMaxPort = 65535;

std::string protocol_of(const json& port) {
  std::string protocol = json_string_at(port, "protocol");
  return protocol.empty() ? "TCP" : protocol;
}

std::int64_t number_at(const json& object, std::string_view key) {
  const json& value = json_child(object, key);
  return value.is_number_integer() ? value.get<std::int64_t>() : 0;
}

// A port as both kinds of lists compare it; `with_target` adds the Service's targetPort (the
// port itself when absent, as the API server defaults it; a name stays a name).
json normalized_port(const json& port, bool with_target) {
  json normalized = {{"name", json_string_at(port, "name")},
                     {"protocol", protocol_of(port)},
                     {"port", number_at(port, "port")}};
  if (with_target) {
    const json& target = json_child(port, "targetPort");
    normalized["targetPort"] = target.is_null() ? json(number_at(port, "port")) : target;
  }
  return normalized;
}

json normalized_ports(const json& ports, bool with_target) {
  json list = json::array();
  if (ports.is_array()) {
    for (const json& port : ports)
      list.push_back(normalized_port(port, with_target));
  }
  std::sort(list.begin(), list.end());
  return list;
}

}  // namespace

std::vector<NamedPort> named_container_ports(const json& pod) {
  std::vector<NamedPort> ports;
  std::set<std::string> names;
  std::set<std::pair<std::int64_t, std::string>> numbers;
  const json& containers = json_child(json_child(pod, "spec"), "containers");
  if (!containers.is_array())
    return ports;
  for (const json& container : containers) {
    const json& list = json_child(container, "ports");
    if (!list.is_array())
      continue;
    for (const json& entry : list) {
      NamedPort port;
      port.name = json_string_at(entry, "name");
      port.protocol = protocol_of(entry);
      const std::int64_t number = number_at(entry, "containerPort");
      if (port.name.empty() || number < 1 || number > kMaxPort)
        continue;
      if (names.contains(port.name) || numbers.contains({number, port.protocol}))
        continue;
      names.insert(port.name);
      numbers.emplace(number, port.protocol);
      port.port = static_cast<std::int32_t>(number);
      ports.push_back(std::move(port));
    }
  }
  std::sort(ports.begin(), ports.end(),
            [](const NamedPort& a, const NamedPort& b) { return a.name < b.name; });
  return ports;
}

json service_ports(const std::vector<NamedPort>& ports) {
  json list = json::array();
  for (const NamedPort& port : ports) {
    list.push_back({{"name", port.name},
                    {"protocol", port.protocol},
                    {"port", port.port},
                    {"targetPort", port.port}});
  }
  return list;
}

json endpoint_slice_ports(const std::vector<NamedPort>& ports) {
  json list = json::array();
  for (const NamedPort& port : ports)
    list.push_back({{"name", port.name}, {"protocol", port.protocol}, {"port", port.port}});
  return list;
}

bool same_service_ports(const json& a, const json& b) {
  return normalized_ports(a, true) == normalized_ports(b, true);
}

bool same_endpoint_slice_ports(const json& a, const json& b) {
  return normalized_ports(a, false) == normalized_ports(b, false);
}

}  // namespace hso::reconciler::plan
