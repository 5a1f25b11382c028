#include "hso/metrics/process_collector.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <string>

namespace hso::metrics {
namespace {

// A stat line whose command name contains spaces and a ')'.
constexpr const char* kStat =
    "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 8 0 "
    "123400 104857600 2560 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0";

TEST(ProcessMetricsTest, ParsesProcSelfStat) {
  const auto stats = parse_proc_stat(kStat, 100, 4096, 1'700'000'000);
  ASSERT_TRUE(stats);
  EXPECT_DOUBLE_EQ(stats->cpu_seconds, 3.0);  // (250 + 50) ticks / 100
  EXPECT_DOUBLE_EQ(stats->start_time_seconds, 1'700'001'234.0);
  EXPECT_DOUBLE_EQ(stats->virtual_memory_bytes, 104857600.0);
  EXPECT_DOUBLE_EQ(stats->resident_memory_bytes, 2560.0 * 4096);
}

TEST(ProcessMetricsTest, RejectsGarbage) {
  EXPECT_FALSE(parse_proc_stat("", 100, 4096, 0));
  EXPECT_FALSE(parse_proc_stat("1 (x) S 1 2 3", 100, 4096, 0));
  EXPECT_FALSE(parse_proc_stat(kStat, 0, 4096, 0));
}

TEST(ProcessMetricsTest, ParsesBootTime) {
  EXPECT_EQ(parse_boot_time("cpu  1 2 3\nintr 5\nbtime 1700000000\nprocesses 9\n"),
            1'700'000'000.0);
  EXPECT_FALSE(parse_boot_time("cpu 1 2 3\n"));
}

// Spends at least `cpu` of this process's CPU time (a wall deadline bounds it), so that the
// kernel's per-process CPU counters have something to report however little the test ran before.
void spend_cpu(std::chrono::milliseconds cpu) {
  const auto process_cpu = [] {
    timespec now{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    return std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec);
  };
  const auto start = process_cpu();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  volatile unsigned sink = 0;
  while (process_cpu() - start < cpu && std::chrono::steady_clock::now() < deadline) {
    for (unsigned i = 0; i < 100000; ++i)
      sink = sink + i;
  }
}

TEST(ProcessMetricsTest, ReadsThisProcess) {
  // A freshly started test process on a busy machine can have used less than one clock tick.
  spend_cpu(std::chrono::milliseconds(50));
  const auto stats = read_process_stats();
  ASSERT_TRUE(stats);
  EXPECT_GT(stats->resident_memory_bytes, 1e6);
  EXPECT_GE(stats->virtual_memory_bytes, stats->resident_memory_bytes);
  EXPECT_GE(stats->open_fds, 3);
  EXPECT_GE(stats->max_fds, stats->open_fds);
  const double now = static_cast<double>(::time(nullptr));
  EXPECT_GT(stats->start_time_seconds, now - 3600);
  EXPECT_LE(stats->start_time_seconds, now + 1);
  EXPECT_GT(stats->cpu_seconds, 0);
}

TEST(ProcessMetricsTest, CollectorExportsConventionalNames) {
  const auto families = ProcessCollector().Collect();
  std::vector<std::string> names;
  for (const auto& family : families) {
    names.push_back(family.name);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"process_cpu_seconds_total", "process_open_fds",
                                             "process_max_fds", "process_virtual_memory_bytes",
                                             "process_resident_memory_bytes",
                                             "process_start_time_seconds"}));
}

}  // namespace
}  // namespace hso::metrics
