#pragma once

#include <nlohmann/json.hpp>
#include <stop_token>
#include <string>

#include "hso/kube/api_client.hpp"

namespace hso::test {

// An ApiClient that passes every call to another one. Test decorators derive from it and override
// only the calls they watch or hold up (counting pages, wedging lease requests, ...).
class ForwardingApiClient : public kube::ApiClient {
 public:
  explicit ForwardingApiClient(kube::ApiClient& inner) : inner_(inner) {}

  nlohmann::json get(const std::string& path) override { return inner_.get(path); }
  kube::ListPage list(const std::string& path, const kube::ListOptions& options) override {
    return inner_.list(path, options);
  }
  void watch(const std::string& path, const kube::WatchOptions& options,
             const kube::WatchEventHandler& on_event, std::stop_token stop) override {
    inner_.watch(path, options, on_event, stop);
  }
  nlohmann::json create(const std::string& path, const nlohmann::json& body) override {
    return inner_.create(path, body);
  }
  nlohmann::json update(const std::string& path, const nlohmann::json& body) override {
    return inner_.update(path, body);
  }
  nlohmann::json patch(const std::string& path, kube::PatchType type, const nlohmann::json& body,
                       const kube::PatchOptions& options) override {
    return inner_.patch(path, type, body, options);
  }
  void remove(const std::string& path, const kube::DeleteOptions& options) override {
    inner_.remove(path, options);
  }

 private:
  kube::ApiClient& inner_;
};

}  // namespace hso::test
