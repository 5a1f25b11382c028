#include "hso/reconciler/async_event_recorder.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "support/pod_builder.hpp"
#include "support/wait.hpp"

namespace hso::reconciler {
namespace {

using namespace std::chrono_literals;

plan::PodInfo pod(const std::string& name) {
  return test::PodBuilder(name).uid("uid-" + name).info();
}

// Records what it is handed; while `held`, it blocks inside record() like a slow API server.
class GatedRecorder final : public EventRecorder {
 public:
  void record(const plan::PodInfo& p, EventType, std::string_view reason, std::string_view,
              std::string_view) override {
    std::unique_lock lock(mutex_);
    ++entered_;
    changed_.notify_all();
    changed_.wait(lock, [this] { return !held_; });
    recorded_.push_back(p.name + " " + std::string(reason));
  }
  void hold() {
    std::lock_guard lock(mutex_);
    held_ = true;
  }
  void release() {
    {
      std::lock_guard lock(mutex_);
      held_ = false;
    }
    changed_.notify_all();
  }
  bool wait_entered(int count) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 10s, [&] { return entered_ >= count; });
  }
  std::vector<std::string> recorded() {
    std::lock_guard lock(mutex_);
    return recorded_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool held_ = false;
  int entered_ = 0;
  std::vector<std::string> recorded_;
};

TEST(AsyncEventRecorderTest, HandsEventsOnInOrder) {
  auto inner = std::make_unique<GatedRecorder>();
  GatedRecorder& gated = *inner;
  AsyncEventRecorder recorder(std::move(inner));
  recorder.record(pod("a"), EventType::kNormal, "Created", "Create", "note");
  recorder.record(pod("b"), EventType::kWarning, "Skipped", "Skip", "note");
  recorder.flush();
  EXPECT_EQ(gated.recorded(), (std::vector<std::string>{"a Created", "b Skipped"}));
}

TEST(AsyncEventRecorderTest, ARecordNeverWaitsForTheWriteAndExcessIsDropped) {
  auto inner = std::make_unique<GatedRecorder>();
  GatedRecorder& gated = *inner;
  gated.hold();
  AsyncEventRecorder recorder(std::move(inner), /*capacity=*/2);
  recorder.record(pod("in-hand"), EventType::kNormal, "R", "A", "n");
  ASSERT_TRUE(gated.wait_entered(1));
  // The sender is stuck in the first write; these return at once, two wait, the rest is dropped.
  for (const char* name : {"w1", "w2", "dropped1", "dropped2"})
    recorder.record(pod(name), EventType::kNormal, "R", "A", "n");
  gated.release();
  recorder.flush();
  EXPECT_EQ(gated.recorded(), (std::vector<std::string>{"in-hand R", "w1 R", "w2 R"}));
}

TEST(AsyncEventRecorderTest, StopDropsWhatWaitsAndFinishesWhatIsInHand) {
  auto inner = std::make_unique<GatedRecorder>();
  GatedRecorder& gated = *inner;
  gated.hold();
  AsyncEventRecorder recorder(std::move(inner));
  recorder.record(pod("in-hand"), EventType::kNormal, "R", "A", "n");
  ASSERT_TRUE(gated.wait_entered(1));
  recorder.record(pod("waiting"), EventType::kNormal, "R", "A", "n");
  std::thread stopper([&] { recorder.stop(); });
  ASSERT_TRUE(test::wait_until([&] { return recorder.waiting() == 0; }, 10s));
  gated.release();
  stopper.join();
  recorder.record(pod("after-stop"), EventType::kNormal, "R", "A", "n");
  recorder.flush();  // returns at once after stop
  EXPECT_EQ(gated.recorded(), std::vector<std::string>{"in-hand R"});
}

}  // namespace
}  // namespace hso::reconciler
