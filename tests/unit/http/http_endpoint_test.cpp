#include "hso/http/http_endpoint.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <string>

#include "hso/http/bind_address.hpp"
#include "hso/http/health_checks.hpp"
#include "hso/http/probe_routes.hpp"
#include "hso/http/scrape_authorizer.hpp"
#include "hso/http/tls_identity.hpp"
#include "hso/kube/errors.hpp"
#include "hso/metrics/operator_metrics.hpp"
#include "hso/util/clock.hpp"
#include "support/mock_api_client.hpp"

namespace hso::http {
namespace {

using ::testing::_;
using ::testing::Return;
using ::testing::Throw;
using json = nlohmann::json;
using namespace std::chrono_literals;

using hso::test::MockApiClient;

constexpr const char* kTokenReviews = "/apis/authentication.k8s.io/v1/tokenreviews";
constexpr const char* kAccessReviews = "/apis/authorization.k8s.io/v1/subjectaccessreviews";

TEST(HttpBindAddressTest, ParsesTheFlagForms) {
  EXPECT_FALSE(parse_bind_address("0"));
  auto any = parse_bind_address(":8080");
  ASSERT_TRUE(any);
  EXPECT_EQ(any->host, "");
  EXPECT_EQ(any->port, 8080);
  auto v4 = parse_bind_address("127.0.0.1:0");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 0);
  auto v6 = parse_bind_address("[::1]:8081");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 8081);
  EXPECT_EQ(parse_bind_address("localhost:9")->host, "localhost");
}

TEST(HttpBindAddressTest, RejectsTheRest) {
  for (const char* bad : {"", "8080", ":", ":http", ":65536", ":-1", "::1:8080", "[::1]",
                          "[::1]8080", "[]:80", "host:80x"}) {
    EXPECT_THROW(parse_bind_address(bad), std::invalid_argument) << bad;
  }
}

class HttpProbeServerTest : public ::testing::Test {
 protected:
  metrics::OperatorMetrics metrics{"lease"};
  HealthChecks healthz{"healthz"};
  HealthChecks readyz{"readyz"};
  bool synced = false;
  HttpEndpoint endpoint{"probes"};

  void SetUp() override {
    healthz.add("ping", [] { return CheckResult{}; });
    readyz.add("informers-synced",
               [this]() -> CheckResult { return synced ? CheckResult{} : "not synced"; });
    register_health_routes(endpoint.server(), healthz, readyz);
    register_metrics_route(endpoint.server(), metrics.registry());
  }
};

TEST_F(HttpProbeServerTest, ServesMetricsHealthzAndReadyzOnAPickedPort) {
  const int port = endpoint.start({"127.0.0.1", 0});
  ASSERT_GT(port, 0);
  EXPECT_EQ(endpoint.port(), port);
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(2, 0);

  auto scrape = client.Get("/metrics");
  ASSERT_TRUE(scrape);
  EXPECT_EQ(scrape->status, 200);
  EXPECT_EQ(scrape->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(scrape->body.find("leader_election_master_status{name=\"lease\"} 0"),
            std::string::npos);

  auto health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, "ok");

  auto not_ready = client.Get("/readyz");
  ASSERT_TRUE(not_ready);
  EXPECT_EQ(not_ready->status, 500);
  EXPECT_EQ(not_ready->body, "[-]informers-synced failed: not synced\nreadyz check failed\n");

  synced = true;
  auto verbose = client.Get("/readyz?verbose");
  ASSERT_TRUE(verbose);
  EXPECT_EQ(verbose->status, 200);
  EXPECT_EQ(verbose->body, "[+]informers-synced ok\nreadyz check passed\n");

  auto one = client.Get("/readyz/informers-synced");
  ASSERT_TRUE(one);
  EXPECT_EQ(one->status, 200);
  EXPECT_EQ(one->body, "ok");
  auto unknown = client.Get("/healthz/nope");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  auto missing = client.Get("/nothing-here");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
}

