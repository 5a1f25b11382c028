#include "hso/kube/http_api_client.hpp"

#include <httplib.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>

#include "hso/build_info.hpp"
#include "hso/kube/errors.hpp"
#include "hso/kube/request_path.hpp"
#include "hso/kube/status_error.hpp"
#include "hso/kube/watch_decoder.hpp"
#include "hso/util/json_access.hpp"
#include "hso/util/stop_wait.hpp"

namespace hso::kube {
namespace {

constexpr std::size_t kMaxErrorBodyBytes = 1u << 20;

bool is_success(int status) {
  return status >= 200 && status < 300;
}

httplib::Headers request_headers(const Credential& credential, const std::string& user_agent,
                                 const std::string& content_type) {
  httplib::Headers headers{{"User-Agent", user_agent}, {"Accept", "application/json"}};
  if (!credential.bearer_token.empty()) {
    headers.emplace("Authorization", "Bearer " + credential.bearer_token);
  }
  if (!content_type.empty())
    headers.emplace("Content-Type", content_type);
  return headers;
}

std::string header_value(const httplib::Response& response, const char* name) {
  return response.has_header(name) ? response.get_header_value(name) : std::string();
}

void log_warnings(const httplib::Response& response, WarningLogger& warnings) {
  const std::size_t count = response.get_header_value_count("Warning");
  for (std::size_t i = 0; i < count; ++i) {
    warnings.handle(response.get_header_value("Warning", i));
  }
}

bool same_credential(const Credential& a, const Credential& b) {
  return a.bearer_token == b.bearer_token && a.identity == b.identity;
}

const char* patch_content_type(PatchType type) {
  switch (type) {
    case PatchType::kMerge:
      return "application/merge-patch+json";
    case PatchType::kStrategicMerge:
      return "application/strategic-merge-patch+json";
    case PatchType::kJsonPatch:
      return "application/json-patch+json";
    case PatchType::kApply:
      return "application/apply-patch+yaml";
  }
  return "application/merge-patch+json";
}

std::optional<WatchEvent::Type> watch_event_type(std::string_view type) {
  if (type == "ADDED")
    return WatchEvent::Type::kAdded;
  if (type == "MODIFIED")
    return WatchEvent::Type::kModified;
  if (type == "DELETED")
    return WatchEvent::Type::kDeleted;
  if (type == "BOOKMARK")
    return WatchEvent::Type::kBookmark;
  return std::nullopt;
}

nlohmann::json parse_body(const std::string& body, const std::string& what) {
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded())
    throw TransportError(what + ": the answer is not valid JSON");
  return parsed;
}

std::string ca_field_hint(const ClientConfig& config) {
  if (config.origin == "in-cluster")
    return "the ServiceAccount's ca.crt must be the cluster's CA";
  return "set certificate-authority or certificate-authority-data of the cluster in " +
         (config.origin.empty() ? std::string("the kubeconfig") : config.origin);
}

// The handshake failed because the server's certificate is not trusted: httplib reports that as
// a failed TLS connection, with OpenSSL's verification result beside it.
std::optional<long> certificate_verify_failure(httplib::Error error,
                                               httplib::ClientImpl& connection) {
  if (error != httplib::Error::SSLConnection && error != httplib::Error::SSLServerVerification)
    return std::nullopt;
  auto* tls = dynamic_cast<httplib::SSLClient*>(&connection);
  if (tls == nullptr || tls->get_openssl_verify_result() == X509_V_OK)
    return std::nullopt;
  return tls->get_openssl_verify_result();
}

// What went wrong on the way to the API server, said so that the reader knows what to change.
std::string describe_transport_failure(httplib::Error error, httplib::ClientImpl& connection,
                                       const ClientConfig& config) {
  const std::string server = config.server_url();
  const std::string source = config.origin.empty() ? std::string("the kubeconfig") : config.origin;
  if (const auto verify = certificate_verify_failure(error, connection)) {
    return "the API server's TLS certificate at " + server + " is not trusted (" +
           X509_verify_cert_error_string(*verify) + "): " + ca_field_hint(config);
  }
  switch (error) {
    case httplib::Error::SSLConnection:
      // OpenSSL ends the handshake on an untrusted certificate before httplib can read why.
      return "no TLS handshake with " + server + ": if its certificate is not trusted, " +
             ca_field_hint(config) +
             "; also check that it is an HTTPS API server and that the client certificate is "
             "valid";
    case httplib::Error::Connection:
      return "cannot connect to " + server +
             " (refused or unreachable): check the server address of " + source;
    case httplib::Error::ConnectionTimeout:
      return "connecting to " + server + " timed out";
    default:
      return httplib::to_string(error) + " talking to " + server;
  }
}

// Failures a retry cannot mend: the answer would be the same.
bool is_permanent(httplib::Error error, httplib::ClientImpl& connection) {
  return error == httplib::Error::SSLLoadingCerts ||
         certificate_verify_failure(error, connection).has_value();
}

// TLS shutdown on a socket the peer (or a cancelled watch) already closed writes to it; that must
// be an error return, not a process-killing SIGPIPE. OpenSSL writes with write(2), which has no
// per-call way to suppress the signal, so it is ignored process-wide.
void ignore_sigpipe() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (std::signal(SIGPIPE, SIG_IGN) == SIG_ERR)
      spdlog::warn("cannot ignore SIGPIPE: a peer closing a TLS connection may end the process");
  });
}

}  // namespace

