#include "hso/kube/errors.hpp"

#include <gtest/gtest.h>

#include "hso/kube/status_error.hpp"

namespace hso::kube {
namespace {

TEST(StatusReason, RoundTripsEveryReason) {
  for (const char* name :
       {"BadRequest", "Unauthorized", "Forbidden", "NotFound", "AlreadyExists", "Conflict", "Gone",
        "Expired", "Invalid", "TooManyRequests", "InternalError", "ServiceUnavailable", "Timeout",
        "ServerTimeout", "MethodNotAllowed", "UnsupportedMediaType", "RequestEntityTooLarge"}) {
    const StatusReason reason = parse_status_reason(name);
    EXPECT_NE(reason, StatusReason::kUnknown) << name;
    EXPECT_STREQ(to_string(reason), name);
  }
  EXPECT_EQ(parse_status_reason(""), StatusReason::kUnknown);
  EXPECT_EQ(parse_status_reason("SomethingNew"), StatusReason::kUnknown);
  EXPECT_STREQ(to_string(StatusReason::kUnknown), "Unknown");
}

TEST(ApiErrorDecoding, ConflictFromStatus) {
  const ApiError error = api_error_from_response(409, R"({
    "kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
    "message":"Operation cannot be fulfilled on services \"a\": the object has been modified",
    "reason":"Conflict","details":{"name":"a","kind":"services"},"code":409})");
  EXPECT_EQ(error.code(), 409);
  EXPECT_EQ(error.reason(), StatusReason::kConflict);
  EXPECT_TRUE(error.is_conflict());
  EXPECT_FALSE(error.is_not_found());
  EXPECT_FALSE(error.is_retryable());
  EXPECT_NE(error.status_message().find("has been modified"), std::string::npos);
  EXPECT_NE(std::string(error.what()).find("409 Conflict"), std::string::npos);
}

TEST(ApiErrorDecoding, EachReasonHasItsPredicate) {
  struct Case {
    int code;
    const char* reason;
    bool (ApiError::*predicate)() const;
  };
  for (const Case& c : std::initializer_list<Case>{
           {404, "NotFound", &ApiError::is_not_found},
           {409, "AlreadyExists", &ApiError::is_already_exists},
           {410, "Gone", &ApiError::is_gone},
           {410, "Expired", &ApiError::is_gone},
           {422, "Invalid", &ApiError::is_invalid},
           {403, "Forbidden", &ApiError::is_forbidden},
           {401, "Unauthorized", &ApiError::is_unauthorized},
           {429, "TooManyRequests", &ApiError::is_too_many_requests},
       }) {
    const std::string body = std::string(R"({"kind":"Status","reason":")") + c.reason +
                             R"(","code":)" + std::to_string(c.code) + "}";
    const ApiError error = api_error_from_response(c.code, body);
    EXPECT_TRUE((error.*c.predicate)()) << c.reason;
    EXPECT_EQ(error.reason(), parse_status_reason(c.reason));
  }
}

TEST(ApiErrorDecoding, RetryAfterFromHeaderOrDetails) {
  const std::string body =
      R"({"kind":"Status","reason":"TooManyRequests","code":429,"details":{"retryAfterSeconds":3}})";
  EXPECT_EQ(api_error_from_response(429, body).retry_after(), std::chrono::seconds(3));
  EXPECT_EQ(api_error_from_response(429, body, "7").retry_after(), std::chrono::seconds(7));
  const ApiError error = api_error_from_response(429, "", "1");
  EXPECT_TRUE(error.is_too_many_requests());
  EXPECT_TRUE(error.is_retryable());
  EXPECT_EQ(error.retry_after(), std::chrono::seconds(1));
}

TEST(ApiErrorDecoding, BodyThatIsNotAStatus) {
  const ApiError error = api_error_from_response(503, "upstream connect error");
  EXPECT_EQ(error.code(), 503);
  EXPECT_EQ(error.reason(), StatusReason::kServiceUnavailable);
  EXPECT_EQ(error.status_message(), "upstream connect error");
  EXPECT_TRUE(error.is_retryable());
  const ApiError huge = api_error_from_response(500, std::string(100000, 'z'));
  EXPECT_LT(huge.status_message().size(), 2000u);
  EXPECT_EQ(api_error_from_response(418, "{\"kind\":\"Status\"}").reason(), StatusReason::kUnknown);
}

TEST(ApiErrorDecoding, StatusFromWatchErrorEvent) {
  const nlohmann::json status = nlohmann::json::parse(
      R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version: 1 4242","reason":"Expired","code":410})");
  const ApiError error = api_error_from_status(status);
  EXPECT_EQ(error.code(), 410);
  EXPECT_TRUE(error.is_gone());
  EXPECT_EQ(error.reason(), StatusReason::kExpired);
  // A Status without a code gets the fallback, and a reason derived from it.
  EXPECT_EQ(api_error_from_status(nlohmann::json::object(), 500).reason(),
            StatusReason::kInternalError);
  EXPECT_EQ(api_error_from_status(nlohmann::json("not an object"), 500).code(), 500);
}

TEST(RetryAfter, OnlyDeltaSeconds) {
  EXPECT_EQ(parse_retry_after("5"), std::chrono::seconds(5));
  EXPECT_EQ(parse_retry_after(" 12 "), std::chrono::seconds(12));
  EXPECT_EQ(parse_retry_after("0"), std::chrono::seconds(0));
  EXPECT_FALSE(parse_retry_after(""));
  EXPECT_FALSE(parse_retry_after("-1"));
  EXPECT_FALSE(parse_retry_after("1.5"));
  EXPECT_FALSE(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"));
}

// Found by fuzzing (tests/fuzz/corpus/status_error/regression_kind_not_a_string): a body whose
// kind is not a string threw nlohmann's type_error instead of becoming the error's message.
TEST(KubeErrorsTest, ABodyWithAKindOfAnotherTypeIsTheMessage) {
  const ApiError error = api_error_from_response(502, R"({"kind":5,"code":404})");
  EXPECT_EQ(error.code(), 502);
  EXPECT_EQ(error.status_message(), R"({"kind":5,"code":404})");
}

// Found by fuzzing (tests/fuzz/corpus/status_error/regression_retry_after_*): a huge Retry-After
// overflowed the nanosecond arithmetic of the wait (UBSan: signed integer overflow), and a merely
// large one would have stalled an informer for years.
TEST(KubeErrorsTest, RetryAfterIsCappedAtAnHour) {
  EXPECT_EQ(parse_retry_after("3600"), kMaxRetryAfter);
  EXPECT_EQ(parse_retry_after("3601"), kMaxRetryAfter);
  EXPECT_EQ(parse_retry_after("9223372036854775807"), kMaxRetryAfter);
  EXPECT_EQ(parse_retry_after("99999999999999999999999"), kMaxRetryAfter);
  EXPECT_FALSE(parse_retry_after("-99999999999999999999999"));
  for (const char* seconds : {"9223372036854775807", "18446744073709551615", "86400"}) {
    const auto status = nlohmann::json::parse(
        std::string(R"({"kind":"Status","code":429,"details":{"retryAfterSeconds":)") + seconds +
        "}}");
    EXPECT_EQ(api_error_from_status(status).retry_after(), kMaxRetryAfter) << seconds;
  }
  EXPECT_EQ(api_error_from_response(503, "", "86400").retry_after(), kMaxRetryAfter);
  EXPECT_EQ(
      api_error_from_status(nlohmann::json{{"details", {{"retryAfterSeconds", 7}}}}).retry_after(),
      std::chrono::seconds(7));
}

}  // namespace
}  // namespace hso::kube
