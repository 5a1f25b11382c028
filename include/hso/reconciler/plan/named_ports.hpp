#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

// The pod's named container ports, published as the ports of its Service and EndpointSlices so
// that CoreDNS answers SRV queries for them: _<port>._<protocol>.<hostname>.<namespace>.svc.<zone>
// (the DNS specification gives SRV records to named ports only, so unnamed ports are left out).
namespace hso::reconciler::plan {

struct NamedPort {
  std::string name;              // an IANA service name, as the API validates container ports
  std::string protocol = "TCP";  // TCP, UDP or SCTP
  std::int32_t port = 0;         // containerPort, 1..65535

  friend bool operator==(const NamedPort&, const NamedPort&) = default;
};

// spec.containers[].ports[] that have a name and a valid containerPort, sorted by name. A name,
// or a port and protocol, already taken by an earlier entry is left out: a Service refuses
// duplicates of either.
std::vector<NamedPort> named_container_ports(const nlohmann::json& pod);

// spec.ports of the Service: name, protocol, port and targetPort (the same number).
nlohmann::json service_ports(const std::vector<NamedPort>& ports);
// ports of an EndpointSlice: name, protocol, port.
nlohmann::json endpoint_slice_ports(const std::vector<NamedPort>& ports);

// Whether two port lists say the same, whatever their order and the server's defaults (protocol
// TCP, targetPort = port, an empty list as null).
bool same_service_ports(const nlohmann::json& a, const nlohmann::json& b);
bool same_endpoint_slice_ports(const nlohmann::json& a, const nlohmann::json& b);

}  // namespace hso::reconciler::plan