std::string default_user_agent() {
  return std::string(build_info::kProgramName) + "/" + build_info::kVersion;
}

HttpApiClient::HttpApiClient(ClientConfig config, ClientOptions options)
    : config_(std::move(config)),
      options_(std::move(options)),
      credentials_(make_credential_provider(
          config_, CredentialOptions{options_.clock, options_.token_reread_period})),
      limiter_(options_.qps, options_.burst, *options_.clock),
      pushback_(options_.pushback ? options_.pushback
                                  : std::make_shared<ServerPushback>(*options_.clock)),
      pool_(config_, ConnectionSettings{options_.connect_timeout, options_.timeout,
                                        options_.max_idle_connections}) {
  ignore_sigpipe();
}

HttpApiClient::~HttpApiClient() = default;

std::unique_ptr<HttpApiClient> HttpApiClient::make_independent(const ClientOptions& options) const {
  return std::make_unique<HttpApiClient>(config_, options);
}

void HttpApiClient::observe(const std::string& verb, const std::string& path, int code,
                            std::chrono::steady_clock::duration latency) const {
  if (!options_.observer)
    return;
  try {
    options_.observer->on_request(verb, resource_of_path(path), code,
                                  std::chrono::duration<double>(latency));
  } catch (const std::exception& e) {
    spdlog::debug("request observer failed: {}", e.what());
  }
}

void HttpApiClient::pause(Clock::Duration delay, const std::string& what) const {
  if (!sleep_for(delay, options_.stop))
    throw TransportError(what + ": stopped while waiting to send");
}

void HttpApiClient::wait_for_pushback(const std::string& what) const {
  const Clock::Duration hold = pushback_->remaining();
  if (hold > Clock::Duration::zero())
    pause(hold, what);
}

HttpResponse HttpApiClient::send(const Request& request) {
  Backoff backoff(options_.retry_backoff, *options_.clock);
  const std::string what = request.method + " " + request.path;
  const bool write = request.method != "GET";
  bool reauthenticated = false;
  for (int attempt_number = 0;; ++attempt_number) {
    wait_for_pushback(what);
    if (!limiter_.acquire(options_.stop))
      throw TransportError(what + ": stopped while waiting to send");
    if (write && options_.before_write)
      options_.before_write();
    const Credential credential = credentials_->current();
    const bool may_retry = attempt_number < options_.max_retries;
    std::optional<HttpResponse> response = attempt(request, credential, may_retry, backoff, what);
    if (!response)
      continue;
    if (response->status == 401 && !reauthenticated) {
      reauthenticated = true;
      credentials_->on_unauthorized();
      if (!same_credential(credential, credentials_->current())) {
        --attempt_number;  // a fresh credential is not a retry
        continue;
      }
    }
    if (!wait_to_retry(request, *response, may_retry, backoff, what))
      return std::move(*response);
  }
}

