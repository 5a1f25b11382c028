#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "hso/kube/api_client.hpp"
#include "hso/reconciler/plan/pod_info.hpp"

// How the reconciler reads the world. Implementations backed by informer stores make reads free
// and are what keeps a restart with nothing changed at zero writes; the live implementation
// below asks the API server each time.
namespace hso::reconciler {

class PodSource {
 public:
  virtual ~PodSource() = default;
  // Every known pod (annotated or not) whose key_for_pod is "<namespace>/<hostname>".
  virtual std::vector<std::shared_ptr<const plan::PodInfo>> pods_for(
      const std::string& namespace_name, const std::string& hostname) = 0;
  // Every known pod whose spec.subdomain is `subdomain` (plan::subdomain_key_for_pod).
  virtual std::vector<std::shared_ptr<const plan::PodInfo>> pods_in_subdomain(
      const std::string& namespace_name, const std::string& subdomain) = 0;
};

// The owned objects a read asks for.
enum class OwnedKind {
  kService,         // the Service with this name
  kEndpointSlices,  // the EndpointSlices labelled kubernetes.io/service-name=<name>
  kEndpoints,       // the core/v1 Endpoints with this name
};

// Objects as the API server returned them (whole objects, or at least their reconciled_fields,
// owned_fields.hpp). A stale answer is fine: writes carry resourceVersion or uid
// preconditions and are retried. An implementation answers one question, find(); the reconciler
// asks it through the three named reads.
class OwnedObjectSource {
 public:
  using ObjectPtr = std::shared_ptr<const nlohmann::json>;

  virtual ~OwnedObjectSource() = default;

  // What `kind` names in the namespace: none or one object for kService and kEndpoints, any number
  // of slices for kEndpointSlices.
  virtual std::vector<ObjectPtr> find(OwnedKind kind, const std::string& namespace_name,
                                      const std::string& name) = 0;

  // The Service with this name. An implementation that only caches the operator's labelled
  // Services may return null for someone else's: before creating, the reconciler confirms an
  // absence with a GET.
  ObjectPtr service(const std::string& namespace_name, const std::string& name) {
    return first(find(OwnedKind::kService, namespace_name, name));
  }
  // The EndpointSlices labelled kubernetes.io/service-name=<service_name> (at least the
  // operator's own).
  std::vector<ObjectPtr> endpoint_slices(const std::string& namespace_name,
                                         const std::string& service_name) {
    return find(OwnedKind::kEndpointSlices, namespace_name, service_name);
  }
  // The core/v1 Endpoints with this name (at least when labelled as the operator's). When a
  // legacy Service is adopted, the reconciler looks for unlabelled ones with a GET.
  ObjectPtr endpoints(const std::string& namespace_name, const std::string& name) {
    return first(find(OwnedKind::kEndpoints, namespace_name, name));
  }

 private:
  static ObjectPtr first(std::vector<ObjectPtr> found) {
    return found.empty() ? nullptr : std::move(found.front());
  }
};

// Reads straight from the API server: correct but costs requests; for tests and as a fallback.
class LiveObjectSource final : public OwnedObjectSource {
 public:
  explicit LiveObjectSource(kube::ApiClient& api) : api_(api) {}

  std::vector<ObjectPtr> find(OwnedKind kind, const std::string& namespace_name,
                              const std::string& name) override;

 private:
  kube::ApiClient& api_;
};

// GET that answers null on 404.
std::shared_ptr<const nlohmann::json> get_if_exists(kube::ApiClient& api, const std::string& path);

}  // namespace hso::reconciler
