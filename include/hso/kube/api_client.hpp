#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <stop_token>
#include <string>

#include "hso/kube/errors.hpp"

namespace hso::kube {

// Paths are raw API paths, e.g. "/api/v1/namespaces/default/services" (a collection) or
// "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/foo" (an object), optionally
// with a subresource ("/api/v1/namespaces/default/pods/foo/status").

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  std::int64_t limit = 500;  // page size; 0 means no paging
  std::string continue_token;
  std::string resource_version;
};

struct ListPage {
  nlohmann::json items = nlohmann::json::array();
  std::string resource_version;  // of the list; watch from here once the last page is read
  std::string continue_token;    // empty on the last page
};

struct WatchOptions {
  std::string label_selector;
  std::string field_selector;
  std::string resource_version;
  bool allow_bookmarks = true;
  std::chrono::seconds timeout{300};  // server-side timeoutSeconds
  // A streaming list (KEP-3157): the stream starts with the collection's current state as ADDED
  // events and a BOOKMARK annotated k8s.io/initial-events-end, at least as new as
  // resource_version (empty: a consistent read). Servers that do not offer it answer 4xx.
  bool send_initial_events = false;
};

inline constexpr const char* kInitialEventsEndAnnotation = "k8s.io/initial-events-end";

struct WatchEvent {
  enum class Type { kAdded, kModified, kDeleted, kBookmark };
  Type type;
  nlohmann::json object;
};

// Return false to end the watch early.
using WatchEventHandler = std::function<bool(WatchEvent&& event)>;

enum class PatchType { kMerge, kStrategicMerge, kJsonPatch, kApply };

struct PatchOptions {
  std::string field_manager;  // required for kApply
  bool force = false;         // kApply only
};

struct DeleteOptions {
  std::string precondition_uid;
  std::string precondition_resource_version;
  std::string propagation_policy;  // "", "Background", "Foreground", "Orphan"
};

// Everything the operator asks of the API server goes through this interface. Errors are thrown:
// ApiError for an HTTP answer that is not a success, TransportError when there is no answer.
class ApiClient {
 public:
  virtual ~ApiClient() = default;

  virtual nlohmann::json get(const std::string& path) = 0;
  // One page; callers loop on continue_token.
  virtual ListPage list(const std::string& collection_path, const ListOptions& options) = 0;
  // Streams events until the server ends the stream (returns normally), the handler returns
  // false, or `stop` is requested (returns promptly, without waiting for the server). An ERROR
  // event is thrown as ApiError (410 Gone included).
  virtual void watch(const std::string& collection_path, const WatchOptions& options,
                     const WatchEventHandler& on_event, std::stop_token stop) = 0;
  virtual nlohmann::json create(const std::string& collection_path, const nlohmann::json& body) = 0;
  // PUT; the body carries metadata.resourceVersion for optimistic concurrency.
  virtual nlohmann::json update(const std::string& path, const nlohmann::json& body) = 0;
  virtual nlohmann::json patch(const std::string& path, PatchType type, const nlohmann::json& body,
                               const PatchOptions& options = {}) = 0;
  virtual void remove(const std::string& path, const DeleteOptions& options = {}) = 0;
};

// Told about every request the client makes, for metrics.
class RequestObserver {
 public:
  virtual ~RequestObserver() = default;
  // verb: get, list, watch, create, update, patch, delete. resource: e.g. "services",
  // "endpointslices", "leases". code: HTTP status, or 0 when there was no answer.
  virtual void on_request(std::string_view verb, std::string_view resource, int code,
                          std::chrono::duration<double> latency) = 0;
};

}  // namespace hso::kube
