#include "hso/reconciler/sources.hpp"

#include <utility>

#include "hso/kube/request_path.hpp"
#include "hso/reconciler/plan/ownership.hpp"

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

namespace {

std::vector<OwnedObjectSource::ObjectPtr> list_all(kube::ApiClient& api, const std::string& path,
                                                   kube::ListOptions options) {
  std::vector<OwnedObjectSource::ObjectPtr> objects;
  do {
    kube::ListPage page = api.list(path, options);
    for (auto& item : page.items) {
      objects.push_back(std::make_shared<const nlohmann::json>(std::move(item)));
    }
    options.continue_token = page.continue_token;
  } while (!options.continue_token.empty());
  return objects;
}

std::vector<OwnedObjectSource::ObjectPtr> none_or_one(OwnedObjectSource::ObjectPtr object) {
  if (object == nullptr)
    return {};
  return {std::move(object)};
}

}  // namespace

std::vector<OwnedObjectSource::ObjectPtr> LiveObjectSource::find(OwnedKind kind,
                                                                 const std::string& namespace_name,
                                                                 const std::string& name) {
  switch (kind) {
    case OwnedKind::kService:
      return none_or_one(
          get_if_exists(api_, kube::object_path(kube::kServices, namespace_name, name)));
    case OwnedKind::kEndpoints:
      return none_or_one(
          get_if_exists(api_, kube::object_path(kube::kEndpoints, namespace_name, name)));
    case OwnedKind::kEndpointSlices: {
      kube::ListOptions options;
      options.label_selector = std::string(plan::kServiceNameLabel) + "=" + name;
      return list_all(api_, kube::collection_path(kube::kEndpointSlices, namespace_name),
                      std::move(options));
    }
  }
  return {};
}

}  // namespace hso::reconciler
