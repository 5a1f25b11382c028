#include "hso/reconciler/api_paths.hpp"

namespace hso::reconciler::paths {
namespace {

std::string join(std::string_view prefix, std::string_view namespace_name,
                 std::string_view resource) {
  std::string path(prefix);
  path += "/namespaces/";
  path += namespace_name;
  path += '/';
  path += resource;
  return path;
}

std::string join(std::string_view prefix, std::string_view namespace_name,
                 std::string_view resource, std::string_view name) {
  std::string path = join(prefix, namespace_name, resource);
  path += '/';
  path += name;
  return path;
}

constexpr std::string_view kCore = "/api/v1";
constexpr std::string_view kDiscovery = "/apis/discovery.k8s.io/v1";
constexpr std::string_view kEvents = "/apis/events.k8s.io/v1";

}  // namespace

std::string services(std::string_view ns) {
  return join(kCore, ns, "services");
}
std::string service(std::string_view ns, std::string_view name) {
  return join(kCore, ns, "services", name);
}
std::string endpoint_slices(std::string_view ns) {
  return join(kDiscovery, ns, "endpointslices");
}
std::string endpoint_slice(std::string_view ns, std::string_view name) {
  return join(kDiscovery, ns, "endpointslices", name);
}
std::string endpoints_collection(std::string_view ns) {
  return join(kCore, ns, "endpoints");
}
std::string endpoints(std::string_view ns, std::string_view name) {
  return join(kCore, ns, "endpoints", name);
}
std::string events(std::string_view ns) {
  return join(kEvents, ns, "events");
}
std::string event(std::string_view ns, std::string_view name) {
  return join(kEvents, ns, "events", name);
}

}  // namespace hso::reconciler::paths
