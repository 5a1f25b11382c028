// The HTTP behaviour of HttpApiClient (retries, Retry-After, cancellation, headers, credential
// refresh) against a scripted loopback HTTP server. The API semantics themselves are covered by
// the integration tests against the real kube-apiserver.
#include "hso/kube/http_api_client.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>

#include "hso/http/tls_identity.hpp"
#include "hso/kube/errors.hpp"
#include "hso/kube/exec_credential.hpp"
#include "hso/kube/warning_logger.hpp"
#include "hso/util/time_format.hpp"
#include "support/wait.hpp"

namespace hso::kube {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

class LoopbackServer {
 public:
  LoopbackServer() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running())
      std::this_thread::sleep_for(1ms);
  }
  ~LoopbackServer() {
    closing_ = true;
    server_.stop();
    thread_.join();
  }
  httplib::Server& server() { return server_; }
  int port() const { return port_; }
  bool closing() const { return closing_; }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::atomic<bool> closing_{false};
  std::thread thread_;
};

struct Recorded {
  std::string method;
  std::string path;
  std::string query;
  std::string body;
  std::string content_type;
  std::string authorization;
  std::string user_agent;
};

class RecordingObserver final : public RequestObserver {
 public:
  void on_request(std::string_view verb, std::string_view resource, int code,
                  std::chrono::duration<double>) override {
    std::lock_guard lock(mutex);
    calls.push_back(std::string(verb) + " " + std::string(resource) + " " + std::to_string(code));
  }
  std::mutex mutex;
  std::vector<std::string> calls;
};

class HttpClientTest : public ::testing::Test {
 protected:
  ClientConfig config() const {
    ClientConfig c;
    c.scheme = "http";
    c.host = "127.0.0.1";
    c.port = server_.port();
    c.token = "secret";
    c.origin = "test";
    return c;
  }
  ClientOptions fast_options() {
    ClientOptions options;
    options.qps = 0;
    options.timeout = 2s;
    options.retry_backoff = BackoffPolicy{1ms, 5ms, 2.0, 0.0, 60s};
    options.observer = observer_;
    return options;
  }
  void record(const httplib::Request& req) {
    std::lock_guard lock(mutex_);
    std::string query;
    for (const auto& [k, v] : req.params)
      query += k + "=" + v + ";";
    recorded_.push_back(
        Recorded{req.method, req.path, query, req.body, req.get_header_value("Content-Type"),
                 req.get_header_value("Authorization"), req.get_header_value("User-Agent")});
  }
  std::vector<Recorded> recorded() {
    std::lock_guard lock(mutex_);
    return recorded_;
  }

  LoopbackServer server_;
  std::shared_ptr<RecordingObserver> observer_ = std::make_shared<RecordingObserver>();
  std::mutex mutex_;
  std::vector<Recorded> recorded_;
};

const char* kServiceJson = R"({"kind":"Service","metadata":{"name":"a","resourceVersion":"5"}})";

// What Priority and Fairness answers a request it rejects; retry_after_seconds 0 sends no header.
void answer_too_many_requests(httplib::Response& res, int retry_after_seconds) {
  res.status = 429;
  if (retry_after_seconds > 0)
    res.set_header("Retry-After", std::to_string(retry_after_seconds));
  res.set_content(R"({"kind":"Status","reason":"TooManyRequests","code":429})", "application/json");
}

TEST_F(HttpClientTest, GetSendsIdentityAndDecodes) {
  server_.server().Get("/api/v1/namespaces/ns/services/a", [&](const auto& req, auto& res) {
    record(req);
    res.set_content(kServiceJson, "application/json");
  });
  auto client = make_api_client(config(), fast_options());
  const auto service = client->get("/api/v1/namespaces/ns/services/a");
  EXPECT_EQ(service["metadata"]["resourceVersion"], "5");
  ASSERT_EQ(recorded().size(), 1u);
  EXPECT_EQ(recorded()[0].authorization, "Bearer secret");
  EXPECT_THAT(recorded()[0].user_agent, HasSubstr("k8s-pod-headless-service-operator/"));
  EXPECT_EQ(observer_->calls, std::vector<std::string>{"get services 200"});
}

