// hso-bench SCENARIO --name=value...: one benchmark scenario against the cluster in KUBECONFIG;
// prints one JSON line. bench/run.sh runs them in order.
#include <spdlog/spdlog.h>

#include <csignal>
#include <iostream>
#include <map>

#include "scenarios.hpp"

int main(int argc, char** argv) {
  if (std::signal(SIGPIPE, SIG_IGN) == SIG_ERR)
    spdlog::warn("cannot ignore SIGPIPE");
  spdlog::set_level(spdlog::level::warn);
  const std::map<std::string, int (*)(bench::Args&)> scenarios{
      {"latency", bench::run_latency},
      {"throughput", bench::run_throughput},
      {"takeover", bench::run_takeover},
      {"write-floor", bench::run_write_floor},
      {"lifecycle", bench::run_lifecycle},
      {"populate", bench::run_populate},
      {"list", bench::run_list},
      {"startup", bench::run_startup},
      {"snapshot", bench::run_snapshot},
      {"diff", bench::run_diff},
      {"wait-settled", bench::run_wait_settled},
      {"report", bench::run_report},
      {"memory", bench::run_memory}};
  if (argc < 2 || !scenarios.contains(argv[1])) {
    std::cerr << "usage: hso-bench SCENARIO [--name=value...]; scenarios:";
    for (const auto& [name, unused] : scenarios)
      std::cerr << " " << name;
    std::cerr << "\n";
    return 2;
  }
  try {
    bench::Args args(argc - 2, argv + 2);
    return scenarios.at(argv[1])(args);
  } catch (const std::exception& error) {
    std::cerr << "hso-bench " << argv[1] << ": " << error.what() << "\n";
    return 1;
  }
}