TEST_F(HttpProbeServerTest, StopsPromptlyEvenWithAKeptAliveConnection) {
  const int port = endpoint.start({"127.0.0.1", 0});
  httplib::Client client("127.0.0.1", port);
  client.set_keep_alive(true);
  ASSERT_TRUE(client.Get("/healthz"));
  const auto before = std::chrono::steady_clock::now();
  endpoint.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - before, 2s);
  httplib::Client after("127.0.0.1", port);
  after.set_connection_timeout(1, 0);
  EXPECT_FALSE(after.Get("/healthz"));
}

TEST_F(HttpProbeServerTest, ServesOnIpv6LoopbackWhenAvailable) {
  int port = 0;
  try {
    port = endpoint.start({"::1", 0});
  } catch (const std::runtime_error&) {
    GTEST_SKIP() << "no IPv6 loopback here";
  }
  httplib::Client client("::1", port);
  auto health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

TEST(HttpEndpointTest, ABusyPortIsAClearError) {
  HttpEndpoint first("first");
  const int port = first.start({"127.0.0.1", 0});
  HttpEndpoint second("second");
  EXPECT_THROW(second.start({"127.0.0.1", port}), std::runtime_error);
}

TEST(HttpScrapeAuthorizerTest, AllowsAnAuthorisedTokenAndCachesTheDecision) {
  FakeClock clock;
  MockApiClient client;
  ScrapeAuthorizer authorizer(client, clock, 10s);
  json token_request;
  json access_request;
  EXPECT_CALL(client, create(kTokenReviews, _))
      .Times(2)
      .WillRepeatedly([&](auto&, const json& body) {
        token_request = body;
        return json{{"status",
                     {{"authenticated", true},
                      {"user",
                       {{"username", "system:serviceaccount:monitoring:prometheus"},
                        {"uid", "u-1"},
                        {"groups", {"system:serviceaccounts"}}}}}}};
      });
  EXPECT_CALL(client, create(kAccessReviews, _))
      .Times(2)
      .WillRepeatedly([&](auto&, const json& body) {
        access_request = body;
        return json{{"status", {{"allowed", true}}}};
      });
  EXPECT_EQ(authorizer.authorize("Bearer sekrit"), ScrapeDecision::kAllowed);
  EXPECT_EQ(token_request["spec"]["token"], "sekrit");
  EXPECT_EQ(access_request["spec"]["user"], "system:serviceaccount:monitoring:prometheus");
  EXPECT_EQ(access_request["spec"]["groups"][0], "system:serviceaccounts");
  EXPECT_EQ(access_request["spec"]["nonResourceAttributes"]["path"], "/metrics");
  EXPECT_EQ(access_request["spec"]["nonResourceAttributes"]["verb"], "get");
  clock.advance(9s);
  EXPECT_EQ(authorizer.authorize("bearer sekrit"), ScrapeDecision::kAllowed);  // cached
  clock.advance(2s);
  EXPECT_EQ(authorizer.authorize("Bearer sekrit"), ScrapeDecision::kAllowed);  // asked again
}

TEST(HttpScrapeAuthorizerTest, RejectsMissingUnknownAndUnauthorisedTokens) {
  FakeClock clock;
  MockApiClient client;
  ScrapeAuthorizer authorizer(client, clock);
  EXPECT_EQ(authorizer.authorize(""), ScrapeDecision::kUnauthenticated);
  EXPECT_EQ(authorizer.authorize("Basic dXNlcjpwdw=="), ScrapeDecision::kUnauthenticated);

  EXPECT_CALL(client, create(kTokenReviews, _))
      .WillOnce(Return(json{{"status", {{"authenticated", false}}}}))
      .WillOnce(
          Return(json{{"status", {{"authenticated", true}, {"user", {{"username", "eve"}}}}}}));
  EXPECT_CALL(client, create(kAccessReviews, _))
      .WillOnce(Return(json{{"status", {{"allowed", false}}}}));
  EXPECT_EQ(authorizer.authorize("Bearer forged"), ScrapeDecision::kUnauthenticated);
  EXPECT_EQ(authorizer.authorize("Bearer eve"), ScrapeDecision::kForbidden);
  EXPECT_EQ(authorizer.authorize("Bearer eve"), ScrapeDecision::kForbidden);  // cached
}

TEST(HttpScrapeAuthorizerTest, ApiFailuresAreNotCached) {
  FakeClock clock;
  MockApiClient client;
  ScrapeAuthorizer authorizer(client, clock);
  EXPECT_CALL(client, create(kTokenReviews, _))
      .WillOnce(Throw(kube::TransportError("refused")))
      .WillOnce(Return(json{{"status", {{"authenticated", true}, {"user", {{"username", "p"}}}}}}));
  EXPECT_CALL(client, create(kAccessReviews, _))
      .WillOnce(Return(json{{"status", {{"allowed", true}}}}));
  EXPECT_EQ(authorizer.authorize("Bearer t"), ScrapeDecision::kUnavailable);
  EXPECT_EQ(authorizer.authorize("Bearer t"), ScrapeDecision::kAllowed);
}

TEST(HttpSecureMetricsTest, ServesTlsWithASelfSignedCertificateAndChecksTokens) {
  FakeClock clock;
  MockApiClient api;
  ON_CALL(api, create(kTokenReviews, _)).WillByDefault([](auto&, const json& body) {
    const bool known = body["spec"]["token"] == "good";
    return json{{"status", {{"authenticated", known}, {"user", {{"username", "scraper"}}}}}};
  });
  ON_CALL(api, create(kAccessReviews, _))
      .WillByDefault(Return(json{{"status", {{"allowed", true}}}}));
  EXPECT_CALL(api, create(_, _)).Times(::testing::AnyNumber());

  metrics::OperatorMetrics metrics("lease");
  ScrapeAuthorizer authorizer(api, clock);
  const TlsIdentity identity = make_self_signed_identity("operator", {"localhost"}, {"127.0.0.1"});
  HttpEndpoint endpoint("metrics", make_tls_server(identity));
  register_metrics_route(endpoint.server(), metrics.registry(), &authorizer);
  const int port = endpoint.start({"127.0.0.1", 0});

  httplib::SSLClient client("127.0.0.1", port);
  client.enable_server_certificate_verification(false);
  client.set_connection_timeout(2, 0);
  auto anonymous = client.Get("/metrics");
  ASSERT_TRUE(anonymous) << httplib::to_string(anonymous.error());
  EXPECT_EQ(anonymous->status, 401);

  client.set_bearer_token_auth("bad");
  auto bad = client.Get("/metrics");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 401);

  client.set_bearer_token_auth("good");
  auto good = client.Get("/metrics");
  ASSERT_TRUE(good);
  EXPECT_EQ(good->status, 200);
  EXPECT_NE(good->body.find("headless_service_operator_build_info"), std::string::npos);

  httplib::Client plain("127.0.0.1", port);
  plain.set_connection_timeout(1, 0);
  auto refused = plain.Get("/metrics");
  EXPECT_TRUE(!refused || refused->status != 200);
}