TEST_F(HttpClientTest, ErrorsAreTyped) {
  server_.server().Get("/api/v1/namespaces/ns/services/missing", [](const auto&, auto& res) {
    res.status = 404;
    res.set_content(
        R"({"kind":"Status","reason":"NotFound","message":"services \"missing\" not found","code":404})",
        "application/json");
  });
  auto client = make_api_client(config(), fast_options());
  try {
    client->get("/api/v1/namespaces/ns/services/missing");
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_TRUE(e.is_not_found());
    EXPECT_THAT(e.status_message(), HasSubstr("not found"));
  }
}

TEST_F(HttpClientTest, RetriesTooManyRequestsHonouringRetryAfter) {
  std::atomic<int> calls{0};
  server_.server().Post("/api/v1/namespaces/ns/services", [&](const auto& req, auto& res) {
    record(req);
    if (calls++ == 0) {
      answer_too_many_requests(res, 1);
      return;
    }
    res.status = 201;
    res.set_content(kServiceJson, "application/json");
  });
  auto client = make_api_client(config(), fast_options());
  const auto started = std::chrono::steady_clock::now();
  client->create("/api/v1/namespaces/ns/services", {{"metadata", {{"name", "a"}}}});
  EXPECT_GE(std::chrono::steady_clock::now() - started, 950ms);
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(observer_->calls,
            (std::vector<std::string>{"create services 429", "create services 201"}));
}

TEST_F(HttpClientTest, A429HoldsEveryRequestOfTheSharingClients) {
  std::mutex mutex;
  std::condition_variable throttled;
  std::optional<std::chrono::steady_clock::time_point> throttled_at;
  std::optional<std::chrono::steady_clock::time_point> read_at;
  std::atomic<int> creates{0};
  server_.server().Post("/api/v1/namespaces/ns/services", [&](const auto&, auto& res) {
    if (creates++ == 0) {
      {
        std::lock_guard lock(mutex);
        throttled_at = std::chrono::steady_clock::now();
      }
      throttled.notify_all();
      answer_too_many_requests(res, 1);
      return;
    }
    res.status = 201;
    res.set_content(kServiceJson, "application/json");
  });
  server_.server().Get("/api/v1/namespaces/ns/services/a", [&](const auto&, auto& res) {
    {
      std::lock_guard lock(mutex);
      read_at = std::chrono::steady_clock::now();
    }
    res.set_content(kServiceJson, "application/json");
  });
  ClientOptions options = fast_options();
  options.pushback = std::make_shared<ServerPushback>();
  auto writer = make_api_client(config(), options);
  auto reader = writer->make_independent(options);

  std::thread create([&] { writer->create("/api/v1/namespaces/ns/services", {}); });
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(throttled.wait_for(lock, 10s, [&] { return throttled_at.has_value(); }));
  }
  // The server has sent the 429; wait until the writer's client has read it.
  ASSERT_TRUE(test::wait_until([&] { return options.pushback->remaining() > 0ms; }, 10s, 1ms));
  reader->get("/api/v1/namespaces/ns/services/a");
  create.join();
  std::lock_guard lock(mutex);
  ASSERT_TRUE(read_at);
  // The reader was never told 429 itself, yet it waited out the Retry-After the writer got.
  EXPECT_GE(*read_at - *throttled_at, 950ms);
  EXPECT_EQ(creates, 2);
}

TEST_F(HttpClientTest, ServerErrorsRetriedOnlyWhenSafe) {
  std::atomic<int> gets{0};
  std::atomic<int> posts{0};
  server_.server().Get("/api/v1/pods", [&](const auto&, auto& res) {
    if (gets++ < 2) {
      res.status = 503;
      return;
    }
    res.set_content(R"({"items":[],"metadata":{"resourceVersion":"9"}})", "application/json");
  });
  server_.server().Post("/api/v1/pods", [&](const auto&, auto& res) {
    ++posts;
    res.status = 500;
    res.set_content(R"({"kind":"Status","reason":"InternalError","code":500})", "application/json");
  });
  auto client = make_api_client(config(), fast_options());
  EXPECT_EQ(client->list("/api/v1/pods", {}).resource_version, "9");
  EXPECT_EQ(gets, 3);
  try {
    client->create("/api/v1/pods", nlohmann::json::object());
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), 500);
    EXPECT_TRUE(e.is_retryable());
  }
  EXPECT_EQ(posts, 1);
}

