#include "hso/http/scrape_authorizer.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hso/util/clock.hpp"
#include "support/mock_api_client.hpp"

namespace hso::http {
namespace {

using ::testing::_;
using ::testing::Return;
using json = nlohmann::json;

constexpr const char* kTokenReviews = "/apis/authentication.k8s.io/v1/tokenreviews";
constexpr const char* kAccessReviews = "/apis/authorization.k8s.io/v1/subjectaccessreviews";

TEST(BearerTokenTest, TakesTheTokenOfTheBearerSchemeInAnyCase) {
  EXPECT_EQ(parse_bearer_token("Bearer abc"), "abc");
  EXPECT_EQ(parse_bearer_token("bEARER   abc  "), "abc");
  EXPECT_EQ(parse_bearer_token("Bearer a b"), "a b");
  EXPECT_EQ(parse_bearer_token("Bearer "), "");
  EXPECT_EQ(parse_bearer_token("Bearer    "), "");
  EXPECT_EQ(parse_bearer_token("Basic dXNlcjpwdw=="), "");
  EXPECT_EQ(parse_bearer_token("Bearerabc"), "");
  EXPECT_EQ(parse_bearer_token(""), "");
}

// Found with the fuzz harness (tests/fuzz/corpus/scrape_authorization/regression_*): a review
// answer with a field of an unexpected type threw nlohmann's type_error out of the /metrics
// handler instead of deciding.
TEST(ScrapeAuthorizerAnswersTest, FieldsOfAnotherTypeDenyInsteadOfThrowing) {
  FakeClock clock;
  test::MockApiClient client;
  ScrapeAuthorizer authorizer(client, clock);
  EXPECT_CALL(client, create(kTokenReviews, _))
      .WillOnce(Return(json{{"status", {{"authenticated", true}, {"user", 5}}}}))
      .WillOnce(Return(json{{"status", {{"authenticated", true}, {"user", {{"username", 7}}}}}}))
      .WillOnce(Return(json{{"status", {{"authenticated", "true"}}}}))
      .WillOnce(Return(json::array()));
  EXPECT_CALL(client, create(kAccessReviews, _))
      .WillOnce(Return(json{{"status", {{"allowed", true}}}}))
      .WillOnce(Return(json{{"status", {{"allowed", "yes"}}}}));
  EXPECT_EQ(authorizer.authorize("Bearer a"), ScrapeDecision::kAllowed);
  EXPECT_EQ(authorizer.authorize("Bearer b"), ScrapeDecision::kForbidden);
  EXPECT_EQ(authorizer.authorize("Bearer c"), ScrapeDecision::kUnauthenticated);
  EXPECT_EQ(authorizer.authorize("Bearer d"), ScrapeDecision::kUnauthenticated);
}

}  // namespace
}  // namespace hso::http