TEST(HttpTlsIdentityTest, LoadsPemFilesAndRejectsMismatches) {
  const TlsIdentity a = make_self_signed_identity("a", {"localhost"}, {});
  const TlsIdentity b = make_self_signed_identity("b", {}, {"::1"});
  const auto dir =
      std::filesystem::temp_directory_path() / ("hso-tls-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto write = [&](const char* name, auto writer) {
    const auto path = (dir / name).string();
    std::FILE* file = std::fopen(path.c_str(), "w");
    writer(file);
    std::fclose(file);
    return path;
  };
  const auto cert_a = write("a.crt", [&](std::FILE* f) { PEM_write_X509(f, a.certificate.get()); });
  const auto key_a = write("a.key", [&](std::FILE* f) {
    PEM_write_PrivateKey(f, a.private_key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  const auto key_b = write("b.key", [&](std::FILE* f) {
    PEM_write_PrivateKey(f, b.private_key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  EXPECT_NO_THROW(load_tls_identity(cert_a, key_a));
  EXPECT_THROW(load_tls_identity(cert_a, key_b), std::runtime_error);
  EXPECT_THROW(load_tls_identity(key_a, key_a), std::runtime_error);
  EXPECT_THROW(load_tls_identity((dir / "missing").string(), key_a), std::runtime_error);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace hso::http
