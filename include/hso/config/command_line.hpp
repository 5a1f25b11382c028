#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "hso/config/operator_config.hpp"

namespace hso::config {

enum class Command { kRun, kVersion };

struct ParsedCommandLine {
  Command command = Command::kRun;
  OperatorConfig config;
};

// What parse_command_line decided when it did not produce a configuration: help or an error was
// printed, and the process should exit with this code.
struct CommandLineExit {
  int exit_code;
};

struct CommandLineResult {
  std::optional<ParsedCommandLine> parsed;
  std::optional<CommandLineExit> exit;
};

// Parses argv without the program name (flags with environment fallbacks). `run` is the default
// command. Help goes to `out`; a bad flag or value gets one line on `err` naming it.
CommandLineResult parse_command_line(const std::vector<std::string>& args, std::ostream& out,
                                     std::ostream& err);

}  // namespace hso::config