TEST_F(HttpClientTest, GivesUpAfterMaxRetries) {
  std::atomic<int> gets{0};
  server_.server().Get("/api/v1/pods", [&](const auto&, auto& res) {
    ++gets;
    res.status = 429;
  });
  auto options = fast_options();
  options.max_retries = 3;
  auto client = make_api_client(config(), options);
  try {
    client->list("/api/v1/pods", {});
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_TRUE(e.is_too_many_requests());
  }
  EXPECT_EQ(gets, 4);
}

TEST_F(HttpClientTest, EveryRequestHasATimeout) {
  server_.server().Post("/api/v1/pods", [&](const auto&, auto& res) {
    for (int i = 0; i < 300 && !server_.closing(); ++i)
      std::this_thread::sleep_for(10ms);
    res.status = 201;
  });
  auto options = fast_options();
  options.timeout = 300ms;
  auto client = make_api_client(config(), options);
  const auto started = std::chrono::steady_clock::now();
  EXPECT_THROW(client->create("/api/v1/pods", nlohmann::json::object()), TransportError);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2500ms);
  EXPECT_EQ(observer_->calls, std::vector<std::string>{"create pods 0"});
}

TEST_F(HttpClientTest, EveryWriteAttemptAsksBeforeWriteAndReadsDoNot) {
  std::atomic<int> posts{0};
  server_.server().Post("/api/v1/namespaces/ns/services", [&](const auto&, auto& res) {
    if (posts++ == 0) {
      answer_too_many_requests(res, 0);
      return;
    }
    res.status = 201;
    res.set_content(kServiceJson, "application/json");
  });
  server_.server().Get("/api/v1/namespaces/ns/services/a", [&](const auto&, auto& res) {
    res.set_content(kServiceJson, "application/json");
  });
  std::atomic<int> asked{0};
  auto options = fast_options();
  options.before_write = [&asked] { ++asked; };
  auto client = make_api_client(config(), options);
  client->get("/api/v1/namespaces/ns/services/a");
  EXPECT_EQ(asked, 0);
  client->create("/api/v1/namespaces/ns/services", {{"metadata", {{"name", "a"}}}});
  EXPECT_EQ(posts, 2);
  EXPECT_EQ(asked, 2);  // the retry asked again
}

TEST_F(HttpClientTest, WithheldWriteIsNeverSent) {
  std::atomic<int> requests{0};
  server_.server().Delete("/api/v1/namespaces/ns/services/a",
                          [&](const auto&, auto& res) { ++requests, res.status = 200; });
  auto options = fast_options();
  options.before_write = [] { throw std::runtime_error("not the leader"); };
  auto client = make_api_client(config(), options);
  EXPECT_THROW(client->remove("/api/v1/namespaces/ns/services/a"), std::runtime_error);
  EXPECT_EQ(requests, 0);
  EXPECT_TRUE(observer_->calls.empty());
}

TEST_F(HttpClientTest, WriteTimeoutBoundsWritesOnlyAndIsSentToTheServer) {
  // The handlers outlive this test body (the PATCH is still answering when it returns), so they
  // capture only the fixture, never a local.
  server_.server().Patch("/api/v1/namespaces/ns/services/a", [this](const auto& req, auto& res) {
    record(req);
    for (int i = 0; i < 300 && !server_.closing(); ++i)
      std::this_thread::sleep_for(10ms);
    res.status = 200;
    res.set_content(kServiceJson, "application/json");
  });
  server_.server().Get("/api/v1/namespaces/ns/services/a", [this](const auto& req, auto& res) {
    record(req);
    std::this_thread::sleep_for(600ms);
    res.set_content(kServiceJson, "application/json");
  });
  auto options = fast_options();
  options.timeout = 5s;
  options.write_timeout = 300ms;
  options.max_retries = 0;
  auto client = make_api_client(config(), options);
  const auto started = std::chrono::steady_clock::now();
  EXPECT_THROW(client->patch("/api/v1/namespaces/ns/services/a", PatchType::kMerge,
                             nlohmann::json::object()),
               TransportError);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2500ms);
  // A read on the same pooled connections keeps the longer bound.
  EXPECT_EQ(client->get("/api/v1/namespaces/ns/services/a")["metadata"]["name"], "a");
  const auto requests = recorded();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_THAT(requests[0].query, HasSubstr("timeout=300ms;"));
  EXPECT_EQ(requests[1].query, "");
}

