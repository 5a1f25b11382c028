#include <iostream>
#include <string>
#include <vector>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "hso/app/logging.hpp"
#include "hso/app/operator_app.hpp"
#include "hso/build_info.hpp"
#include "hso/config/command_line.hpp"
#include "hso/util/sanitizers.hpp"

namespace {

// glibc gives every thread that allocates an arena of its own (up to 8 per core), and each keeps
// the pages its thread freed. The operator's dozen threads (reflectors, workers, the Event
// sender, HTTP handlers) allocate little and rarely at once, so two arenas serve them and the
// resident set stops growing with the thread count. Not under a sanitizer, whose allocator
// replaces glibc's.
void limit_malloc_arenas() {
#if defined(__GLIBC__) && !defined(HSO_SANITIZER_ALLOCATOR)
  // First thing in main, before any thread exists.
  mallopt(M_ARENA_MAX, 2);  // NOLINT(concurrency-mt-unsafe)
#endif
}

}  // namespace

int main(int argc, char** argv) {
  limit_malloc_arenas();
  const std::vector<std::string> args(argv + 1, argv + argc);
  const auto result = hso::config::parse_command_line(args, std::cout, std::cerr);
  if (result.exit)
    return result.exit->exit_code;
  if (result.parsed->command == hso::config::Command::kVersion) {
    std::cout << hso::build_info::kProgramName << " " << hso::build_info::kVersion << " (commit "
              << hso::build_info::kGitCommit << ")\n";
    return 0;
  }
  const auto& config = result.parsed->config;
  hso::app::configure_logging(config.log_level, config.log_format);
  return hso::app::run_operator(config);
}
