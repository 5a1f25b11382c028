#include "hso/reconciler/sources.hpp"

#include "hso/kube/request_path.hpp"
#include "hso/reconciler/ownership.hpp"

namespace hso::reconciler {

std::shared_ptr<const nlohmann::json> get_if_exists(kube::ApiClient& api, const std::string& path) {
  try {
    return std::make_shared<const nlohmann::json>(api.get(path));
  } catch (const kube::ApiError& error) {
    if (error.is_not_found())
      return nullptr;
    throw;
  }
}

std::shared_ptr<const nlohmann::json> LiveObjectSource::service(const std::string& namespace_name,
                                                                const std::string& name) {
  return get_if_exists(api_, kube::object_path(kube::kServices, namespace_name, name));
}

std::vector<std::shared_ptr<const nlohmann::json>> LiveObjectSource::endpoint_slices(
    const std::string& namespace_name, const std::string& service_name) {
  std::vector<std::shared_ptr<const nlohmann::json>> slices;
  kube::ListOptions options;
  options.label_selector = std::string(kServiceNameLabel) + "=" + service_name;
  do {
    kube::ListPage page =
        api_.list(kube::collection_path(kube::kEndpointSlices, namespace_name), options);
    for (auto& item : page.items) {
      slices.push_back(std::make_shared<const nlohmann::json>(std::move(item)));
    }
    options.continue_token = page.continue_token;
  } while (!options.continue_token.empty());
  return slices;
}

std::shared_ptr<const nlohmann::json> LiveObjectSource::endpoints(const std::string& namespace_name,
                                                                  const std::string& name) {
  return get_if_exists(api_, kube::object_path(kube::kEndpoints, namespace_name, name));
}

}  // namespace hso::reconciler
