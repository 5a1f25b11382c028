#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "hso/kube/api_client.hpp"
#include "hso/kube/errors.hpp"
#include "hso/leaderelection/leader_election_record.hpp"
#include "hso/leaderelection/leader_election_runner.hpp"
#include "hso/leaderelection/leader_identity.hpp"
#include "hso/leaderelection/lease_elector.hpp"
#include "hso/util/clock.hpp"
#include "hso/util/time_format.hpp"
#include "support/mock_api_client.hpp"

namespace hso::leaderelection {
namespace {

using ::testing::_;
using ::testing::Invoke;
using ::testing::Return;
using ::testing::Throw;
using json = nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kLeasePath =
    "/apis/coordination.k8s.io/v1/namespaces/ops/leases/headless-operator";
constexpr const char* kLeasesPath = "/apis/coordination.k8s.io/v1/namespaces/ops/leases";

using hso::test::MockApiClient;

class RecordingLeaderMetrics : public metrics::LeaderMetrics {
 public:
  void set_leader(bool leading) override { leader = leading; }
  void transitioned() override { ++transitions; }
  void renew_failed() override { ++renew_failures; }
  bool leader = false;
  int transitions = 0;
  int renew_failures = 0;
};

kube::ApiError not_found() {
  return {404, kube::StatusReason::kNotFound, "not found"};
}
kube::ApiError conflict() {
  return {409, kube::StatusReason::kConflict, "conflict"};
}

json lease(const std::string& holder, const std::string& renew_time, int duration = 15,
           const std::string& resource_version = "100", int transitions = 3) {
  return {{"apiVersion", "coordination.k8s.io/v1"},
          {"kind", "Lease"},
          {"metadata",
           {{"name", "headless-operator"},
            {"namespace", "ops"},
            {"resourceVersion", resource_version}}},
          {"spec",
           {{"holderIdentity", holder},
            {"leaseDurationSeconds", duration},
            {"acquireTime", "2000-01-01T00:00:00.000000Z"},
            {"renewTime", renew_time},
            {"leaseTransitions", transitions}}}};
}

// Answers an update like the API server: echo the body with a new resourceVersion.
json accept_update(const std::string&, const json& body) {
  json stored = body;
  stored["metadata"]["resourceVersion"] =
      std::to_string(std::stoi(body["metadata"].value("resourceVersion", "0")) + 1);
  return stored;
}

LeaseElectorConfig config_for(const std::string& identity) {
  return {.lease_namespace = "ops",
          .lease_name = "headless-operator",
          .identity = identity,
          .lease_duration = 15s,
          .renew_deadline = 10s,
          .retry_period = 2s};
}

class LeaderElectorTest : public ::testing::Test {
 protected:
  FakeClock clock;
  MockApiClient client;
  RecordingLeaderMetrics leader_metrics;
  LeaseElector elector{client, clock, config_for("me_abc"), leader_metrics};