TEST(HttpClientTlsTest, AnUntrustedServerCertificateSaysWhichFieldToSet) {
  auto server =
      http::make_tls_server(http::make_self_signed_identity("api", {"localhost"}, {"127.0.0.1"}));
  std::atomic<int> requests{0};
  server->Get("/api/v1/namespaces", [&](const auto&, auto& res) {
    ++requests;
    res.set_content("{}", "application/json");
  });
  const int port = server->bind_to_any_port("127.0.0.1");
  std::thread listener([&] { server->listen_after_bind(); });
  while (!server->is_running())
    std::this_thread::sleep_for(1ms);

  ClientConfig config;
  config.host = "127.0.0.1";
  config.port = port;
  config.origin = "kubeconfig /tmp/k context c";  // and no CA: the system store does not know it
  ClientOptions options;
  options.retry_backoff = BackoffPolicy{1ms, 1ms, 1.0, 0.0, 60s};
  auto attempts = std::make_shared<RecordingObserver>();
  options.observer = attempts;
  auto client = make_api_client(config, options);
  try {
    client->get("/api/v1/namespaces");
    ADD_FAILURE() << "an untrusted certificate was accepted";
  } catch (const TransportError& e) {
    EXPECT_THAT(e.what(), HasSubstr("https://127.0.0.1:" + std::to_string(port)));
    EXPECT_THAT(e.what(), HasSubstr("no TLS handshake"));
    EXPECT_THAT(e.what(), HasSubstr("certificate-authority-data"));
    EXPECT_THAT(e.what(), HasSubstr("kubeconfig /tmp/k context c"));
  }
  EXPECT_FALSE(attempts->calls.empty());
  EXPECT_EQ(requests, 0);  // the handshake never completed
  server->stop();
  listener.join();
}

TEST_F(HttpClientTest, ConnectionRefusedIsATransportError) {
  ClientConfig c = config();
  {
    LoopbackServer other;
    c.port = other.port();
  }
  auto options = fast_options();
  options.max_retries = 1;
  auto client = make_api_client(c, options);
  EXPECT_THROW(client->get("/api/v1/pods/x"), TransportError);
}

TEST_F(HttpClientTest, ListQueryAndPatchAndDeleteBodies) {
  server_.server().Get("/api/v1/namespaces/ns/pods", [&](const auto& req, auto& res) {
    record(req);
    res.set_content(
        R"({"items":[{"metadata":{"name":"p"}}],"metadata":{"resourceVersion":"7","continue":"next"}})",
        "application/json");
  });
  server_.server().Patch("/api/v1/namespaces/ns/pods/p", [&](const auto& req, auto& res) {
    record(req);
    res.set_content("{}", "application/json");
  });
  server_.server().Delete("/api/v1/namespaces/ns/pods/p", [&](const auto& req, auto& res) {
    record(req);
    res.set_content("{}", "application/json");
  });
  auto client = make_api_client(config(), fast_options());
  ListOptions list;
  list.label_selector = "app in (a,b),!legacy";
  list.limit = 2;
  list.continue_token = "abc=";
  const ListPage page = client->list("/api/v1/namespaces/ns/pods", list);
  EXPECT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.continue_token, "next");
  client->patch("/api/v1/namespaces/ns/pods/p", PatchType::kMerge, {{"a", 1}});
  client->patch("/api/v1/namespaces/ns/pods/p", PatchType::kApply, {{"a", 1}},
                {.field_manager = "hso", .force = true});
  EXPECT_THROW(client->patch("/api/v1/namespaces/ns/pods/p", PatchType::kApply, {{"a", 1}}),
               std::invalid_argument);
  DeleteOptions preconditions;
  preconditions.precondition_uid = "u-1";
  preconditions.precondition_resource_version = "3";
  client->remove("/api/v1/namespaces/ns/pods/p", preconditions);
  const auto seen = recorded();
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0].query, "continue=abc=;labelSelector=app in (a,b),!legacy;limit=2;");
  EXPECT_EQ(seen[1].content_type, "application/merge-patch+json");
  EXPECT_EQ(seen[2].content_type, "application/apply-patch+yaml");
  EXPECT_EQ(seen[2].query, "fieldManager=hso;force=true;");
  const auto body = nlohmann::json::parse(seen[3].body);
  EXPECT_EQ(body["preconditions"]["uid"], "u-1");
  EXPECT_EQ(body["preconditions"]["resourceVersion"], "3");
}