std::optional<HttpResponse> HttpApiClient::attempt(const Request& request,
                                                   const Credential& credential, bool may_retry,
                                                   Backoff& backoff, const std::string& what) {
  const bool bounded_write = request.method != "GET" && options_.write_timeout.count() > 0;
  ConnectionPool::Connection connection = pool_.checkout(credential.identity);
  // Pooled connections serve reads and writes alike, so every request sets its own bounds.
  connection->set_connection_timeout(bounded_write ? options_.write_timeout
                                                   : options_.connect_timeout);
  connection->set_read_timeout(bounded_write ? options_.write_timeout : options_.timeout);
  connection->set_write_timeout(bounded_write ? options_.write_timeout : options_.timeout);

  httplib::Request http_request;
  http_request.method = request.method;
  http_request.path = config_.path_prefix + request.path;
  if (bounded_write) {
    http_request.path =
        with_query(std::move(http_request.path),
                   {{"timeout", std::to_string(options_.write_timeout.count()) + "ms"}});
  }
  http_request.headers = request_headers(credential, options_.user_agent, request.content_type);
  http_request.body = request.body;

  const auto started = std::chrono::steady_clock::now();
  httplib::Result result = connection->send(http_request);
  const auto latency = std::chrono::steady_clock::now() - started;

  if (!result) {
    observe(request.verb, request.path, 0, latency);
    const std::string error = describe_transport_failure(result.error(), *connection, config_);
    if (!request.repeatable || !may_retry || is_permanent(result.error(), *connection))
      throw TransportError(what + ": " + error);
    const auto delay = backoff.next();
    spdlog::debug("{}: {}; retrying in {} ms", what, error,
                  std::chrono::duration_cast<std::chrono::milliseconds>(delay).count());
    pause(delay, what);
    return std::nullopt;
  }
  pool_.checkin(std::move(connection), credential.identity);
  observe(request.verb, request.path, result->status, latency);
  log_warnings(*result, warnings_);

  HttpResponse response;
  response.status = result->status;
  response.body = std::move(result->body);
  if (result->has_header("Retry-After")) {
    response.headers.emplace("Retry-After", result->get_header_value("Retry-After"));
  }
  return response;
}

bool HttpApiClient::wait_to_retry(const Request& request, const HttpResponse& response,
                                  bool may_retry, Backoff& backoff, const std::string& what) {
  const auto header = response.headers.find("Retry-After");
  const auto retry_after =
      parse_retry_after(header == response.headers.end() ? std::string() : header->second);
  const bool throttled = response.status == 429;
  const bool server_failed = response.status >= 500;
  if (!may_retry || !(throttled || (server_failed && (request.repeatable || retry_after))))
    return false;
  Clock::Duration delay = backoff.next();
  if (retry_after) {
    delay = std::min<Clock::Duration>(*retry_after, options_.max_retry_after);
  }
  if (throttled) {
    // The whole client waits, not only this request: its other workers would only collect
    // 429s of their own.
    pushback_->hold_for(delay);
    delay = Clock::Duration::zero();
  }
  spdlog::debug("{}: HTTP {}; retrying in {} ms", what, response.status,
                std::chrono::duration_cast<std::chrono::milliseconds>(delay).count());
  if (delay > Clock::Duration::zero())
    pause(delay, what);
  return true;
}

