#include <iostream>
#include <string>
#include <vector>

#include "hso/app/logging.hpp"
#include "hso/app/operator_app.hpp"
#include "hso/build_info.hpp"
#include "hso/config/command_line.hpp"

int main(int argc, char** argv) {
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
