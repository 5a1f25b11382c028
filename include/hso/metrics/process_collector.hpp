#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hso::metrics {

struct ProcessStats {
  double cpu_seconds = 0;
  double start_time_seconds = 0;  // since the Unix epoch
  double virtual_memory_bytes = 0;
  double resident_memory_bytes = 0;
  double open_fds = 0;
  double max_fds = 0;
};

// Parses /proc/<pid>/stat. `boot_time_seconds` is btime from /proc/stat. Returns nullopt if the
// text is not a stat line.
std::optional<ProcessStats> parse_proc_stat(std::string_view stat, long ticks_per_second,
                                            long page_size, double boot_time_seconds);
// Parses the btime line of /proc/stat.
std::optional<double> parse_boot_time(std::string_view proc_stat);

// Reads everything for the current process from /proc (nullopt when /proc is unavailable).
std::optional<ProcessStats> read_process_stats();

// The conventional process_* families, read from /proc at each scrape: prometheus-cpp has no
// process collector.
class ProcessCollector final : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override;
};

// The families for given stats; separate from Collect() so tests need no /proc.
std::vector<prometheus::MetricFamily> process_families(const ProcessStats& stats);

}  // namespace hso::metrics
