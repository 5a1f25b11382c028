#include "hso/informer/reflector.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "hso/informer/store.hpp"
#include "support/mock_api_client.hpp"

namespace hso::informer {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using ::testing::_;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::InSequence;
using ::testing::Invoke;
using ::testing::Return;
using ::testing::Throw;
using ::testing::UnorderedElementsAre;

struct ToyObject {
  std::string value;
  bool operator==(const ToyObject&) const = default;
};

std::optional<ToyObject> project_toy(const json& object) {
  if (!object.contains("data")) {
    return std::nullopt;
  }
  return ToyObject{object.at("data").at("value").get<std::string>()};
}

json object(const std::string& name, const std::string& value, const std::string& rv = "1") {
  return json{{"metadata", {{"namespace", "ns"}, {"name", name}, {"resourceVersion", rv}}},
              {"data", {{"value", value}}}};
}

kube::ListPage page(std::vector<json> items, std::string rv, std::string continue_token = "") {
  kube::ListPage result;
  result.items = json::array();
  for (auto& item : items) {
    result.items.push_back(std::move(item));
  }
  result.resource_version = std::move(rv);
  result.continue_token = std::move(continue_token);
  return result;
}

kube::WatchEvent event(kube::WatchEvent::Type type, json body) {
  return kube::WatchEvent{type, std::move(body)};
}

json bookmark(const std::string& rv) {
  return json{{"kind", "ConfigMap"}, {"metadata", {{"resourceVersion", rv}}}};
}

kube::ApiError gone() {
  return kube::ApiError(410, kube::StatusReason::kGone, "too old");
}

// A one-shot flag another thread can wait for, with a deadline.
class Signal {
 public:
  void notify() {
    {
      std::lock_guard lock(mutex_);
      raised_ = true;
    }
    changed_.notify_all();
  }
  bool wait(std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [this] { return raised_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool raised_ = false;
};

// Returns at once, recording the delay and moving the fake clock past it.
class RecordingSleeper final {
 public:
  explicit RecordingSleeper(FakeClock& clock) : clock_(clock) {}
  bool sleep_for(Clock::Duration duration, std::stop_token stop) {
    std::lock_guard lock(mutex_);
    delays_.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(duration));
    clock_.advance(duration);
    return !stop.stop_requested();
  }
  std::vector<std::chrono::milliseconds> delays() {
    std::lock_guard lock(mutex_);
    return delays_;
  }

 private:
  FakeClock& clock_;
  std::mutex mutex_;
  std::vector<std::chrono::milliseconds> delays_;
};

class CountingWatchMetrics final : public metrics::WatchMetrics {
 public:
  void watch_restarted(std::string_view) override { ++restarts; }
  void relisted(std::string_view) override { ++relists; }
  void event_received(std::string_view resource, std::string_view type) override {
    std::lock_guard lock(mutex);
    events.push_back(std::string(resource) + ":" + std::string(type));
  }
  std::atomic<int> restarts{0};
  std::atomic<int> relists{0};
  std::mutex mutex;
  std::vector<std::string> events;
};

// A watch that stays open until the reflector is stopped; raises `reached` when it starts.
auto watch_until_stopped(Signal& reached) {
  return [&reached](const std::string&, const kube::WatchOptions&, const kube::WatchEventHandler&,
                    std::stop_token stop) {
    reached.notify();
    std::mutex mutex;
    std::condition_variable_any never;
    std::unique_lock lock(mutex);
    never.wait(lock, stop, [] { return false; });
  };
}

// A watch that delivers `events` and then ends normally.
auto watch_delivering(std::vector<kube::WatchEvent> events) {
  return [events = std::move(events)](const std::string&, const kube::WatchOptions&,
                                      const kube::WatchEventHandler& on_event, std::stop_token) {
    for (kube::WatchEvent e : events) {
      if (!on_event(std::move(e))) {
        return;
      }
    }
  };
}

auto watch_from(const std::string& rv) {
  return Field(&kube::WatchOptions::resource_version, rv);
}
auto continuing(const std::string& token) {
  return Field(&kube::ListOptions::continue_token, token);
}

class InformerReflectorTest : public ::testing::Test {
 protected:
  InformerReflectorTest() {
    store_.on_delete([this](const std::string& key, const Store<ToyObject>::Ptr&) {
      std::lock_guard lock(deleted_mutex_);
      deleted_.push_back(key);
    });
  }