  // Makes this replica the leader through the create path; returns the created lease.
  json become_leader() {
    json created;
    EXPECT_CALL(client, get(kLeasePath)).WillOnce(Throw(not_found()));
    EXPECT_CALL(client, create(kLeasesPath, _)).WillOnce(Invoke([&](auto&, const json& body) {
      created = body;
      created["metadata"]["resourceVersion"] = "1";
      return created;
    }));
    EXPECT_TRUE(elector.try_acquire_or_renew());
    ::testing::Mock::VerifyAndClearExpectations(&client);
    return created;
  }
};

TEST(LeaderElectionConfigTest, AcceptsTheDefaults) {
  EXPECT_NO_THROW(validate(config_for("x")));
}

TEST(LeaderElectionConfigTest, RejectsBadTimingRelations) {
  auto config = config_for("x");
  config.renew_deadline = 15s;
  EXPECT_THROW(validate(config), std::invalid_argument);  // lease duration must exceed it
  config = config_for("x");
  config.lease_duration = 10'500ms;  // written as 10 s, not more than the deadline
  EXPECT_THROW(validate(config), std::invalid_argument);
  config = config_for("x");
  config.retry_period = 8400ms;  // 1.2 x 8.4 s = 10.08 s > 10 s
  EXPECT_THROW(validate(config), std::invalid_argument);
  config = config_for("x");
  config.retry_period = 0ms;
  EXPECT_THROW(validate(config), std::invalid_argument);
  config = config_for("");
  EXPECT_THROW(validate(config), std::invalid_argument);
  EXPECT_EQ(lease_request_timeout(config_for("x")), 5s);
  // 15 s lease, 10 s renew deadline: a write let out just before the deadline has 5 s to land.
  EXPECT_EQ(leader_write_timeout(config_for("x")), 1666ms);
}

TEST(LeaderElectionRecordTest, RoundTripsAndToleratesMissingFields) {
  const LeaderElectionRecord empty = record_from_lease(json{{"metadata", json::object()}});
  EXPECT_EQ(empty, LeaderElectionRecord{});
  json released = lease("", "x");
  released["spec"].erase("holderIdentity");
  EXPECT_EQ(record_from_lease(released).holder_identity, "");
  LeaderElectionRecord record{"a", 15, "t1", "t2", 4};
  json object = json::object();
  write_record_to_lease(record, object);
  EXPECT_EQ(record_from_lease(object), record);
}

TEST(LeaderElectionRecordTest, FormatsMicroTime) {
  const std::chrono::system_clock::time_point time{
      std::chrono::microseconds(1'700'000'000'123'456)};
  EXPECT_EQ(format_micro_time(time), "2023-11-14T22:13:20.123456Z");
  const std::chrono::system_clock::time_point padded{
      std::chrono::microseconds(1'700'000'000'000'005)};
  EXPECT_EQ(format_micro_time(padded), "2023-11-14T22:13:20.000005Z");
}

TEST(LeaderIdentityTest, IsHostnamePlusRandomSuffix) {
  const std::string a = make_leader_identity();
  const std::string b = make_leader_identity();
  EXPECT_NE(a, b);
  ASSERT_NE(a.rfind('_'), std::string::npos);
  EXPECT_EQ(a.size() - a.rfind('_') - 1, 10u);
}

TEST_F(LeaderElectorTest, CreatesTheLeaseWhenAbsent) {
  const json created = become_leader();
  EXPECT_EQ(created["spec"]["holderIdentity"], "me_abc");
  EXPECT_EQ(created["spec"]["leaseDurationSeconds"], 15);
  EXPECT_EQ(created["spec"]["leaseTransitions"], 0);
  EXPECT_EQ(created["metadata"]["name"], "headless-operator");
  EXPECT_TRUE(elector.is_leader());
  EXPECT_TRUE(elector.gate().may_write());
  EXPECT_EQ(leader_metrics.transitions, 1);
}

TEST_F(LeaderElectorTest, CreateLosingTheRaceIsNotLeadership) {
  EXPECT_CALL(client, get(kLeasePath)).WillOnce(Throw(not_found()));
  EXPECT_CALL(client, create(kLeasesPath, _))
      .WillOnce(Throw(kube::ApiError(409, kube::StatusReason::kAlreadyExists, "exists")));
  EXPECT_FALSE(elector.try_acquire_or_renew());
  EXPECT_FALSE(elector.is_leader());
  EXPECT_FALSE(elector.gate().may_write());
}

TEST_F(LeaderElectorTest, WaitsForExpiryByTheLocalClockNotByTheRenewTime) {
  // The renew time looks ancient (skewed clock), but this replica has only just seen the record.
  const json held = lease("other", "1999-01-01T00:00:00.000000Z");
  EXPECT_CALL(client, get(kLeasePath)).WillRepeatedly(Return(held));
  EXPECT_CALL(client, update(_, _)).Times(0);
  EXPECT_FALSE(elector.try_acquire_or_renew());
  clock.advance(14s);
  EXPECT_FALSE(elector.try_acquire_or_renew());
  ::testing::Mock::VerifyAndClearExpectations(&client);

  clock.advance(2s);  // 16 s since the record last changed > 15 s
  json written;
  EXPECT_CALL(client, get(kLeasePath)).WillOnce(Return(held));
  EXPECT_CALL(client, update(kLeasePath, _)).WillOnce(Invoke([&](auto& path, const json& body) {
    written = body;
    return accept_update(path, body);
  }));
  EXPECT_TRUE(elector.try_acquire_or_renew());
  EXPECT_EQ(written["metadata"]["resourceVersion"], "100");  // optimistic concurrency
  EXPECT_EQ(written["spec"]["holderIdentity"], "me_abc");
  EXPECT_EQ(written["spec"]["leaseTransitions"], 4);
  EXPECT_NE(written["spec"]["acquireTime"], "2000-01-01T00:00:00.000000Z");
  EXPECT_TRUE(elector.gate().may_write());
}

TEST_F(LeaderElectorTest, ARecordThatKeepsChangingIsNeverExpired) {
  EXPECT_CALL(client, update(_, _)).Times(0);
  for (int i = 0; i < 20; ++i) {
    // Another replica renews every 10 s: each change restarts this replica's timer.
    EXPECT_CALL(client, get(kLeasePath))
        .WillOnce(Return(lease("other", "2000-01-01T00:00:0" + std::to_string(i % 10) + "Z")));
    EXPECT_FALSE(elector.try_acquire_or_renew());
    clock.advance(10s);
  }
  EXPECT_EQ(elector.observed_holder(), "other");
}

TEST_F(LeaderElectorTest, UsesTheDurationWrittenInTheRecord) {
  EXPECT_CALL(client, get(kLeasePath)).WillRepeatedly(Return(lease("other", "t", 60)));
  EXPECT_FALSE(elector.try_acquire_or_renew());
  clock.advance(30s);
  EXPECT_FALSE(elector.try_acquire_or_renew());  // 30 s < 60 s although our own duration is 15 s
}

TEST_F(LeaderElectorTest, AcquiresAReleasedLeaseAtOnce) {
  EXPECT_CALL(client, get(kLeasePath)).WillOnce(Return(lease("", "t", 1)));
  EXPECT_CALL(client, update(kLeasePath, _)).WillOnce(Invoke(accept_update));
  EXPECT_TRUE(elector.try_acquire_or_renew());
}

TEST_F(LeaderElectorTest, ATransitionsCounterEditedToItsMaximumStaysThere) {
  json edited = lease("", "t", 1);
  edited["spec"]["leaseTransitions"] = 2147483647;
  EXPECT_CALL(client, get(kLeasePath)).WillOnce(Return(edited));
  EXPECT_CALL(client, update(kLeasePath, _)).WillOnce(Invoke([](auto& path, const json& body) {
    EXPECT_EQ(body["spec"]["leaseTransitions"], 2147483647);
    return accept_update(path, body);
  }));
  EXPECT_TRUE(elector.try_acquire_or_renew());
}

TEST_F(LeaderElectorTest, ConflictOnUpdateMeansNotLeader) {
  EXPECT_CALL(client, get(kLeasePath)).WillOnce(Return(lease("", "t", 1)));
  EXPECT_CALL(client, update(kLeasePath, _)).WillOnce(Throw(conflict()));
  EXPECT_FALSE(elector.try_acquire_or_renew());
  EXPECT_FALSE(elector.is_leader());
  EXPECT_FALSE(elector.gate().may_write());
}

TEST_F(LeaderElectorTest, TransportErrorsAreNotLeadership) {
  EXPECT_CALL(client, get(kLeasePath)).WillOnce(Throw(kube::TransportError("refused")));
  EXPECT_FALSE(elector.try_acquire_or_renew());
}

TEST_F(LeaderElectorTest, RenewsWithAPutOfItsOwnLeaseKeepingAcquireTime) {
  const json created = become_leader();
  clock.advance(2s);
  json renewed;
  EXPECT_CALL(client, get(_)).Times(0);
  EXPECT_CALL(client, update(kLeasePath, _)).WillOnce(Invoke([&](auto& path, const json& body) {
    renewed = body;
    return accept_update(path, body);
  }));
  EXPECT_TRUE(elector.try_acquire_or_renew());
  EXPECT_EQ(renewed["metadata"]["resourceVersion"], "1");
  EXPECT_EQ(renewed["spec"]["acquireTime"], created["spec"]["acquireTime"]);
  EXPECT_NE(renewed["spec"]["renewTime"], created["spec"]["renewTime"]);
  EXPECT_EQ(renewed["spec"]["leaseTransitions"], 0);
  EXPECT_EQ(leader_metrics.transitions, 1);
}

TEST_F(LeaderElectorTest, RenewConflictFallsBackToReadingTheLease) {
  const json created = become_leader();
  json current = created;
  current["metadata"]["resourceVersion"] = "7";  // e.g. someone edited a label
  EXPECT_CALL(client, update(kLeasePath, _))
      .WillOnce(Throw(conflict()))
      .WillOnce(Invoke([&](auto& path, const json& body) {
        EXPECT_EQ(body["metadata"]["resourceVersion"], "7");
        return accept_update(path, body);
      }));
  EXPECT_CALL(client, get(kLeasePath)).WillOnce(Return(current));
  EXPECT_TRUE(elector.try_acquire_or_renew());
}

TEST_F(LeaderElectorTest, GateClosesAtTheRenewDeadlineEvenWithARequestInFlight) {
  become_leader();
  clock.advance(9s);
  EXPECT_TRUE(elector.gate().may_write());
  bool checked_during_request = false;
  EXPECT_CALL(client, update(kLeasePath, _)).WillOnce(Invoke([&](auto&, const json&) -> json {
    clock.advance(2s);  // the request hangs past the deadline
    EXPECT_FALSE(elector.gate().may_write());
    checked_during_request = true;
    throw kube::TransportError("timeout");
  }));
  EXPECT_CALL(client, get(kLeasePath)).WillOnce(Throw(kube::TransportError("timeout")));
  EXPECT_FALSE(elector.try_acquire_or_renew());
  EXPECT_TRUE(checked_during_request);
  EXPECT_FALSE(elector.gate().may_write());
}

TEST_F(LeaderElectorTest, AnotherHolderClosesTheGateAtOnce) {
  become_leader();
  EXPECT_CALL(client, update(kLeasePath, _)).WillOnce(Throw(conflict()));
  EXPECT_CALL(client, get(kLeasePath)).WillOnce(Return(lease("other", "t")));
  EXPECT_FALSE(elector.try_acquire_or_renew());
  EXPECT_FALSE(elector.is_leader());
  EXPECT_FALSE(elector.gate().may_write());
  EXPECT_EQ(leader_metrics.transitions, 2);
}

TEST_F(LeaderElectorTest, ReleaseWritesAnEmptyHolderWithDurationOne) {
  become_leader();
  json released;
  EXPECT_CALL(client, update(kLeasePath, _)).WillOnce(Invoke([&](auto& path, const json& body) {
    released = body;
    EXPECT_FALSE(elector.gate().may_write());  // writes stop before the lease is given up
    return accept_update(path, body);
  }));
  EXPECT_TRUE(elector.release());
  EXPECT_EQ(released["spec"]["holderIdentity"], "");
  EXPECT_EQ(released["spec"]["leaseDurationSeconds"], 1);
  EXPECT_EQ(released["metadata"]["resourceVersion"], "1");
  EXPECT_FALSE(elector.is_leader());
}

TEST_F(LeaderElectorTest, ReleaseWithoutLeadershipWritesNothing) {
  EXPECT_CALL(client, update(_, _)).Times(0);
  EXPECT_TRUE(elector.release());
}

TEST_F(LeaderElectorTest, ReleaseRereadsTheLeaseOnConflict) {
  become_leader();
  EXPECT_CALL(client, update(kLeasePath, _))
      .WillOnce(Throw(conflict()))
      .WillOnce(Invoke(accept_update));
  json current = lease("me_abc", "t", 15, "9");
  EXPECT_CALL(client, get(kLeasePath)).WillOnce(Return(current));
  EXPECT_TRUE(elector.release());
}

// An in-memory Lease store with resourceVersion checks, shared by several electors.
class LeaseStore {
 public:
  json get() {
    if (!stored_) {
      throw not_found();
    }
    return *stored_;
  }
  json create(const json& body) {
    if (stored_) {
      throw kube::ApiError(409, kube::StatusReason::kAlreadyExists, "exists");
    }
    stored_ = body;
    (*stored_)["metadata"]["resourceVersion"] = std::to_string(++version_);
    return *stored_;
  }
  json update(const json& body) {
    if (!stored_ ||
        body["metadata"]["resourceVersion"] != (*stored_)["metadata"]["resourceVersion"]) {
      throw conflict();
    }
    stored_ = body;
    (*stored_)["metadata"]["resourceVersion"] = std::to_string(++version_);
    return *stored_;
  }
  void wire(MockApiClient& client) {
    ON_CALL(client, get(_)).WillByDefault(Invoke([this](auto&) { return get(); }));
    ON_CALL(client, create(_, _)).WillByDefault(Invoke([this](auto&, auto& b) {
      return create(b);
    }));
    ON_CALL(client, update(_, _)).WillByDefault(Invoke([this](auto&, auto& b) {
      return update(b);
    }));
  }
  std::string holder() const { return record_from_lease(stored_.value_or(json{})).holder_identity; }

 private:
  std::optional<json> stored_;
  int version_ = 0;
};

TEST(LeaderElectorHandoverTest, ReleasedLeaseGoesToTheStandbyOnItsNextTry) {
  FakeClock clock;
  LeaseStore store;
  ::testing::NiceMock<MockApiClient> client_a;
  ::testing::NiceMock<MockApiClient> client_b;
  store.wire(client_a);
  store.wire(client_b);
  metrics::LeaderMetrics no_metrics;
  LeaseElector a(client_a, clock, config_for("a"), no_metrics);
  LeaseElector b(client_b, clock, config_for("b"), no_metrics);

  EXPECT_TRUE(a.try_acquire_or_renew());
  EXPECT_FALSE(b.try_acquire_or_renew());
  clock.advance(2s);
  EXPECT_TRUE(a.try_acquire_or_renew());
  EXPECT_FALSE(b.try_acquire_or_renew());
  EXPECT_TRUE(a.release());
  EXPECT_EQ(store.holder(), "");
  clock.advance(2s);
  EXPECT_TRUE(b.try_acquire_or_renew());
  EXPECT_FALSE(a.try_acquire_or_renew());
  EXPECT_EQ(store.holder(), "b");
}

TEST(LeaderElectorHandoverTest, AStandbyTakesOverOnlyAfterTheLeaseDuration) {
  FakeClock clock;
  LeaseStore store;
  ::testing::NiceMock<MockApiClient> client_a;
  ::testing::NiceMock<MockApiClient> client_b;
  store.wire(client_a);
  store.wire(client_b);
  metrics::LeaderMetrics no_metrics;
  LeaseElector a(client_a, clock, config_for("a"), no_metrics);
  LeaseElector b(client_b, clock, config_for("b"), no_metrics);

  EXPECT_TRUE(a.try_acquire_or_renew());
  EXPECT_FALSE(b.try_acquire_or_renew());
  // a goes silent. Its gate closes at 10 s; b may take over only after 15 s.
  for (auto elapsed = 0s; elapsed < 30s; elapsed += 1s) {
    clock.advance(1s);
    const bool b_leads = b.try_acquire_or_renew();
    EXPECT_FALSE(a.gate().may_write() && b_leads) << "two writers at " << elapsed.count();
    if (b_leads) {
      EXPECT_GE(elapsed + 1s, 15s);
      return;
    }
  }
  FAIL() << "b never took over";
}

// Runner tests: the sleeper advances the fake clock instead of sleeping.
class LeaderRunnerTest : public ::testing::Test {
 protected:
  FakeClock clock;
  ::testing::NiceMock<MockApiClient> client;
  LeaseStore store;
  RecordingLeaderMetrics leader_metrics;
  LeaseElector elector{client, clock, config_for("me"), leader_metrics};
  std::vector<std::string> events;
  std::vector<Clock::Duration> event_times;  // slept so far when each event happened
  Clock::Duration slept{};
  std::function<void()> on_sleep = [] {};

  void SetUp() override { store.wire(client); }

  LeaderElectionRunner make_runner(std::stop_source& stop, int max_sleeps) {
    auto sleeps = std::make_shared<int>(0);
    return LeaderElectionRunner(
        elector, clock, leader_metrics,
        {.on_started_leading =
             [this] {
               events.push_back("started");
               event_times.push_back(slept);
             },
         .on_stopped_leading =
             [this](LeadershipEnd end) {
               events.push_back(end == LeadershipEnd::kLost ? "lost" : "shutdown");
               event_times.push_back(slept);
             }},
        [this, &stop, sleeps, max_sleeps](Clock::Duration d, std::stop_token) {
          clock.advance(d);
          slept += d;
          on_sleep();
          if (++*sleeps >= max_sleeps) {
            stop.request_stop();
          }
          return !stop.stop_requested();
        });
  }
};

TEST_F(LeaderRunnerTest, LeadsUntilShutdown) {
  std::stop_source stop;
  auto runner = make_runner(stop, 5);
  runner.run(stop.get_token());
  EXPECT_EQ(events, (std::vector<std::string>{"started", "shutdown"}));
  EXPECT_TRUE(runner.finished());
  EXPECT_FALSE(leader_metrics.leader);
  EXPECT_EQ(store.holder(), "me");  // releasing is the caller's job after draining the workers
  EXPECT_TRUE(elector.release());
  EXPECT_EQ(store.holder(), "");
}

TEST_F(LeaderRunnerTest, LosesLeadershipWhenRenewalsFailForTheRenewDeadline) {
  std::stop_source stop;
  auto runner = make_runner(stop, 100);
  bool failing = false;
  int sleeps_while_failing = 0;
  on_sleep = [&] {
    if (events.size() == 1 && !failing) {
      failing = true;  // from the first renew on, the API server is gone
      ON_CALL(client, update(_, _)).WillByDefault(Throw(kube::TransportError("down")));
      ON_CALL(client, get(_)).WillByDefault(Throw(kube::TransportError("down")));
    } else if (failing) {
      ++sleeps_while_failing;
    }
  };
  runner.run(stop.get_token());
  // The API server stays gone: the runner stands again (it is still running when stopped), but
  // cannot lead, so no second term starts.
  EXPECT_EQ(events, (std::vector<std::string>{"started", "lost"}));
  EXPECT_FALSE(elector.is_leader());
  EXPECT_FALSE(elector.gate().may_write());
  EXPECT_EQ(leader_metrics.renew_failures, 5);  // at 2, 4, 6, 8 and 10 s after the last renew
  // Noticed before the lease could expire elsewhere.
  EXPECT_LT(event_times.at(1) - event_times.at(0), 15s);
  EXPECT_TRUE(runner.finished());
}

TEST_F(LeaderRunnerTest, StepsDownForAnotherHolderAndStandsAgainOnceItsLeaseRunsOut) {
  std::stop_source stop;
  auto runner = make_runner(stop, 40);
  on_sleep = [&] {
    if (events.size() == 1) {
      json taken = store.get();
      taken["spec"]["holderIdentity"] = "usurper";
      store.update(taken);
    }
  };
  runner.run(stop.get_token());
  // The usurper never renews: after its 15 s lease this replica leads again, without a restart.
  EXPECT_EQ(events, (std::vector<std::string>{"started", "lost", "started", "shutdown"}));
  EXPECT_GE(event_times.at(2) - event_times.at(1), 15s);
  EXPECT_EQ(store.holder(), "me");
}

TEST_F(LeaderRunnerTest, StandbyRetriesWithJitteredRetryPeriod) {
  json held = lease("other", "t");
  store.create(held);
  std::stop_source stop;
  auto runner = make_runner(stop, 3);
  runner.run(stop.get_token());
  EXPECT_TRUE(events.empty());
  EXPECT_GE(slept, 6s);
  EXPECT_LE(slept, 7200ms);
}

TEST(LeaderRunnerThreadTest, StartAndStopWithTheRealSleeper) {
  SystemClock& clock = SystemClock::instance();
  ::testing::NiceMock<MockApiClient> client;
  LeaseStore store;
  store.wire(client);
  metrics::LeaderMetrics no_metrics;
  LeaseElector elector(client, clock, config_for("me"), no_metrics);
  std::atomic<bool> started{false};
  LeaderElectionRunner runner(
      elector, clock, no_metrics,
      {.on_started_leading = [&] { started = true; }, .on_stopped_leading = {}});
  runner.start();
  for (int i = 0; i < 200 && !started; ++i) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_TRUE(started);
  const auto before = std::chrono::steady_clock::now();
  runner.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - before, 1s);
  EXPECT_TRUE(runner.finished());
}

}  // namespace
}  // namespace hso::leaderelection