nlohmann::json HttpApiClient::send_for_json(const Request& request) {
  HttpResponse response = send(request);
  if (!is_success(response.status)) {
    auto retry_after = response.headers.find("Retry-After");
    throw api_error_from_response(
        response.status, response.body,
        retry_after == response.headers.end() ? std::string_view() : retry_after->second);
  }
  if (response.body.empty())
    return nlohmann::json::object();
  return parse_body(response.body, request.method + " " + request.path);
}

nlohmann::json HttpApiClient::get(const std::string& path) {
  return send_for_json(Request{"GET", path, {}, {}, "get", true});
}

ListPage HttpApiClient::list(const std::string& collection_path, const ListOptions& options) {
  const std::string path =
      with_query(collection_path,
                 {{"labelSelector", options.label_selector},
                  {"fieldSelector", options.field_selector},
                  {"limit", options.limit > 0 ? std::to_string(options.limit) : std::string()},
                  {"continue", options.continue_token},
                  {"resourceVersion", options.resource_version}});
  nlohmann::json body = send_for_json(Request{"GET", path, {}, {}, "list", true});
  ListPage page;
  if (auto items = body.find("items"); items != body.end() && items->is_array()) {
    page.items = std::move(*items);
  }
  page.resource_version = metadata_string(body, "resourceVersion");
  page.continue_token = metadata_string(body, "continue");
  return page;
}

nlohmann::json HttpApiClient::create(const std::string& collection_path,
                                     const nlohmann::json& body) {
  return send_for_json(
      Request{"POST", collection_path, body.dump(), "application/json", "create", false});
}

nlohmann::json HttpApiClient::update(const std::string& path, const nlohmann::json& body) {
  return send_for_json(Request{"PUT", path, body.dump(), "application/json", "update", true});
}

nlohmann::json HttpApiClient::patch(const std::string& path, PatchType type,
                                    const nlohmann::json& body, const PatchOptions& options) {
  if (type == PatchType::kApply && options.field_manager.empty()) {
    throw std::invalid_argument("server-side apply needs a field manager");
  }
  const std::string full_path =
      with_query(path, {{"fieldManager", options.field_manager},
                        {"force", type == PatchType::kApply && options.force ? "true" : ""}});
  return send_for_json(Request{"PATCH", full_path, body.dump(), patch_content_type(type), "patch",
                               type != PatchType::kJsonPatch});
}

void HttpApiClient::remove(const std::string& path, const DeleteOptions& options) {
  nlohmann::json body = {{"apiVersion", "v1"}, {"kind", "DeleteOptions"}};
  if (!options.precondition_uid.empty())
    body["preconditions"]["uid"] = options.precondition_uid;
  if (!options.precondition_resource_version.empty()) {
    body["preconditions"]["resourceVersion"] = options.precondition_resource_version;
  }
  if (!options.propagation_policy.empty()) {
    body["propagationPolicy"] = options.propagation_policy;
  }
  send_for_json(Request{"DELETE", path, body.dump(), "application/json", "delete", true});
}

namespace {

std::string watch_path(const std::string& collection_path, const WatchOptions& options,
                       std::chrono::seconds server_timeout) {
  return with_query(
      collection_path,
      {{"watch", "true"},
       {"labelSelector", options.label_selector},
       {"fieldSelector", options.field_selector},
       {"resourceVersion", options.resource_version},
       {"allowWatchBookmarks", options.allow_bookmarks ? "true" : ""},
       {"sendInitialEvents", options.send_initial_events ? "true" : ""},
       {"resourceVersionMatch", options.send_initial_events ? "NotOlderThan" : ""},
       {"timeoutSeconds",
        server_timeout.count() > 0 ? std::to_string(server_timeout.count()) : std::string()}});
}

// One watch stream between httplib's callbacks: the answer's status, then its bytes, decoded
// into events for the handler (or kept as the error body when the status is not 200).
class WatchStream {
 public:
  WatchStream(const std::string& what, const WatchEventHandler& on_event)
      : what_(what), on_event_(on_event) {}

