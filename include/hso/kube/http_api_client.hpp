#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>

#include "hso/kube/api_client.hpp"
#include "hso/kube/backoff.hpp"
#include "hso/kube/client_config.hpp"
#include "hso/kube/connection_pool.hpp"
#include "hso/kube/credentials.hpp"
#include "hso/kube/rate_limiter.hpp"
#include "hso/kube/server_pushback.hpp"
#include "hso/kube/warning_logger.hpp"
#include "hso/util/clock.hpp"

namespace hso::kube {

std::string default_user_agent();  // k8s-pod-headless-service-operator/<version>

struct ClientOptions {
  // Client-side limit; <= 0: none, the server's Priority and Fairness (429 + Retry-After, shared
  // through `pushback`) paces the client instead.
  double qps = 0.0;
  int burst = 30;
  // Clients that share it go quiet together when the server answers 429; null: a private one.
  std::shared_ptr<ServerPushback> pushback;
  std::chrono::milliseconds timeout{30'000};  // connect, and each read and write of a request
  std::chrono::milliseconds connect_timeout{10'000};
  // Writes (create, update, patch, delete) only. When > 0, bounds connecting and each read and
  // write of every attempt, and is sent as the server-side `timeout`, so that a write let out at
  // some moment cannot land much later than that.
  std::chrono::milliseconds write_timeout{0};
  // Writes only: called after any rate-limit wait, right before each attempt (retries included) is
  // sent; throws to withhold the write. The leader election gate hangs here.
  std::function<void()> before_write;
  // Retries of 429 (any request) and of 5xx and transport failures (requests safe to repeat).
  int max_retries = 5;
  BackoffPolicy retry_backoff{std::chrono::milliseconds(200), std::chrono::milliseconds(5'000), 2.0,
                              0.5, std::chrono::milliseconds(60'000)};
  std::chrono::seconds max_retry_after{60};  // longer Retry-After values are cut to this
  std::size_t max_idle_connections = 8;
  std::chrono::milliseconds token_reread_period{std::chrono::minutes(1)};
  std::shared_ptr<RequestObserver> observer;  // may be null
  std::string user_agent = default_user_agent();
  const Clock* clock = &SystemClock::instance();
  // Ends the client's waits (rate limit, server pushback, retry back-off) at once; the request
  // then fails with TransportError. Default: never requested.
  std::stop_token stop;
};

// An HTTP answer, before it is judged.
struct HttpResponse {
  int status = 0;
  std::string body;
  std::multimap<std::string, std::string> headers;  // only those the client looks at
};

// The ApiClient over HTTP/1.1 (cpp-httplib + OpenSSL). Thread-safe: requests run concurrently
// over a pool of keep-alive connections; each watch gets a connection of its own.
class HttpApiClient final : public ApiClient {
 public:
  HttpApiClient(ClientConfig config, ClientOptions options);
  ~HttpApiClient() override;

  nlohmann::json get(const std::string& path) override;
  ListPage list(const std::string& collection_path, const ListOptions& options) override;
  void watch(const std::string& collection_path, const WatchOptions& options,
             const WatchEventHandler& on_event, std::stop_token stop) override;
  nlohmann::json create(const std::string& collection_path, const nlohmann::json& body) override;
  nlohmann::json update(const std::string& path, const nlohmann::json& body) override;
  nlohmann::json patch(const std::string& path, PatchType type, const nlohmann::json& body,
                       const PatchOptions& options = {}) override;
  void remove(const std::string& path, const DeleteOptions& options = {}) override;

  // A client for the same server that shares no rate limit, connection or credential cache with
  // this one (the lease elector's).
  std::unique_ptr<HttpApiClient> make_independent(const ClientOptions& options) const;

  const ClientConfig& config() const { return config_; }
  const ClientOptions& options() const { return options_; }

  struct Request {
    std::string method;  // GET, POST, PUT, PATCH, DELETE
    std::string path;    // with query, without the server's path prefix
    std::string body;
    std::string content_type;
    std::string verb;  // for the observer
    bool repeatable = true;
  };
  // Sends with rate limiting, authentication and retries; returns the final answer whatever its
  // status. Throws TransportError when no answer could be had.
  HttpResponse send(const Request& request);

 private:
  // Waits `delay`, or throws TransportError naming `what` when options.stop ends the wait.
  void pause(Clock::Duration delay, const std::string& what) const;
  void wait_for_pushback(const std::string& what) const;
  // One attempt: the answer, or nullopt after waiting out a transport failure worth a retry.
  std::optional<HttpResponse> attempt(const Request& request, const Credential& credential,
                                      bool may_retry, Backoff& backoff, const std::string& what);
  // Whether `response` is worth another attempt; when it is, waits (or holds the whole client)
  // for as long as the server asked or the back-off says.
  bool wait_to_retry(const Request& request, const HttpResponse& response, bool may_retry,
                     Backoff& backoff, const std::string& what);
  nlohmann::json send_for_json(const Request& request);
  void observe(const std::string& verb, const std::string& path, int code,
               std::chrono::steady_clock::duration latency) const;

  const ClientConfig config_;
  const ClientOptions options_;
  std::unique_ptr<CredentialProvider> credentials_;
  TokenBucketRateLimiter limiter_;
  std::shared_ptr<ServerPushback> pushback_;
  ConnectionPool pool_;
  WarningLogger warnings_;
};

std::unique_ptr<HttpApiClient> make_api_client(const ClientConfig& config,
                                               const ClientOptions& options = {});

}  // namespace hso::kube
