#include "hso/reconciler/event_recorder.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hso/util/k8s_names.hpp"
#include "support/mock_api_client.hpp"
#include "support/pod_builder.hpp"

namespace hso::reconciler {
namespace {

using nlohmann::json;
using ::testing::_;
using ::testing::Return;
using ::testing::ReturnArg;
using ::testing::StrictMock;
using ::testing::Throw;

plan::PodInfo pod(std::string name = "web-0", std::string uid = "uid-1") {
  return test::PodBuilder(std::move(name)).uid(std::move(uid)).info();
}

kube::ApiError not_found() {
  return {404, kube::StatusReason::kNotFound, "not found"};
}

class CountingMetrics : public metrics::ReconcileMetrics {
 public:
  void object_written(metrics::ObjectKind kind, metrics::WriteAction action) override {
    if (kind == metrics::ObjectKind::kEvent && action == metrics::WriteAction::kCreate)
      ++events;
  }
  int events = 0;
};

TEST(ReconcilerEventNameTest, IsDeterministicPerPodUidAndReason) {
  EXPECT_EQ(event_name(pod(), "A"), event_name(pod(), "A"));
  EXPECT_NE(event_name(pod(), "A"), event_name(pod(), "B"));
  EXPECT_NE(event_name(pod("web-0", "uid-1"), "A"), event_name(pod("web-0", "uid-2"), "A"));
  EXPECT_THAT(event_name(pod(), "A"), ::testing::MatchesRegex("web-0\\.[0-9a-f]{16}"));
}

TEST(ReconcilerEventNameTest, StaysAValidNameForTheLongestPodNames) {
  // Pod names of up to 253 characters whose cut point lands on every kind of character,
  // '-' and '.' included (those must be trimmed).
  const std::string segment = std::string(29, 'x') + "-" + std::string(28, 'y') + ".";
  for (std::size_t shift = 1; shift < segment.size(); ++shift) {
    std::string name = std::string(shift, 'k') + ".";
    while (name.size() < 253)
      name += segment;
    name.resize(253);
    while (name.back() == '-' || name.back() == '.')
      name.pop_back();
    ASSERT_TRUE(is_dns1123_subdomain(name)) << name;
    const std::string event = event_name(pod(name), "InvalidHostname");
    EXPECT_LE(event.size(), 253u);
    EXPECT_TRUE(is_dns1123_subdomain(event)) << event;
  }
}

TEST(ReconcilerEventBodyTest, IsAnEventsV1EventAboutThePod) {
  const auto when = std::chrono::sys_days(std::chrono::year(2024) / 3 / 4) + std::chrono::hours(5) +
                    std::chrono::microseconds(123);
  const json body =
      event_body(pod(), EventType::kWarning, "InvalidHostname", "Skip", "why", "replica-1", when);
  EXPECT_EQ(body, json::parse(R"({
    "apiVersion": "events.k8s.io/v1", "kind": "Event",
    "metadata": {"name": ")" + event_name(pod(), "InvalidHostname") +
                              R"(", "namespace": "ns"},
    "eventTime": "2024-03-04T05:00:00.000123Z",
    "type": "Warning", "reason": "InvalidHostname", "action": "Skip", "note": "why",
    "reportingController": "k8s-pod-headless-service-operator",
    "reportingInstance": "replica-1",
    "regarding": {"apiVersion": "v1", "kind": "Pod", "namespace": "ns", "name": "web-0",
                  "uid": "uid-1"}
  })"));
  EXPECT_EQ(
      event_body(pod(), EventType::kNormal, "R", "A", std::string(5000, 'n'), "i", when)["note"]
          .get<std::string>()
          .size(),
      1024u);
}

class ReconcilerEventRecorderTest : public ::testing::Test {
 protected:
  StrictMock<test::MockApiClient> api;
  CountingMetrics metrics;
  FakeClock clock;
  ApiEventRecorder recorder{api, metrics, clock, "replica-1"};
  const std::string name = event_name(pod(), "Reason");
  const std::string path = "/apis/events.k8s.io/v1/namespaces/ns/events/" + name;
};

TEST_F(ReconcilerEventRecorderTest, CreatesTheEventOnceAndNeverAgain) {
  // A Normal Event follows the caller's own write: created without a look-up first.
  EXPECT_CALL(api, create("/apis/events.k8s.io/v1/namespaces/ns/events", _))
      .WillOnce([&](const std::string&, const json& body) {
        EXPECT_EQ(body["metadata"]["name"], name);
        EXPECT_EQ(body["type"], "Normal");
        return body;
      });
  recorder.record(pod(), EventType::kNormal, "Reason", "Create", "note");
  recorder.record(pod(), EventType::kNormal, "Reason", "Create", "note");
  EXPECT_EQ(metrics.events, 1);
}

TEST_F(ReconcilerEventRecorderTest, AnEventAlreadyThereIsNotWrittenAgainAfterARestart) {
  EXPECT_CALL(api, get(path)).WillOnce(Return(json::object()));
  recorder.record(pod(), EventType::kWarning, "Reason", "Skip", "note");
  recorder.record(pod(), EventType::kWarning, "Reason", "Skip", "note");
  EXPECT_EQ(metrics.events, 0);
}

TEST_F(ReconcilerEventRecorderTest, AWarningIsLookedUpBeforeItIsCreated) {
  EXPECT_CALL(api, get(path)).WillOnce(Throw(not_found()));
  EXPECT_CALL(api, create(_, _)).WillOnce(ReturnArg<1>());
  recorder.record(pod(), EventType::kWarning, "Reason", "Skip", "note");
  recorder.record(pod(), EventType::kWarning, "Reason", "Skip", "note");
  EXPECT_EQ(metrics.events, 1);
}

TEST_F(ReconcilerEventRecorderTest, ANormalEventAlreadyThereCountsAsReported) {
  EXPECT_CALL(api, create(_, _))
      .WillOnce(Throw(kube::ApiError(409, kube::StatusReason::kAlreadyExists, "exists")));
  recorder.record(pod(), EventType::kNormal, "Reason", "Create", "note");
  recorder.record(pod(), EventType::kNormal, "Reason", "Create", "note");
  EXPECT_EQ(metrics.events, 0);
}

TEST_F(ReconcilerEventRecorderTest, AlreadyExistsCountsAsReported) {
  EXPECT_CALL(api, get(path)).WillOnce(Throw(not_found()));
  EXPECT_CALL(api, create(_, _))
      .WillOnce(Throw(kube::ApiError(409, kube::StatusReason::kAlreadyExists, "exists")));
  recorder.record(pod(), EventType::kWarning, "Reason", "Skip", "note");
  recorder.record(pod(), EventType::kWarning, "Reason", "Skip", "note");
}

TEST_F(ReconcilerEventRecorderTest, FailuresAreSwallowedAndTriedAgainLater) {
  EXPECT_CALL(api, get(path))
      .WillOnce(Throw(kube::TransportError("connection refused")))
      .WillOnce(Throw(not_found()));
  EXPECT_CALL(api, create(_, _))
      .WillOnce(Throw(kube::ApiError(403, kube::StatusReason::kForbidden, "no")));
  EXPECT_NO_THROW(recorder.record(pod(), EventType::kWarning, "Reason", "Skip", "note"));
  EXPECT_NO_THROW(recorder.record(pod(), EventType::kWarning, "Reason", "Skip", "note"));
  EXPECT_EQ(metrics.events, 0);
}

}  // namespace
}  // namespace hso::reconciler
