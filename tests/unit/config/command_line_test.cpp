#include "hso/config/command_line.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <sstream>

#include "hso/config/operator_config.hpp"

namespace hso::config {
namespace {

using namespace std::chrono_literals;

// Sets an environment variable for the lifetime of the object.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name))
      old_ = old;
    ::setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

class CommandLineTest : public ::testing::Test {
 protected:
  CommandLineResult parse(const std::vector<std::string>& args) {
    out_.str("");
    err_.str("");
    return parse_command_line(args, out_, err_);
  }
  OperatorConfig config_of(const std::vector<std::string>& args) {
    auto result = parse(args);
    EXPECT_TRUE(result.parsed) << err_.str();
    return result.parsed ? result.parsed->config : OperatorConfig{};
  }
  std::string error_of(const std::vector<std::string>& args) {
    auto result = parse(args);
    EXPECT_FALSE(result.parsed);
    EXPECT_TRUE(result.exit && result.exit->exit_code != 0);
    return err_.str();
  }

  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(CommandLineTest, RunIsTheDefaultCommand) {
  auto result = parse({});
  ASSERT_TRUE(result.parsed);
  EXPECT_EQ(result.parsed->command, Command::kRun);
  result = parse({"--workers", "2"});
  ASSERT_TRUE(result.parsed);
  EXPECT_EQ(result.parsed->command, Command::kRun);
  EXPECT_EQ(result.parsed->config.workers, 2);
}

TEST_F(CommandLineTest, VersionCommand) {
  auto result = parse({"version"});
  ASSERT_TRUE(result.parsed);
  EXPECT_EQ(result.parsed->command, Command::kVersion);
}

TEST_F(CommandLineTest, DefaultsMatchTheOriginalOperator) {
  const auto config = config_of({"run"});
  EXPECT_TRUE(config.namespaces.empty());
  EXPECT_EQ(config.pod_annotation, "srcd.host/create-headless-service");
  EXPECT_TRUE(config.context.empty());
  EXPECT_TRUE(config.publish_not_ready);
  EXPECT_FALSE(config.legacy_endpoints);
  EXPECT_TRUE(config.adopt_legacy);
  EXPECT_FALSE(config.relaxed_service_names);
  EXPECT_TRUE(config.publish_ports);
  EXPECT_TRUE(config.leader_elect);
  EXPECT_EQ(config.lease_duration, 15s);
  EXPECT_EQ(config.renew_deadline, 10s);
  EXPECT_EQ(config.retry_period, 2s);
  EXPECT_EQ(config.metrics_bind_address, ":8080");
  EXPECT_EQ(config.health_probe_bind_address, ":8081");
}

TEST_F(CommandLineTest, OriginalFlags) {
  const auto config = config_of(
      {"run", "--namespace", "team-a", "--pod-annotation", "example.com/dns", "--context", "kind"});
  EXPECT_EQ(config.namespaces, std::vector<std::string>{"team-a"});
  EXPECT_EQ(config.pod_annotation, "example.com/dns");
  EXPECT_EQ(config.context, "kind");
}

TEST_F(CommandLineTest, OriginalEnvironmentVariables) {
  ScopedEnv ns("NAMESPACE", "team-b");
  ScopedEnv annotation("POD_ANNOTATION", "example.com/hostname");
  ScopedEnv context("KUBERNETES_CONTEXT", "staging");
  const auto config = config_of({"run"});
  EXPECT_EQ(config.namespaces, std::vector<std::string>{"team-b"});
  EXPECT_EQ(config.pod_annotation, "example.com/hostname");
  EXPECT_EQ(config.context, "staging");
}

TEST_F(CommandLineTest, FlagBeatsEnvironment) {
  ScopedEnv ns("NAMESPACE", "from-env");
  EXPECT_EQ(config_of({"--namespace", "from-flag"}).namespaces,
            std::vector<std::string>{"from-flag"});
}

TEST_F(CommandLineTest, NamespaceListIsSplitTrimmedAndDeduplicated) {
  EXPECT_EQ(config_of({"--namespace", "a, b,,c,a"}).namespaces,
            (std::vector<std::string>{"a", "b", "c"}));
}

TEST_F(CommandLineTest, NamespaceSelectorIsOffByDefault) {
  const auto config = config_of({});
  EXPECT_EQ(config.namespace_selector, "");
  EXPECT_NE(describe(config).find(" namespace-selector=none "), std::string::npos);
  EXPECT_EQ(config_of({"--namespace-selector", " "}).namespace_selector, "")
      << "blank selects every namespace, as no flag does";
}

TEST_F(CommandLineTest, NamespaceSelectorIsParsedAndKeptCanonical) {
  const auto config = config_of({"--namespace-selector", "hso-test == on, tier in (web ,db),!old"});
  EXPECT_EQ(config.namespace_selector, "hso-test=on,tier in (db,web),!old");
  EXPECT_NE(describe(config).find(" namespace-selector=hso-test=on,tier in (db,web),!old "),
            std::string::npos)
      << describe(config);
  ScopedEnv env("NAMESPACE_SELECTOR", "team=a");
  EXPECT_EQ(config_of({}).namespace_selector, "team=a");
  EXPECT_EQ(config_of({"--namespace-selector=team=b"}).namespace_selector, "team=b");
}

TEST_F(CommandLineTest, NamespaceSelectorErrorsNameTheFlagAndTheProblem) {
  const std::string error = error_of({"--namespace-selector", "team in (a,)"});
  EXPECT_EQ(error.rfind("error: --namespace-selector", 0), 0U) << error;
  EXPECT_NE(error.find("a list may not be empty"), std::string::npos) << error;
  EXPECT_EQ(error.find('\n'), error.size() - 1) << "not one line: " << error;
  EXPECT_NE(error_of({"--namespace-selector", "Bad Key"}).find("'Bad'"), std::string::npos);
}

TEST_F(CommandLineTest, NamespaceSelectorRefusesANamespaceList) {
  const std::string error = error_of({"--namespace", "a", "--namespace-selector", "team=a"});
  EXPECT_NE(error.find("--namespace-selector"), std::string::npos) << error;
  EXPECT_NE(error.find("cannot be combined with --namespace"), std::string::npos) << error;
  // An empty --namespace is every namespace: no conflict.
  EXPECT_EQ(config_of({"--namespace", "", "--namespace-selector", "team=a"}).namespace_selector,
            "team=a");
  ScopedEnv ns("NAMESPACE", "team-a");
  EXPECT_NE(error_of({"--namespace-selector", "team=a"}).find("cannot be combined"),
            std::string::npos);
}

TEST_F(CommandLineTest, KubeconfigFlag) {
  EXPECT_EQ(config_of({"--kubeconfig", "/tmp/kc"}).kubeconfig, "/tmp/kc");
}

TEST_F(CommandLineTest, RelaxedServiceNamesIsOffByDefault) {
  struct Case {
    std::vector<std::string> args;
    bool expected;
  };
  const std::vector<Case> cases = {{{}, false},
                                   {{"--relaxed-service-names"}, true},
                                   {{"--relaxed-service-names=true"}, true},
                                   {{"--relaxed-service-names=false"}, false}};
  for (const Case& c : cases) {
    const auto config = config_of(c.args);
    EXPECT_EQ(config.relaxed_service_names, c.expected) << ::testing::PrintToString(c.args);
    EXPECT_NE(describe(config).find(c.expected ? "relaxed-service-names=true"
                                               : "relaxed-service-names=false"),
              std::string::npos);
  }
}

TEST_F(CommandLineTest, PublishPortsIsOnByDefault) {
  EXPECT_TRUE(config_of({}).publish_ports);
  const auto off = config_of({"--publish-ports=false"});
  EXPECT_FALSE(off.publish_ports);
  EXPECT_NE(describe(off).find("publish-ports=false"), std::string::npos);
}

TEST_F(CommandLineTest, SubdomainHostnameAliasesAreOnByDefault) {
  EXPECT_TRUE(config_of({}).subdomain_hostname_aliases);
  EXPECT_TRUE(config_of({"--subdomain-hostname-aliases"}).subdomain_hostname_aliases);
  const auto off = config_of({"--subdomain-hostname-aliases=false"});
  EXPECT_FALSE(off.subdomain_hostname_aliases);
  EXPECT_TRUE(off.subdomain_records);
  EXPECT_NE(describe(off).find("subdomain-hostname-aliases=false"), std::string::npos);
  EXPECT_NE(config_of({}), off);
  EXPECT_NE(error_of({"--subdomain-hostname-aliases=maybe"}).find("--subdomain-hostname-aliases"),
            std::string::npos);
}

TEST_F(CommandLineTest, SubdomainRecordsAreOnByDefaultInTheClusterLocalZone) {
  const auto defaults = config_of({});
  EXPECT_TRUE(defaults.subdomain_records);
  EXPECT_EQ(defaults.cluster_domain, "cluster.local");
  const auto off = config_of({"--subdomain-records=false", "--cluster-domain", "corp.example"});
  EXPECT_FALSE(off.subdomain_records);
  EXPECT_EQ(off.cluster_domain, "corp.example");
  EXPECT_NE(
      describe(off).find(
          "subdomain-records=false subdomain-hostname-aliases=true cluster-domain=corp.example"),
      std::string::npos);
  EXPECT_NE(error_of({"--cluster-domain", "Cluster_Local"}).find("--cluster-domain"),
            std::string::npos);
  EXPECT_NE(error_of({"--cluster-domain", "cluster.local."}).find("--cluster-domain"),
            std::string::npos);
}

TEST_F(CommandLineTest, BooleanFlagsTakeExplicitValues) {
  auto config =
      config_of({"--publish-not-ready=false", "--legacy-endpoints", "--leader-elect=false"});
  EXPECT_FALSE(config.publish_not_ready);
  EXPECT_TRUE(config.legacy_endpoints);
  EXPECT_FALSE(config.leader_elect);
}

TEST_F(CommandLineTest, Durations) {
  const auto config =
      config_of({"--lease-duration", "1m", "--renew-deadline", "40s", "--retry-period", "500ms"});
  EXPECT_EQ(config.lease_duration, 60s);
  EXPECT_EQ(config.renew_deadline, 40s);
  EXPECT_EQ(config.retry_period, 500ms);
}

TEST_F(CommandLineTest, ResyncPeriod) {
  EXPECT_EQ(config_of({}).resync_period, 10min);
  EXPECT_EQ(config_of({"--resync-period", "5s"}).resync_period, 5s);
  EXPECT_NE(error_of({"--resync-period", "0s"}).find("--resync-period"), std::string::npos);
  EXPECT_NE(error_of({"--resync-period", "often"}).find("--resync-period"), std::string::npos);
}

TEST_F(CommandLineTest, DescribeNamesEveryChoiceOnOneLine) {
  const std::string line = describe(config_of({"--namespace", "a,b", "--workers", "8"}));
  EXPECT_EQ(line.find('\n'), std::string::npos);
  for (const char* part : {"namespace=a,b ", "workers=8 ", "kube-api-qps=0 ", "leader-elect=true ",
                           "lease-duration=15s ", "metrics-bind-address=:8080 ",
                           "pod-annotation=srcd.host/create-headless-service "}) {
    EXPECT_NE(line.find(part), std::string::npos) << part << " in " << line;
  }
  EXPECT_EQ(line.find("kube-api-burst"), std::string::npos);  // meaningless without a limit
  EXPECT_NE(describe(config_of({})).find("namespace=all "), std::string::npos);
}

TEST_F(CommandLineTest, NoClientSideLimitByDefault) {
  EXPECT_EQ(config_of({}).kube_api_qps, 0.0);
  EXPECT_EQ(config_of({"--kube-api-qps", "0"}).kube_api_qps, 0.0);
  EXPECT_EQ(config_of({"--kube-api-qps", "50"}).kube_api_qps, 50.0);
}

TEST_F(CommandLineTest, BadValuesGiveOneLineNamingTheFlag) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--workers", "0"}, "--workers"},
      {{"--workers", "many"}, "--workers"},
      {{"--namespace", "Not_A_Namespace"}, "--namespace"},
      {{"--pod-annotation", "bad key!"}, "--pod-annotation"},
      {{"--lease-duration", "soon"}, "--lease-duration"},
      {{"--metrics-bind-address", "localhost"}, "--metrics-bind-address"},
      {{"--kube-api-qps", "-1"}, "--kube-api-qps"},
      {{"--log-level", "loud"}, "--log-level"},
      {{"--namespace-selector", "team in ()"}, "--namespace-selector"},
      {{"--no-such-flag"}, "--no-such-flag"},
  };
  for (const auto& [args, flag] : cases) {
    const std::string error = error_of(args);
    EXPECT_NE(error.find(flag), std::string::npos) << "args: " << args.front() << " -> " << error;
    EXPECT_EQ(error.find('\n'), error.size() - 1) << "not one line: " << error;
  }
}

// Found by fuzzing: 400 digits ended the process with an uncaught std::out_of_range.
TEST_F(CommandLineTest, HugeDurationIsAnErrorNamingTheFlag) {
  for (const char* flag : {"--lease-duration", "--renew-deadline", "--retry-period",
                           "--resync-period", "--graceful-shutdown-timeout"}) {
    const std::string error = error_of({flag, std::string(400, '3') + "s"});
    EXPECT_NE(error.find(flag), std::string::npos) << error;
    EXPECT_NE(error.find("out of range"), std::string::npos) << error;
    EXPECT_EQ(error.find('\n'), error.size() - 1) << "not one line: " << error;
  }
  EXPECT_NE(error_of({"--resync-period", "2147483648s"}).find("at most 2147483647s"),
            std::string::npos);
  EXPECT_EQ(config_of({"--resync-period", "2147483647s"}).resync_period, 2147483647s);
}

TEST_F(CommandLineTest, LeaseTimingsMustNest) {
  EXPECT_NE(
      error_of({"--lease-duration", "10s", "--renew-deadline", "10s"}).find("--lease-duration"),
      std::string::npos);
  EXPECT_NE(error_of({"--renew-deadline", "2s", "--retry-period", "2s"}).find("--renew-deadline"),
            std::string::npos);
  // Without leader election the timings are not used, so they are not checked.
  EXPECT_FALSE(config_of({"--leader-elect=false", "--lease-duration", "1s"}).leader_elect);
}

TEST_F(CommandLineTest, BindAddressForms) {
  for (const std::string address : {"0", ":9090", "127.0.0.1:9090", "[::1]:9090"}) {
    EXPECT_EQ(config_of({"--metrics-bind-address", address}).metrics_bind_address, address);
  }
  EXPECT_FALSE(parse({"--metrics-bind-address", "::1:80"}).parsed);
  EXPECT_FALSE(parse({"--metrics-bind-address", ":70000"}).parsed);
}

TEST_F(CommandLineTest, HelpExitsZeroAndListsTheOriginalFlags) {
  auto result = parse({"run", "--help"});
  ASSERT_TRUE(result.exit);
  EXPECT_EQ(result.exit->exit_code, 0);
  for (const char* flag : {"--namespace", "--pod-annotation", "--context", "--kubeconfig"}) {
    EXPECT_NE(out_.str().find(flag), std::string::npos) << flag;
  }
}

// The fuzz harness parses every input with one parser: what a flag set once, an error, help or
// the version command must not show in the next parse.
TEST(CommandLineParserTest, OneParserParsesEachCommandLineAsAFreshOneDoes) {
  const std::vector<std::vector<std::string>> command_lines = {
      {"--workers", "7", "--namespace", "a,b", "--leader-elect=false", "--log-format", "json"},
      {},
      {"--lease-duration", "5s"},
      {"--workers", "nope"},
      {"--pod-selector", "app=web"},
      {"run", "--help"},
      {"--metrics-cert-file", "c.pem", "--metrics-key-file", "k.pem", "--metrics-secure"},
      {"version"},
      {"--namespace-selector", "team=a"},
      {"--renew-deadline", "20s"},
      {"--kube-api-qps", "5", "--kube-api-burst", "9"},
      {},
  };
  CommandLineParser reused;
  for (const auto& args : command_lines) {
    std::ostringstream out;
    std::ostringstream err;
    std::ostringstream fresh_out;
    std::ostringstream fresh_err;
    const auto result = reused.parse(args, out, err);
    const auto fresh = parse_command_line(args, fresh_out, fresh_err);
    const std::string what = ::testing::PrintToString(args);
    EXPECT_EQ(out.str(), fresh_out.str()) << what;
    EXPECT_EQ(err.str(), fresh_err.str()) << what;
    ASSERT_EQ(result.parsed.has_value(), fresh.parsed.has_value()) << what;
    if (result.parsed) {
      EXPECT_EQ(result.parsed->command, fresh.parsed->command) << what;
      EXPECT_TRUE(result.parsed->config == fresh.parsed->config) << what;
    } else {
      EXPECT_EQ(result.exit->exit_code, fresh.exit->exit_code) << what;
    }
  }
  std::ostringstream out;
  std::ostringstream err;
  const auto last = reused.parse({}, out, err);
  ASSERT_TRUE(last.parsed);
  EXPECT_TRUE(last.parsed->config == OperatorConfig{});
}

}  // namespace
}  // namespace hso::config