TEST_F(HttpClientTest, WatchDeliversEventsAndStopsPromptly) {
  std::atomic<bool> streaming{false};
  server_.server().Get("/api/v1/services", [&](const httplib::Request& req,
                                               httplib::Response& res) {
    record(req);
    res.set_chunked_content_provider("application/json", [&](std::size_t, httplib::DataSink& sink) {
      const std::string events =
          R"({"type":"ADDED","object":{"metadata":{"name":"a","resourceVersion":"2"}}})"
          "\n"
          R"({"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"3"}}})"
          "\n";
      sink.write(events.data(), events.size());
      streaming = true;
      // Then silence, as a quiet watch is, until the server shuts down.
      while (!server_.closing() && sink.is_writable())
        std::this_thread::sleep_for(10ms);
      sink.done();
      return true;
    });
  });
  auto client = make_api_client(config(), fast_options());
  std::vector<WatchEvent::Type> types;
  std::atomic<int> delivered{0};
  std::stop_source stop;
  std::thread watcher([&] {
    WatchOptions options;
    options.resource_version = "1";
    options.timeout = 60s;
    client->watch(
        "/api/v1/services", options,
        [&](WatchEvent&& event) {
          types.push_back(event.type);
          ++delivered;
          return true;
        },
        stop.get_token());
  });
  ASSERT_TRUE([&] {
    for (int i = 0; i < 500 && !(streaming && delivered == 2); ++i) {
      std::this_thread::sleep_for(10ms);
    }
    return delivered == 2;
  }());
  const auto started = std::chrono::steady_clock::now();
  stop.request_stop();
  watcher.join();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
  EXPECT_EQ(types,
            (std::vector<WatchEvent::Type>{WatchEvent::Type::kAdded, WatchEvent::Type::kBookmark}));
  ASSERT_EQ(recorded().size(), 1u);
  EXPECT_EQ(recorded()[0].query,
            "allowWatchBookmarks=true;resourceVersion=1;timeoutSeconds=60;watch=true;");
  EXPECT_EQ(observer_->calls, std::vector<std::string>{"watch services 200"});
}

TEST_F(HttpClientTest, WatchErrorEventIsThrownAsGone) {
  server_.server().Get("/api/v1/services", [](const auto&, auto& res) {
    res.set_content(
        R"({"type":"ERROR","object":{"kind":"Status","status":"Failure","message":"too old resource version: 1 50","reason":"Expired","code":410}})"
        "\n",
        "application/json");
  });
  auto client = make_api_client(config(), fast_options());
  try {
    client->watch("/api/v1/services", {}, [](WatchEvent&&) { return true; }, {});
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_TRUE(e.is_gone());
    EXPECT_THAT(e.status_message(), HasSubstr("too old"));
  }
}

TEST_F(HttpClientTest, WatchRefusedIsTyped) {
  server_.server().Get("/api/v1/services", [](const auto&, auto& res) {
    res.status = 403;
    res.set_content(R"({"kind":"Status","reason":"Forbidden","message":"no","code":403})",
                    "application/json");
  });
  auto client = make_api_client(config(), fast_options());
  try {
    client->watch("/api/v1/services", {}, [](WatchEvent&&) { return true; }, {});
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_TRUE(e.is_forbidden());
  }
}

TEST_F(HttpClientTest, WatchCutMidEventIsATransportError) {
  server_.server().Get("/api/v1/services", [](const auto&, auto& res) {
    res.set_content(R"({"type":"ADDED","object":{"metadata":{"name":"a"}}})"
                    "\n"
                    R"({"type":"MODIFIED","obj)",
                    "application/json");
  });
  auto client = make_api_client(config(), fast_options());
  int events = 0;
  EXPECT_THROW(
      client->watch("/api/v1/services", {}, [&](WatchEvent&&) { return ++events > 0; }, {}),
      TransportError);
  EXPECT_EQ(events, 1);
}

