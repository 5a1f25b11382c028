#pragma once

#include <atomic>
#include <chrono>

namespace hso {

// Time source for every piece of time-based logic (backoff, rate limits, leases, queues), so
// that tests can drive time explicitly instead of sleeping.
class Clock {
 public:
  using Duration = std::chrono::steady_clock::duration;
  using TimePoint = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;
  // Monotonic time: the only clock used to judge elapsed time.
  virtual TimePoint now() const = 0;
  // Wall-clock time: only for timestamps written into API objects.
  virtual std::chrono::system_clock::time_point wall_now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::steady_clock::now(); }
  std::chrono::system_clock::time_point wall_now() const override {
    return std::chrono::system_clock::now();
  }
  static SystemClock& instance() {
    static SystemClock clock;
    return clock;
  }
};

// A clock that only moves when told to; for unit tests. Safe to read from several threads.
class FakeClock final : public Clock {
 public:
  TimePoint now() const override { return TimePoint(Duration(offset_.load())) + kStart; }
  std::chrono::system_clock::time_point wall_now() const override {
    return kWallStart + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                            Duration(offset_.load()));
  }
  void advance(Duration d) { offset_ += d.count(); }

 private:
  static constexpr Duration kStart = std::chrono::hours(1000);
  static constexpr std::chrono::system_clock::time_point kWallStart{
      std::chrono::hours(24 * 365 * 56)};
  std::atomic<Duration::rep> offset_{0};
};

}  // namespace hso
