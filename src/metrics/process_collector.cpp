#include "hso/metrics/process_collector.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace hso::metrics {
namespace {

std::optional<std::string> read_file(const char* path) {
  std::ifstream file(path);
  if (!file) {
    return std::nullopt;
  }
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

std::vector<std::string_view> split_fields(std::string_view text) {
  std::vector<std::string_view> fields;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t start = text.find_first_not_of(" \n", pos);
    if (start == std::string_view::npos) {
      break;
    }
    const std::size_t end = text.find_first_of(" \n", start);
    fields.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    pos = end == std::string_view::npos ? text.size() : end;
  }
  return fields;
}

std::optional<double> to_number(std::string_view text) {
  unsigned long long value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return static_cast<double>(value);
}

double count_open_fds() {
  std::error_code error;
  double count = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", error), end; !error && it != end;
       it.increment(error)) {
    ++count;
  }
  return count;
}

prometheus::MetricFamily family(const char* name, const char* help, prometheus::MetricType type,
                                double value) {
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  return {name, help, type, {metric}};
}

}  // namespace

std::optional<ProcessStats> parse_proc_stat(std::string_view stat, long ticks_per_second,
                                            long page_size, double boot_time_seconds) {
  // The command name is in parentheses and may itself contain spaces and ')'.
  const std::size_t name_end = stat.rfind(')');
  if (name_end == std::string_view::npos || ticks_per_second <= 0) {
    return std::nullopt;
  }
  // Fields from the third (state) on; see proc(5).
  const auto fields = split_fields(stat.substr(name_end + 1));
  constexpr std::size_t kUtime = 11, kStime = 12, kStartTime = 19, kVsize = 20, kRss = 21;
  if (fields.size() <= kRss) {
    return std::nullopt;
  }
  const auto utime = to_number(fields[kUtime]);
  const auto stime = to_number(fields[kStime]);
  const auto start = to_number(fields[kStartTime]);
  const auto vsize = to_number(fields[kVsize]);
  const auto rss = to_number(fields[kRss]);
  if (!utime || !stime || !start || !vsize || !rss) {
    return std::nullopt;
  }
  const double ticks = static_cast<double>(ticks_per_second);
  ProcessStats stats;
  stats.cpu_seconds = (*utime + *stime) / ticks;
  stats.start_time_seconds = boot_time_seconds + *start / ticks;
  stats.virtual_memory_bytes = *vsize;
  stats.resident_memory_bytes = *rss * static_cast<double>(page_size);
  return stats;
}

std::optional<double> parse_boot_time(std::string_view proc_stat) {
  std::size_t pos = 0;
  while (pos < proc_stat.size()) {
    std::size_t end = proc_stat.find('\n', pos);
    if (end == std::string_view::npos) {
      end = proc_stat.size();
    }
    const std::string_view line = proc_stat.substr(pos, end - pos);
    if (line.starts_with("btime ")) {
      return to_number(line.substr(6));
    }
    pos = end + 1;
  }
  return std::nullopt;
}

std::optional<ProcessStats> read_process_stats() {
  const auto stat = read_file("/proc/self/stat");
  const auto system_stat = read_file("/proc/stat");
  if (!stat || !system_stat) {
    return std::nullopt;
  }
  auto stats = parse_proc_stat(*stat, sysconf(_SC_CLK_TCK), sysconf(_SC_PAGESIZE),
                               parse_boot_time(*system_stat).value_or(0));
  if (!stats) {
    return std::nullopt;
  }
  stats->open_fds = count_open_fds();
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    stats->max_fds = static_cast<double>(limit.rlim_cur);
  }
  return stats;
}

std::vector<prometheus::MetricFamily> process_families(const ProcessStats& stats) {
  using prometheus::MetricType;
  return {
      family("process_cpu_seconds_total",
             "CPU time this process has used, user plus system, in seconds.", MetricType::Counter,
             stats.cpu_seconds),
      family("process_open_fds", "File descriptors this process has open.", MetricType::Gauge,
             stats.open_fds),
      family("process_max_fds", "The soft limit on open file descriptors (RLIMIT_NOFILE).",
             MetricType::Gauge, stats.max_fds),
      family("process_virtual_memory_bytes", "Size of the virtual address space, in bytes.",
             MetricType::Gauge, stats.virtual_memory_bytes),
      family("process_resident_memory_bytes", "Memory resident in RAM, in bytes.",
             MetricType::Gauge, stats.resident_memory_bytes),
      family("process_start_time_seconds",
             "When the process started, in seconds since the Unix epoch.", MetricType::Gauge,
             stats.start_time_seconds),
  };
}

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  const auto stats = read_process_stats();
  return stats ? process_families(*stats) : std::vector<prometheus::MetricFamily>{};
}

}  // namespace hso::metrics
