#pragma once

#include <memory>
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

// What parse_command_line does, with the flag definitions built once: each parse starts from the
// defaults and gives what a fresh parser gives (the fuzz harness parses millions of command lines
// with one). Not copyable: the definitions write into the configuration it holds.
class CommandLineParser {
 public:
  CommandLineParser();
  ~CommandLineParser();
  CommandLineParser(const CommandLineParser&) = delete;
  CommandLineParser& operator=(const CommandLineParser&) = delete;
  CommandLineParser(CommandLineParser&&) = delete;
  CommandLineParser& operator=(CommandLineParser&&) = delete;

  CommandLineResult parse(const std::vector<std::string>& args, std::ostream& out,
                          std::ostream& err);

 private:
  struct Definitions;
  std::unique_ptr<Definitions> definitions_;
};

}  // namespace hso::config
