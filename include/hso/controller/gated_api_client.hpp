#pragma once

#include <functional>
#include <stdexcept>

#include "hso/kube/api_client.hpp"

namespace hso::controller {

// Thrown instead of sending a write while this replica may not write.
class WriteNotAllowed : public std::runtime_error {
 public:
  WriteNotAllowed() : std::runtime_error("not the leader: write withheld") {}
};

// Passes reads through and lets writes out only while `may_write` says so, checked at the moment
// of each write. This is the single point where leadership stops the reconciler's writes.
class GatedApiClient final : public kube::ApiClient {
 public:
  GatedApiClient(kube::ApiClient& inner, std::function<bool()> may_write)
      : inner_(inner), may_write_(std::move(may_write)) {}

  nlohmann::json get(const std::string& path) override { return inner_.get(path); }
  kube::ListPage list(const std::string& path, const kube::ListOptions& options) override {
    return inner_.list(path, options);
  }
  void watch(const std::string& path, const kube::WatchOptions& options,
             const kube::WatchEventHandler& on_event, std::stop_token stop) override {
    inner_.watch(path, options, on_event, stop);
  }
  nlohmann::json create(const std::string& path, const nlohmann::json& body) override {
    check();
    return inner_.create(path, body);
  }
  nlohmann::json update(const std::string& path, const nlohmann::json& body) override {
    check();
    return inner_.update(path, body);
  }
  nlohmann::json patch(const std::string& path, kube::PatchType type, const nlohmann::json& body,
                       const kube::PatchOptions& options) override {
    check();
    return inner_.patch(path, type, body, options);
  }
  void remove(const std::string& path, const kube::DeleteOptions& options) override {
    check();
    inner_.remove(path, options);
  }

 private:
  void check() const {
    if (!may_write_())
      throw WriteNotAllowed();
  }

  kube::ApiClient& inner_;
  std::function<bool()> may_write_;
};

}  // namespace hso::controller