  std::atomic<bool> cancelled{false};
  int status = 0;
  std::string retry_after;
  std::string error_body;
  bool handler_stopped = false;
  std::exception_ptr failure;
  WatchStreamDecoder decoder;

  bool on_bytes(const char* data, std::size_t size) {
    if (cancelled)
      return false;
    if (status != 200) {
      if (error_body.size() < kMaxErrorBodyBytes)
        error_body.append(data, size);
      return true;
    }
    try {
      return decoder.feed({data, size}, [this](RawWatchEvent&& raw) { return deliver(raw); });
    } catch (const WatchDecodeError& e) {
      failure = std::make_exception_ptr(TransportError(what_ + ": " + e.what()));
    } catch (...) {
      failure = std::current_exception();
    }
    return false;
  }

 private:
  bool deliver(RawWatchEvent& raw) {
    if (raw.type == "ERROR")
      throw api_error_from_status(raw.object, 500);
    const auto type = watch_event_type(raw.type);
    if (!type) {
      spdlog::debug("{}: ignoring event of type {}", what_, raw.type);
      return true;
    }
    if (!on_event_(WatchEvent{*type, std::move(raw.object)})) {
      handler_stopped = true;
      return false;
    }
    return !cancelled.load();
  }

  const std::string& what_;
  const WatchEventHandler& on_event_;
};

}  // namespace

void HttpApiClient::watch(const std::string& collection_path, const WatchOptions& options,
                          const WatchEventHandler& on_event, std::stop_token stop) {
  if (!limiter_.acquire(stop))
    return;
  const auto server_timeout = std::max(options.timeout, std::chrono::seconds(0));
  const std::string path = watch_path(collection_path, options, server_timeout);
  const std::string what = "watch " + path;
  const Credential credential = credentials_->current();
  // No read may block longer than the server's own deadline plus a margin: a silent, dead
  // connection then ends instead of hanging.
  const auto read_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
      (server_timeout.count() > 0 ? server_timeout : std::chrono::seconds(600)) +
      std::chrono::seconds(30));
  ConnectionPool::Connection connection = pool_.make_dedicated(credential.identity, read_timeout);
  httplib::ClientImpl* raw_connection = connection.get();

  WatchStream stream(what, on_event);
  // Shutting the socket down makes a blocked read return at once.
  std::stop_callback on_stop(stop, [&] {
    stream.cancelled = true;
    raw_connection->stop();
  });
  if (stream.cancelled)
    return;

  const auto started = std::chrono::steady_clock::now();
  auto on_response = [&](const httplib::Response& response) {
    stream.status = response.status;
    stream.retry_after = header_value(response, "Retry-After");
    observe("watch", collection_path, stream.status, std::chrono::steady_clock::now() - started);
    log_warnings(response, warnings_);
    return !stream.cancelled.load();
  };
  httplib::Result result = connection->Get(
      config_.path_prefix + path, request_headers(credential, options_.user_agent, {}), on_response,
      [&stream](const char* data, std::size_t size) { return stream.on_bytes(data, size); });
  if (stream.failure)
    std::rethrow_exception(stream.failure);
  if (stream.cancelled || stream.handler_stopped)
    return;
  if (!result) {
    if (stream.status == 0) {
      observe("watch", collection_path, 0, std::chrono::steady_clock::now() - started);
    }
    throw TransportError(what + ": " +
                         describe_transport_failure(result.error(), *connection, config_));
  }
  if (stream.status == 401)
    credentials_->on_unauthorized();
  if (stream.status != 200)
    throw api_error_from_response(stream.status, stream.error_body, stream.retry_after);
  if (stream.decoder.has_partial_event())
    throw TransportError(what + ": stream ended inside an event");
}

std::unique_ptr<HttpApiClient> make_api_client(const ClientConfig& config,
                                               const ClientOptions& options) {
  return std::make_unique<HttpApiClient>(config, options);
}

}  // namespace hso::kube
