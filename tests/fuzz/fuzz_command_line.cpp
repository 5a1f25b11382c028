// The command line: every flag's value parser and the cross-flag rules. The input is argv, one
// argument per line.
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <sstream>
#include <string_view>

#include "fuzz_support.hpp"
#include "hso/config/command_line.hpp"
#include "hso/config/duration.hpp"
#include "hso/util/k8s_names.hpp"
#include "hso/util/label_selector.hpp"

namespace {

using hso::config::OperatorConfig;

void check_duration(std::chrono::milliseconds duration) {
  FUZZ_CHECK(duration.count() > 0 && duration <= hso::config::kMaxDuration);
  // The uses of a configured duration: nanoseconds with 20 % jitter, added to a clock's now().
  const std::chrono::nanoseconds nanoseconds = duration;
  const auto deadline = std::chrono::steady_clock::now() + nanoseconds + nanoseconds / 5;
  FUZZ_CHECK(deadline.time_since_epoch().count() > 0);
}

void check_config(const OperatorConfig& config) {
  for (const auto& namespace_name : config.namespaces)
    FUZZ_CHECK(hso::is_dns1123_label(namespace_name));
  FUZZ_CHECK(hso::is_qualified_name(config.pod_annotation));
  if (!config.namespace_selector.empty()) {
    // Kept in canonical form, which the controller parses again.
    const auto selector = hso::LabelSelector::parse(config.namespace_selector);
    FUZZ_CHECK(selector.has_value() && selector->str() == config.namespace_selector);
    FUZZ_CHECK(config.namespaces.empty());
  }
  // 0 is the default: no client-side limit.
  FUZZ_CHECK(std::isfinite(config.kube_api_qps) && config.kube_api_qps >= 0);
  FUZZ_CHECK(config.kube_api_burst >= 1 && config.kube_api_burst <= 100000);
  FUZZ_CHECK(config.workers >= 1 && config.workers <= 256);
  for (const auto duration : {config.resync_period, config.lease_duration, config.renew_deadline,
                              config.retry_period, config.graceful_shutdown_timeout}) {
    check_duration(duration);
  }
  if (config.leader_elect) {
    FUZZ_CHECK(config.lease_duration > config.renew_deadline);
    FUZZ_CHECK(config.renew_deadline * 10 > config.retry_period * 12);
  }
  FUZZ_CHECK(config.metrics_cert_file.empty() == config.metrics_key_file.empty());
  FUZZ_CHECK(config.log_format == "text" || config.log_format == "json");
}

// One parser for every input: building CLI11's definitions of every flag was most of an
// execution's time. One input in 32 is parsed by a fresh parser too, which must agree.
struct Parsed {
  hso::config::CommandLineResult result;
  std::string out;
  std::string err;
};

Parsed parse(hso::config::CommandLineParser& parser, const std::vector<std::string>& args) {
  std::ostringstream out;
  std::ostringstream err;
  auto result = parser.parse(args, out, err);
  return {std::move(result), out.str(), err.str()};
}

void check_same(const Parsed& reused, const Parsed& fresh) {
  FUZZ_CHECK(reused.out == fresh.out && reused.err == fresh.err);
  FUZZ_CHECK(reused.result.exit.has_value() == fresh.result.exit.has_value());
  if (reused.result.exit) {
    FUZZ_CHECK(reused.result.exit->exit_code == fresh.result.exit->exit_code);
    return;
  }
  FUZZ_CHECK(reused.result.parsed->command == fresh.result.parsed->command);
  FUZZ_CHECK(reused.result.parsed->config == fresh.result.parsed->config);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Flags fall back to these; the fuzzer's own environment must not decide.
  for (const char* name :
       {"NAMESPACE", "POD_ANNOTATION", "POD_SELECTOR", "NAMESPACE_SELECTOR", "KUBERNETES_CONTEXT"})
    ::unsetenv(name);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static hso::config::CommandLineParser parser;
  std::vector<std::string> args;
  const std::string_view text = hso::fuzz::as_text(data, size);
  if (!text.empty()) {
    for (std::string_view arg : hso::fuzz::split(text, "\n"))
      args.emplace_back(arg);
  }
  const Parsed parsed = parse(parser, args);
  if (std::hash<std::string_view>{}(text) % 32 == 0) {
    hso::config::CommandLineParser fresh;
    check_same(parsed, parse(fresh, args));
  }
  const auto& result = parsed.result;
  FUZZ_CHECK(result.parsed.has_value() != result.exit.has_value());
  if (result.exit) {
    FUZZ_CHECK(result.exit->exit_code == 0 || result.exit->exit_code == 2);
    if (result.exit->exit_code == 2) {
      // One line naming what is wrong.
      const std::string& message = parsed.err;
      FUZZ_CHECK(message.rfind("error: ", 0) == 0);
      FUZZ_CHECK(message.find('\n') == message.size() - 1);
    }
    return 0;
  }
  FUZZ_CHECK(parsed.err.empty());
  check_config(result.parsed->config);
  return 0;
}