TEST_F(HttpClientTest, HandlerCanEndTheWatch) {
  server_.server().Get("/api/v1/services", [](const auto&, auto& res) {
    std::string body;
    for (int i = 0; i < 10; ++i)
      body += R"({"type":"ADDED","object":{}})"
              "\n";
    res.set_content(body, "application/json");
  });
  auto client = make_api_client(config(), fast_options());
  int events = 0;
  client->watch("/api/v1/services", {}, [&](WatchEvent&&) { return ++events < 3; }, {});
  EXPECT_EQ(events, 3);
}

TEST_F(HttpClientTest, AlreadyStoppedWatchDoesNotConnect) {
  auto client = make_api_client(config(), fast_options());
  std::stop_source stop;
  stop.request_stop();
  client->watch(
      "/api/v1/services", {}, [](WatchEvent&&) { return true; }, stop.get_token());
  EXPECT_TRUE(observer_->calls.empty());
}

TEST_F(HttpClientTest, WarningsAreLoggedOncePerText) {
  WarningLogger logger;
  EXPECT_EQ(logger.handle(R"(299 - "v1 Endpoints is deprecated in v1.33+")").size(), 1u);
  EXPECT_TRUE(logger.handle(R"(299 - "v1 Endpoints is deprecated in v1.33+")").empty());
  EXPECT_EQ(parse_warning_header(
                R"(299 - "a \"quoted\" text", 299 - "b" "Wed, 21 Oct 2015 07:28:00 GMT")"),
            (std::vector<std::string>{"a \"quoted\" text", "b"}));
  EXPECT_TRUE(parse_warning_header("garbage").empty());
  EXPECT_TRUE(parse_warning_header(R"(299 - "unterminated)").empty());
}

class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("hso-http-" + std::to_string(getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  void write(const std::string& name, const std::string& content) const {
    std::ofstream(path_ / name) << content;
  }

 private:
  std::filesystem::path path_;
};

TEST_F(HttpClientTest, TokenFileIsReReadPeriodicallyAndAfter401) {
  TempDir dir;
  dir.write("token", "first\n");
  server_.server().Get("/api/v1/pods/p", [&](const auto& req, auto& res) {
    record(req);
    if (req.get_header_value("Authorization") == "Bearer revoked") {
      res.status = 401;
      return;
    }
    res.set_content("{}", "application/json");
  });
  FakeClock clock;
  ClientConfig c = config();
  c.token.clear();
  c.token_file = dir.file("token");
  auto options = fast_options();
  options.clock = &clock;
  auto client = make_api_client(c, options);
  client->get("/api/v1/pods/p");
  dir.write("token", "second");
  clock.advance(30s);
  client->get("/api/v1/pods/p");  // not yet re-read
  clock.advance(31s);
  client->get("/api/v1/pods/p");  // re-read after a minute
  dir.write("token", "revoked");
  clock.advance(61s);
  dir.write("token", "revoked");
  // The server refuses "revoked"; the file is re-read at once after the 401 and, still
  // revoked, the 401 is the answer.
  EXPECT_THROW(client->get("/api/v1/pods/p"), ApiError);
  dir.write("token", "third");
  clock.advance(61s);
  client->get("/api/v1/pods/p");
  std::vector<std::string> tokens;
  for (const auto& r : recorded())
    tokens.push_back(r.authorization);
  EXPECT_EQ(tokens, (std::vector<std::string>{"Bearer first", "Bearer first", "Bearer second",
                                              "Bearer revoked", "Bearer third"}));
}

TEST_F(HttpClientTest, ExecPluginTokenCachedUntilExpiryAndRefreshedOn401) {
  TempDir dir;
  FakeClock clock;
  // Expires one hour after the fake wall clock's "now".
  const auto expiry = std::chrono::system_clock::to_time_t(clock.wall_now() + 1h);
  char expiry_text[32];
  std::strftime(expiry_text, sizeof(expiry_text), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&expiry));
  dir.write(
      "plugin.sh",
      "#!/bin/sh\n"
      "n=$(cat \"$COUNTER\" 2>/dev/null || echo 0); n=$((n+1)); echo $n > \"$COUNTER\"\n"
      "case \"$KUBERNETES_EXEC_INFO\" in *'\"interactive\":false'*) ;; *) exit 3;; esac\n"
      "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
      "\"status\":{\"token\":\"tok-%s\",\"expirationTimestamp\":\"" +
          std::string(expiry_text) + "\"}}' \"$n\"\n");
  std::filesystem::permissions(dir.file("plugin.sh"), std::filesystem::perms::owner_all);
  std::atomic<bool> reject_tok1{false};
  server_.server().Get("/api/v1/pods/p", [&](const auto& req, auto& res) {
    record(req);
    if (reject_tok1 && req.get_header_value("Authorization") == "Bearer tok-1") {
      res.status = 401;
      return;
    }
    res.set_content("{}", "application/json");
  });
  ClientConfig c = config();
  c.token.clear();
  c.exec = ExecConfig{"client.authentication.k8s.io/v1",
                      dir.file("plugin.sh"),
                      {},
                      {{"COUNTER", dir.file("counter")}},
                      "install it",
                      false,
                      "test: exec"};
  auto options = fast_options();
  options.clock = &clock;
  auto client = make_api_client(c, options);
  client->get("/api/v1/pods/p");
  client->get("/api/v1/pods/p");  // cached
  reject_tok1 = true;
  client->get("/api/v1/pods/p");  // 401 with tok-1, plugin runs again, tok-2 accepted
  clock.advance(2h);
  client->get("/api/v1/pods/p");  // expired: tok-3
  std::vector<std::string> tokens;
  for (const auto& r : recorded())
    tokens.push_back(r.authorization);
  EXPECT_EQ(tokens, (std::vector<std::string>{"Bearer tok-1", "Bearer tok-1", "Bearer tok-1",
                                              "Bearer tok-2", "Bearer tok-3"}));
}

TEST(ExecCredential, PluginFailuresAreClear) {
  ExecConfig exec{
      "client.authentication.k8s.io/v1", "/nonexistent/plugin", {}, {}, "see docs", false,
      "cfg: users[0] \"u\".user.exec"};
  ExecCredentialProvider missing(exec, "https://h", "");
  try {
    missing.current();
    FAIL();
  } catch (const TransportError& e) {
    EXPECT_THAT(e.what(), HasSubstr("cfg: users[0]"));
    EXPECT_THAT(e.what(), HasSubstr("see docs"));
  }
  exec.command = "false";
  ExecCredentialProvider failing(exec, "https://h", "");
  EXPECT_THROW(failing.current(), TransportError);
  exec.command = "sh";
  exec.args = {"-c", "sleep 5"};
  ExecCredentialProvider slow(exec, "https://h", "", SystemClock::instance(), 200ms);
  const auto started = std::chrono::steady_clock::now();
  EXPECT_THROW(slow.current(), TransportError);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
}

TEST(ExecCredential, ParsesOutput) {
  const auto status = parse_exec_credential(
      R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"t","expirationTimestamp":"2030-01-02T03:04:05Z"}})",
      "client.authentication.k8s.io/v1");
  EXPECT_EQ(status.token, "t");
  ASSERT_TRUE(status.expiration);
  EXPECT_EQ(std::chrono::system_clock::to_time_t(*status.expiration), 1893553445);
  for (
      const char* bad :
      {"", "[]", R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1"})",
       R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{}})",
       R"({"kind":"ExecCredential","apiVersion":"v1","status":{"token":"t"}})",
       R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"clientCertificateData":"x"}})",
       R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"token":"t","expirationTimestamp":"soon"}})"}) {
    EXPECT_THROW(parse_exec_credential(bad, "client.authentication.k8s.io/v1"), std::runtime_error)
        << bad;
  }
}

TEST(ExecCredential, Rfc3339) {
  EXPECT_EQ(std::chrono::system_clock::to_time_t(*parse_rfc3339("1970-01-01T00:00:10Z")), 10);
  EXPECT_EQ(std::chrono::system_clock::to_time_t(*parse_rfc3339("1970-01-01T01:00:10.123+01:00")),
            10);
  EXPECT_FALSE(parse_rfc3339("1970-01-01 00:00:10Z"));
  EXPECT_FALSE(parse_rfc3339("1970-01-01T00:00:10"));
  EXPECT_FALSE(parse_rfc3339("1970-13-01T00:00:10Z"));
}

}  // namespace
}  // namespace hso::kube