  std::unique_ptr<Reflector> make_reflector(ReflectorOptions options = {}) {
    options.resource = "configmaps";
    options.collection_path = "/api/v1/namespaces/ns/configmaps";
    ReflectorEnvironment environment;
    environment.metrics = &metrics_;
    environment.clock = &clock_;
    environment.sleeper = [this](Clock::Duration d, std::stop_token s) {
      return sleeper_.sleep_for(d, s);
    };
    environment.random = [] { return 0.0; };
    return std::make_unique<Reflector>(client_, store_, std::move(options), std::move(environment));
  }

  std::vector<std::string> deleted() {
    std::lock_guard lock(deleted_mutex_);
    return deleted_;
  }

  hso::test::MockApiClient client_;
  FakeClock clock_;
  RecordingSleeper sleeper_{clock_};
  CountingWatchMetrics metrics_;
  Store<ToyObject> store_{"configmaps", project_toy};
  std::mutex deleted_mutex_;
  std::vector<std::string> deleted_;
  Signal final_watch_;
};

TEST_F(InformerReflectorTest, PagedListJoinsPagesThenWatchesFromListVersion) {
  InSequence order;
  EXPECT_CALL(client_, list("/api/v1/namespaces/ns/configmaps",
                            AllOf(continuing(""), Field(&kube::ListOptions::limit, 500),
                                  Field(&kube::ListOptions::label_selector, "app=web"))))
      .WillOnce(Return(page({object("a", "1"), object("b", "2")}, "", "token-1")));
  EXPECT_CALL(client_, list(_, continuing("token-1")))
      .WillOnce(Return(page({object("c", "3")}, "100")));
  EXPECT_CALL(client_,
              watch("/api/v1/namespaces/ns/configmaps",
                    AllOf(watch_from("100"), Field(&kube::WatchOptions::allow_bookmarks, true),
                          Field(&kube::WatchOptions::label_selector, "app=web"),
                          Field(&kube::WatchOptions::timeout, 300s)),
                    _, _))
      .WillOnce(Invoke(watch_until_stopped(final_watch_)));

  ReflectorOptions options;
  options.label_selector = "app=web";
  auto reflector = make_reflector(options);
  EXPECT_FALSE(reflector->has_synced());
  reflector->start();
  ASSERT_TRUE(final_watch_.wait());
  EXPECT_TRUE(reflector->has_synced());
  EXPECT_TRUE(reflector->wait_for_sync({}));
  EXPECT_EQ(reflector->last_resource_version(), "100");
  EXPECT_THAT(store_.keys(), UnorderedElementsAre("ns/a", "ns/b", "ns/c"));
  reflector->stop();
}

TEST_F(InformerReflectorTest, WatchTimeoutIsRandomisedWithinTheRange) {
  EXPECT_CALL(client_, list(_, _)).WillOnce(Return(page({}, "1")));
  EXPECT_CALL(client_, watch(_, Field(&kube::WatchOptions::timeout, 450s), _, _))
      .WillOnce(Invoke(watch_until_stopped(final_watch_)));
  ReflectorOptions options;
  options.min_watch_timeout = 300s;
  options.max_watch_timeout = 600s;
  options.resource = "configmaps";
  options.collection_path = "/api/v1/configmaps";
  ReflectorEnvironment environment;
  environment.clock = &clock_;
  environment.sleeper = [this](Clock::Duration d, std::stop_token s) {
    return sleeper_.sleep_for(d, s);
  };
  environment.random = [] { return 0.5; };
  Reflector reflector(client_, store_, options, std::move(environment));
  reflector.start();
  ASSERT_TRUE(final_watch_.wait());
}

TEST_F(InformerReflectorTest, AppliesWatchEventsAndResumesFromBookmarkVersion) {
  InSequence order;
  EXPECT_CALL(client_, list(_, _)).WillOnce(Return(page({object("a", "1")}, "10")));
  EXPECT_CALL(client_, watch(_, watch_from("10"), _, _))
      .WillOnce(Invoke(watch_delivering({
          event(kube::WatchEvent::Type::kAdded, object("b", "2", "11")),
          event(kube::WatchEvent::Type::kModified, object("a", "changed", "12")),
          event(kube::WatchEvent::Type::kDeleted, object("b", "2", "13")),
          event(kube::WatchEvent::Type::kBookmark, bookmark("15")),
      })));
  EXPECT_CALL(client_, watch(_, watch_from("15"), _, _))
      .WillOnce(Invoke(watch_until_stopped(final_watch_)));

  auto reflector = make_reflector();
  reflector->start();
  ASSERT_TRUE(final_watch_.wait());
  EXPECT_THAT(store_.keys(), ElementsAre("ns/a"));
  EXPECT_EQ(store_.get("ns/a")->value, "changed");
  EXPECT_THAT(deleted(), ElementsAre("ns/b"));
  EXPECT_EQ(metrics_.restarts, 1);
  EXPECT_EQ(metrics_.relists, 0);
  {
    std::lock_guard lock(metrics_.mutex);
    EXPECT_THAT(metrics_.events, ElementsAre("configmaps:ADDED", "configmaps:MODIFIED",
                                             "configmaps:DELETED", "configmaps:BOOKMARK"));
  }
  EXPECT_THAT(sleeper_.delays(), ::testing::IsEmpty());
  reflector->stop();
}

TEST_F(InformerReflectorTest, RelistsOnGoneFromWatchAndDropsObjectsDeletedMeanwhile) {
  InSequence order;
  EXPECT_CALL(client_, list(_, _))
      .WillOnce(Return(page({object("a", "1"), object("b", "2")}, "10")));
  EXPECT_CALL(client_, watch(_, watch_from("10"), _, _)).WillOnce(Throw(gone()));
  EXPECT_CALL(client_, list(_, continuing("")))
      .WillOnce(Return(page({object("b", "2"), object("c", "3")}, "20")));
  EXPECT_CALL(client_, watch(_, watch_from("20"), _, _))
      .WillOnce(Invoke(watch_until_stopped(final_watch_)));

  auto reflector = make_reflector();
  reflector->start();
  ASSERT_TRUE(final_watch_.wait());
  EXPECT_THAT(store_.keys(), UnorderedElementsAre("ns/b", "ns/c"));
  EXPECT_THAT(deleted(), ElementsAre("ns/a"));
  EXPECT_EQ(metrics_.relists, 1);
  EXPECT_THAT(sleeper_.delays(), ::testing::IsEmpty());  // a first 410 relists at once
  reflector->stop();
}

TEST_F(InformerReflectorTest, GoneAsWatchErrorEventRelistsToo) {
  InSequence order;
  EXPECT_CALL(client_, list(_, _)).WillOnce(Return(page({object("a", "1")}, "10")));
  EXPECT_CALL(client_, watch(_, watch_from("10"), _, _))
      .WillOnce(Invoke([](const std::string&, const kube::WatchOptions&,
                          const kube::WatchEventHandler& on_event, std::stop_token) {
        on_event(event(kube::WatchEvent::Type::kModified, object("a", "2", "11")));
        throw kube::ApiError(410, kube::StatusReason::kExpired, "too old resource version");
      }));
  EXPECT_CALL(client_, list(_, _)).WillOnce(Return(page({object("a", "3")}, "30")));
  EXPECT_CALL(client_, watch(_, watch_from("30"), _, _))
      .WillOnce(Invoke(watch_until_stopped(final_watch_)));

  auto reflector = make_reflector();
  reflector->start();
  ASSERT_TRUE(final_watch_.wait());
  EXPECT_EQ(store_.get("ns/a")->value, "3");
  reflector->stop();
}

TEST_F(InformerReflectorTest, RestartsTheListWhenTheContinueTokenExpires) {
  InSequence order;
  EXPECT_CALL(client_, list(_, continuing("")))
      .WillOnce(Return(page({object("a", "1")}, "", "token-1")));
  EXPECT_CALL(client_, list(_, continuing("token-1"))).WillOnce(Throw(gone()));
  EXPECT_CALL(client_, list(_, continuing("")))
      .WillOnce(Return(page({object("x", "1")}, "", "token-2")));
  EXPECT_CALL(client_, list(_, continuing("token-2")))
      .WillOnce(Return(page({object("y", "2")}, "50")));
  EXPECT_CALL(client_, watch(_, watch_from("50"), _, _))
      .WillOnce(Invoke(watch_until_stopped(final_watch_)));

  auto reflector = make_reflector();
  reflector->start();
  ASSERT_TRUE(final_watch_.wait());
  // The half-read first list never reached the store.
  EXPECT_THAT(store_.keys(), UnorderedElementsAre("ns/x", "ns/y"));
  EXPECT_EQ(metrics_.relists, 1);
  EXPECT_THAT(sleeper_.delays(), ::testing::IsEmpty());
  reflector->stop();
}

TEST_F(InformerReflectorTest, BacksOffOnFailuresAndHonoursRetryAfter) {
  InSequence order;
  EXPECT_CALL(client_, list(_, _))
      .WillOnce(Throw(kube::TransportError("connection refused")))
      .WillOnce(Throw(kube::ApiError(500, kube::StatusReason::kInternalError, "boom")))
      .WillOnce(Throw(kube::ApiError(429, kube::StatusReason::kTooManyRequests, "slow down",
                                     std::chrono::seconds(7))))
      .WillOnce(Return(page({object("a", "1")}, "10")));
  EXPECT_CALL(client_, watch(_, watch_from("10"), _, _))
      .WillOnce(Throw(kube::TransportError("reset by peer")));
  // A transport failure does not invalidate the version: the watch resumes without a relist.
  EXPECT_CALL(client_, watch(_, watch_from("10"), _, _))
      .WillOnce(Invoke(watch_until_stopped(final_watch_)));

  auto reflector = make_reflector();
  reflector->start();
  ASSERT_TRUE(final_watch_.wait());
  EXPECT_THAT(sleeper_.delays(), ElementsAre(800ms, 1600ms, 7000ms, 6400ms));
  EXPECT_EQ(store_.size(), 1u);
  // The watch cut by the network was re-established: a restart; the failed lists were not.
  EXPECT_EQ(metrics_.restarts, 1);
  reflector->stop();
}

TEST_F(InformerReflectorTest, AWatchThatDeliversStartsTheBackoffOver) {
  InSequence order;
  EXPECT_CALL(client_, list(_, _)).WillOnce(Return(page({object("a", "1")}, "10")));
  EXPECT_CALL(client_, watch(_, watch_from("10"), _, _))
      .WillOnce(Throw(kube::TransportError("reset by peer")));
  EXPECT_CALL(client_, watch(_, watch_from("10"), _, _))
      .WillOnce(Throw(kube::TransportError("reset by peer")));
  // This one works for a while, then is cut too: the wait is the first one again.
  EXPECT_CALL(client_, watch(_, watch_from("10"), _, _))
      .WillOnce(Invoke([](const std::string&, const kube::WatchOptions&,
                          const kube::WatchEventHandler& on_event, std::stop_token) {
        on_event(event(kube::WatchEvent::Type::kModified, object("a", "2", "11")));
        throw kube::TransportError("reset by peer");
      }));
  EXPECT_CALL(client_, watch(_, watch_from("11"), _, _))
      .WillOnce(Invoke(watch_until_stopped(final_watch_)));

  auto reflector = make_reflector();
  reflector->start();
  ASSERT_TRUE(final_watch_.wait());
  EXPECT_THAT(sleeper_.delays(), ElementsAre(800ms, 1600ms, 800ms));
  EXPECT_EQ(metrics_.restarts, 3);
  reflector->stop();
}

TEST_F(InformerReflectorTest, BackoffResetsAfterAHealthyStretch) {
  InSequence order;
  EXPECT_CALL(client_, list(_, _))
      .WillOnce(Throw(kube::TransportError("down")))
      .WillOnce(Throw(kube::TransportError("down")))
      .WillOnce(Return(page({}, "10")));
  EXPECT_CALL(client_, watch(_, _, _, _))
      .WillOnce(Invoke([this](const std::string&, const kube::WatchOptions&,
                              const kube::WatchEventHandler& on_event, std::stop_token) {
        on_event(event(kube::WatchEvent::Type::kBookmark, bookmark("11")));
        clock_.advance(5min);  // a long healthy watch
        throw kube::TransportError("reset");
      }));
  EXPECT_CALL(client_, watch(_, _, _, _)).WillOnce(Invoke(watch_until_stopped(final_watch_)));

  auto reflector = make_reflector();
  reflector->start();
  ASSERT_TRUE(final_watch_.wait());
  EXPECT_THAT(sleeper_.delays(), ElementsAre(800ms, 1600ms, 800ms));
  reflector->stop();
}

TEST_F(InformerReflectorTest, AnEmptyWatchThatEndsAtOnceBacksOff) {
  InSequence order;
  EXPECT_CALL(client_, list(_, _)).WillOnce(Return(page({}, "10")));
  EXPECT_CALL(client_, watch(_, watch_from("10"), _, _)).WillOnce(Return());
  EXPECT_CALL(client_, watch(_, watch_from("10"), _, _))
      .WillOnce(Invoke(watch_until_stopped(final_watch_)));

  auto reflector = make_reflector();
  reflector->start();
  ASSERT_TRUE(final_watch_.wait());
  EXPECT_THAT(sleeper_.delays(), ElementsAre(800ms));
  EXPECT_EQ(metrics_.restarts, 1);
  reflector->stop();
}

TEST_F(InformerReflectorTest, RepeatedGoneBacksOff) {
  InSequence order;
  EXPECT_CALL(client_, list(_, _)).WillOnce(Return(page({}, "10")));
  EXPECT_CALL(client_, watch(_, _, _, _)).WillOnce(Throw(gone()));
  EXPECT_CALL(client_, list(_, _)).WillOnce(Return(page({}, "20")));
  EXPECT_CALL(client_, watch(_, _, _, _)).WillOnce(Throw(gone()));
  EXPECT_CALL(client_, list(_, _)).WillOnce(Return(page({}, "30")));
  EXPECT_CALL(client_, watch(_, _, _, _)).WillOnce(Invoke(watch_until_stopped(final_watch_)));

  auto reflector = make_reflector();
  reflector->start();
  ASSERT_TRUE(final_watch_.wait());
  EXPECT_THAT(sleeper_.delays(), ElementsAre(800ms));
  EXPECT_EQ(metrics_.relists, 2);
  reflector->stop();
}

TEST_F(InformerReflectorTest, MalformedObjectsAreSkipped) {
  InSequence order;
  EXPECT_CALL(client_, list(_, _))
      .WillOnce(Return(page({object("a", "1"), json{{"metadata", {{"name", "no-data"}}}},
                             json{{"data", {{"value", "no-metadata"}}}}, json(nullptr)},
                            "10")));
  EXPECT_CALL(client_, watch(_, _, _, _))
      .WillOnce(Invoke(watch_delivering({
          event(kube::WatchEvent::Type::kAdded,
                json{{"metadata", {{"namespace", "ns"}, {"name", "bad"}}}, {"data", 5}}),
          event(kube::WatchEvent::Type::kAdded, json::array()),
          event(kube::WatchEvent::Type::kDeleted, json("nonsense")),
          event(kube::WatchEvent::Type::kAdded, object("b", "2", "11")),
      })));
  EXPECT_CALL(client_, watch(_, watch_from("11"), _, _))
      .WillOnce(Invoke(watch_until_stopped(final_watch_)));

  auto reflector = make_reflector();
  reflector->start();
  ASSERT_TRUE(final_watch_.wait());
  EXPECT_THAT(store_.keys(), UnorderedElementsAre("ns/a", "ns/b"));
  reflector->stop();
}

TEST_F(InformerReflectorTest, StopEndsABlockedWatchPromptly) {
  EXPECT_CALL(client_, list(_, _)).WillOnce(Return(page({}, "10")));
  EXPECT_CALL(client_, watch(_, _, _, _)).WillOnce(Invoke(watch_until_stopped(final_watch_)));
  auto reflector = make_reflector();
  reflector->start();
  ASSERT_TRUE(final_watch_.wait());
  const auto started = std::chrono::steady_clock::now();
  reflector->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

TEST_F(InformerReflectorTest, StopInterruptsARealBackoffWait) {
  Signal failed;
  EXPECT_CALL(client_, list(_, _)).WillRepeatedly(Invoke([&](auto&&...) -> kube::ListPage {
    failed.notify();
    throw kube::TransportError("down");
  }));
  ReflectorOptions options;
  options.resource = "configmaps";
  options.collection_path = "/api/v1/configmaps";
  options.backoff.initial = std::chrono::hours(1);
  options.backoff.max = std::chrono::hours(1);
  Reflector reflector(client_, store_, options);  // real clock and sleeper
  reflector.start();
  ASSERT_TRUE(failed.wait());
  const auto started = std::chrono::steady_clock::now();
  reflector.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  EXPECT_FALSE(reflector.has_synced());
}

TEST_F(InformerReflectorTest, WaitForSyncReturnsFalseWhenStopped) {
  auto reflector = make_reflector();
  std::stop_source stop;
  stop.request_stop();
  EXPECT_FALSE(reflector->wait_for_sync(stop.get_token()));
}

json initial_events_end(const std::string& rv) {
  json end = bookmark(rv);
  end["metadata"]["annotations"] = {{kube::kInitialEventsEndAnnotation, "true"}};
  return end;
}

auto streaming() {
  return AllOf(Field(&kube::WatchOptions::send_initial_events, true), watch_from(""),
               Field(&kube::WatchOptions::allow_bookmarks, true));
}

ReflectorOptions streaming_options() {
  ReflectorOptions options;
  options.stream_lists = true;
  return options;
}

TEST_F(InformerReflectorTest, StreamingListFillsTheStoreThenTheSameStreamWatches) {
  store_.upsert(object("stale", "0"));
  InSequence order;
  EXPECT_CALL(client_, list(_, _)).Times(0);
  EXPECT_CALL(client_, watch(_, streaming(), _, _))
      .WillOnce(Invoke(watch_delivering({
          event(kube::WatchEvent::Type::kAdded, object("a", "1", "5")),
          event(kube::WatchEvent::Type::kBookmark, bookmark("6")),  // progress, not the end
          event(kube::WatchEvent::Type::kAdded, object("b", "2", "7")),
          event(kube::WatchEvent::Type::kBookmark, initial_events_end("20")),
          event(kube::WatchEvent::Type::kModified, object("a", "changed", "21")),
      })));
  EXPECT_CALL(
      client_,
      watch(_, AllOf(watch_from("21"), Field(&kube::WatchOptions::send_initial_events, false)), _,
            _))
      .WillOnce(Invoke(watch_until_stopped(final_watch_)));

  auto reflector = make_reflector(streaming_options());
  reflector->start();
  ASSERT_TRUE(final_watch_.wait());
  EXPECT_TRUE(reflector->has_synced());
  // The initial state replaced the store as a whole: what it did not hold was deleted.
  EXPECT_THAT(store_.keys(), UnorderedElementsAre("ns/a", "ns/b"));
  EXPECT_EQ(store_.get("ns/a")->value, "changed");
  EXPECT_THAT(deleted(), ElementsAre("ns/stale"));
  reflector->stop();
}

TEST_F(InformerReflectorTest, NothingCommittedBeforeTheInitialStateEnds) {
  store_.upsert(object("kept", "0"));
  EXPECT_CALL(client_, watch(_, streaming(), _, _))
      .WillOnce(Invoke(watch_delivering({
          event(kube::WatchEvent::Type::kAdded, object("a", "1", "5")),
      })))
      .WillOnce(Invoke(watch_until_stopped(final_watch_)));
  auto reflector = make_reflector(streaming_options());
  reflector->start();
  ASSERT_TRUE(final_watch_.wait());
  // A stream that ended early is a failure: backed off, streamed again, the store untouched.
  EXPECT_FALSE(reflector->has_synced());
  EXPECT_THAT(store_.keys(), ElementsAre("ns/kept"));
  EXPECT_THAT(sleeper_.delays(), ::testing::SizeIs(1));
  reflector->stop();
}

TEST_F(InformerReflectorTest, ServerWithoutStreamingListsFallsBackToPagedListsForGood) {
  InSequence order;
  EXPECT_CALL(client_, watch(_, streaming(), _, _))
      .WillOnce(Throw(kube::ApiError(422, kube::StatusReason::kInvalid,
                                     "resourceVersionMatch is forbidden for watch")));
  EXPECT_CALL(client_, list(_, _)).WillOnce(Return(page({object("a", "1")}, "10")));
  EXPECT_CALL(client_, watch(_, watch_from("10"), _, _)).WillOnce(Throw(gone()));
  EXPECT_CALL(client_, list(_, _)).WillOnce(Return(page({object("a", "2")}, "30")));
  EXPECT_CALL(client_, watch(_, watch_from("30"), _, _))
      .WillOnce(Invoke(watch_until_stopped(final_watch_)));
  auto reflector = make_reflector(streaming_options());
  reflector->start();
  ASSERT_TRUE(final_watch_.wait());
  EXPECT_TRUE(reflector->has_synced());
  EXPECT_EQ(store_.get("ns/a")->value, "2");
  EXPECT_TRUE(sleeper_.delays().empty());  // falling back costs no backoff
  reflector->stop();
}

}  // namespace
}  // namespace hso::informer
