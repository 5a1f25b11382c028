#pragma once

#include <gmock/gmock.h>

#include "hso/kube/api_client.hpp"

namespace hso::test {

// A GoogleMock stand-in for the API server client, for unit tests of one component.
class MockApiClient : public kube::ApiClient {
 public:
  MOCK_METHOD(nlohmann::json, get, (const std::string& path), (override));
  MOCK_METHOD(kube::ListPage, list,
              (const std::string& collection_path, const kube::ListOptions& options), (override));
  MOCK_METHOD(void, watch,
              (const std::string& collection_path, const kube::WatchOptions& options,
               const kube::WatchEventHandler& on_event, std::stop_token stop),
              (override));
  MOCK_METHOD(nlohmann::json, create,
              (const std::string& collection_path, const nlohmann::json& body), (override));
  MOCK_METHOD(nlohmann::json, update, (const std::string& path, const nlohmann::json& body),
              (override));
  MOCK_METHOD(nlohmann::json, patch,
              (const std::string& path, kube::PatchType type, const nlohmann::json& body,
               const kube::PatchOptions& options),
              (override));
  MOCK_METHOD(void, remove, (const std::string& path, const kube::DeleteOptions& options),
              (override));
};

}  // namespace hso::test
