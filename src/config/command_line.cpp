#include "hso/config/command_line.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>

#include "hso/build_info.hpp"
#include "hso/config/duration.hpp"
#include "hso/util/k8s_names.hpp"
#include "hso/util/label_selector.hpp"

namespace hso::config {
namespace {

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos)
    return {};
  const auto last = text.find_last_not_of(" \t");
  return std::string(text.substr(first, last - first + 1));
}

std::vector<std::string> split_namespaces(const std::string& list) {
  std::vector<std::string> namespaces;
  std::stringstream stream(list);
  std::string item;
  while (std::getline(stream, item, ',')) {
    item = trim(item);
    if (item.empty())
      continue;
    if (!is_dns1123_label(item)) {
      throw CLI::ValidationError("--namespace", "'" + item + "' is not a valid namespace name");
    }
    if (std::find(namespaces.begin(), namespaces.end(), item) == namespaces.end()) {
      namespaces.push_back(item);
    }
  }
  return namespaces;
}

// "0" (off), ":8080", "127.0.0.1:8080", "[::1]:8080".
bool is_bind_address(std::string_view text) {
  const std::string address(text);
  if (address == "0")
    return true;
  const auto colon = address.rfind(':');
  if (colon == std::string::npos)
    return false;
  const std::string host = address.substr(0, colon);
  const std::string port = address.substr(colon + 1);
  if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), ::isdigit)) {
    return false;
  }
  if (std::stoi(port) > 65535)
    return false;
  if (host.find(':') != std::string::npos) {
    return host.size() > 2 && host.front() == '[' && host.back() == ']';
  }
  return true;
}

// A validator that accepts what `valid` accepts and otherwise says "'<value>' is not <what>".
CLI::Validator validator(bool (*valid)(std::string_view), std::string what, std::string type_name) {
  return CLI::Validator(
      [valid, what = std::move(what)](std::string& value) -> std::string {
        return valid(value) ? std::string{} : "'" + value + "' is not " + what;
      },
      std::move(type_name));
}

CLI::Validator bind_address_validator() {
  return validator(is_bind_address, "0, :PORT or HOST:PORT", "ADDRESS");
}

void add_duration_option(CLI::App& app, const std::string& name, std::chrono::milliseconds& target,
                         const std::string& help) {
  app.add_option_function<std::string>(
         name,
         [name, &target](const std::string& text) {
           DurationError error = DurationError::kMalformed;
           const auto parsed = parse_duration(text, &error);
           if (!parsed && error == DurationError::kOutOfRange) {
             throw CLI::ValidationError(name, "'" + text + "' is out of range (at most " +
                                                  format_duration(kMaxDuration) + ")");
           }
           if (!parsed || parsed->count() <= 0) {
             throw CLI::ValidationError(name,
                                        "'" + text + "' is not a positive duration (e.g. 15s)");
           }
           target = *parsed;
         },
         help)
      ->type_name("DURATION")
      ->default_str(format_duration(target));
}

// Cross-field rules that single-option validators cannot express.
void validate(const OperatorConfig& config) {
  if (config.leader_elect) {
    if (config.lease_duration <= config.renew_deadline) {
      throw CLI::ValidationError("--lease-duration", "must be greater than --renew-deadline");
    }
    if (config.renew_deadline.count() * 10 <= config.retry_period.count() * 12) {
      throw CLI::ValidationError("--renew-deadline", "must be greater than 1.2 x --retry-period");
    }
  }
  if (config.metrics_cert_file.empty() != config.metrics_key_file.empty()) {
    throw CLI::ValidationError("--metrics-cert-file",
                               "--metrics-cert-file and --metrics-key-file go together");
  }
  if (!config.metrics_cert_file.empty() && !config.metrics_secure) {
    throw CLI::ValidationError("--metrics-cert-file", "needs --metrics-secure");
  }
  // Chosen over applying the selector to the listed namespaces: a list already says which
  // namespaces, and the selector would need cluster-wide rights on Namespaces that a namespaced
  // install does not have.
  if (!config.namespace_selector.empty() && !config.namespaces.empty()) {
    throw CLI::ValidationError("--namespace-selector",
                               "cannot be combined with --namespace: it selects among all "
                               "namespaces (leave --namespace empty)");
  }
}

// What to watch and how to reach the API server.
void add_source_options(CLI::App& run, OperatorConfig& config) {
  run.add_option_function<std::string>(
         "--namespace",
         [&config](const std::string& list) { config.namespaces = split_namespaces(list); },
         "Namespace to watch, or a comma-separated list; empty watches all namespaces")
      ->envname("NAMESPACE");
  run.add_option("--pod-annotation", config.pod_annotation,
                 "Pod annotation that must be \"true\" for a pod to get a headless Service")
      ->envname("POD_ANNOTATION")
      ->capture_default_str()
      ->check(validator(is_qualified_name, "a valid annotation key", "KEY"));
  run.add_option("--pod-selector", config.pod_selector,
                 "Label selector that limits the watched pods (applied by the API server)")
      ->envname("POD_SELECTOR");
  run.add_option_function<std::string>(
         "--namespace-selector",
         [&config](const std::string& text) {
           std::string error;
           const auto selector = LabelSelector::parse(text, &error);
           if (!selector)
             throw CLI::ValidationError("--namespace-selector", error);
           // Canonical: one line for the start-up log; blank is "every namespace", as when the
           // flag is not given.
           config.namespace_selector = selector->str();
         },
         "Label selector over Namespaces: only pods in matching namespaces get Services, "
         "and a namespace that stops matching is cleaned up; empty: every namespace")
      ->envname("NAMESPACE_SELECTOR")
      ->type_name("SELECTOR");
  run.add_option("--context", config.context,
                 "Kubeconfig context to use; when set, the kubeconfig is used, not in-cluster")
      ->envname("KUBERNETES_CONTEXT");
  run.add_option("--kubeconfig", config.kubeconfig,
                 "Kubeconfig file (default: $KUBECONFIG, in-cluster, then ~/.kube/config)");
  run.add_option("--kube-api-qps", config.kube_api_qps,
                 "Client-side limit of API requests per second; 0 leaves pacing to the API "
                 "server's Priority and Fairness (429 and Retry-After)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  run.add_option("--kube-api-burst", config.kube_api_burst,
                 "API request burst above --kube-api-qps (when it is above 0)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
}

// What the operator writes.
void add_write_options(CLI::App& run, OperatorConfig& config) {
  run.add_option("--workers", config.workers, "Reconciles that may run at once")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  run.add_flag("--publish-not-ready{true}", config.publish_not_ready,
               "Publish pod addresses before the pod is Ready (=false: follow the Ready condition)")
      ->capture_default_str();
  run.add_flag("--legacy-endpoints{true}", config.legacy_endpoints,
               "Also write core/v1 Endpoints (labelled to skip mirroring) for old DNS servers")
      ->capture_default_str();
  run.add_flag("--adopt-legacy{true}", config.adopt_legacy,
               "Adopt headless Services made by the original Go operator")
      ->capture_default_str();
  run.add_flag("--relaxed-service-names{true}", config.relaxed_service_names,
               "Also give pods whose hostname starts with a digit a Service (DNS-1123 label "
               "names), for clusters with RelaxedServiceNameValidation; the API server decides")
      ->capture_default_str();
  run.add_flag("--publish-ports{true}", config.publish_ports,
               "Publish the pod's named container ports as the ports of its Service and "
               "EndpointSlices, for SRV records (=false: portless Services, as the original)")
      ->capture_default_str();
  run.add_flag(
         "--subdomain-records{true}", config.subdomain_records,
         "Give pods with spec.subdomain their FQDN, forward and reverse, through one headless "
         "Service per subdomain (=false: a per-pod headless Service, as for other pods)")
      ->capture_default_str();
  run.add_flag("--subdomain-hostname-aliases{true}", config.subdomain_hostname_aliases,
               "With subdomain records, keep each member's bare hostname resolving through an "
               "ExternalName Service of its own (=false: no Service per member, only the FQDN "
               "resolves; for subdomains of more pods than a cluster's Services)")
      ->capture_default_str();
  run.add_option("--cluster-domain", config.cluster_domain,
                 "The cluster's DNS zone, the target of the per-pod aliases of subdomain records")
      ->capture_default_str()
      ->check(validator(is_dns1123_subdomain, "a valid DNS subdomain", "DOMAIN"));
}

// High availability, and the periods of the resync and the lease.
void add_election_options(CLI::App& run, OperatorConfig& config) {
  run.add_flag("--leader-elect{true}", config.leader_elect,
               "Elect a leader with a Lease so that only one replica writes")
      ->capture_default_str();
  run.add_option("--leader-election-id", config.leader_election_id, "Name of the Lease")
      ->capture_default_str()
      ->check(validator(is_dns1123_subdomain, "a valid object name", "NAME"));
  run.add_option("--leader-election-namespace", config.leader_election_namespace,
                 "Namespace of the Lease (default: the pod's own namespace)")
      ->check(validator(is_dns1123_label, "a valid namespace name", "NAMESPACE"));
  add_duration_option(run, "--resync-period", config.resync_period,
                      "How often every Service key is reconciled again even without a change");
  add_duration_option(run, "--lease-duration", config.lease_duration,
                      "How long a standby waits after the last renewal before taking the lease");
  add_duration_option(run, "--renew-deadline", config.renew_deadline,
                      "How long the leader keeps trying to renew before it stops writing");
  add_duration_option(run, "--retry-period", config.retry_period,
                      "How often candidates and the leader try the lease");
  add_duration_option(run, "--graceful-shutdown-timeout", config.graceful_shutdown_timeout,
                      "How long in-flight reconciles may take on shutdown");
}

// Observability.
void add_observability_options(CLI::App& run, OperatorConfig& config) {
  run.add_option("--metrics-bind-address", config.metrics_bind_address,
                 "Address of the /metrics listener; 0 turns it off")
      ->capture_default_str()
      ->check(bind_address_validator());
  run.add_option("--health-probe-bind-address", config.health_probe_bind_address,
                 "Address of the /healthz and /readyz listener; 0 turns it off")
      ->capture_default_str()
      ->check(bind_address_validator());
  run.add_flag("--metrics-secure{true}", config.metrics_secure,
               "Serve /metrics over TLS, authenticated and authorised by the API server")
      ->capture_default_str();
  run.add_option("--metrics-cert-file", config.metrics_cert_file,
                 "TLS certificate for /metrics (default: a self-signed one made at start)")
      ->check(CLI::ExistingFile);
  run.add_option("--metrics-key-file", config.metrics_key_file, "TLS key for /metrics")
      ->check(CLI::ExistingFile);
  run.add_option("--log-level", config.log_level, "trace, debug, info, warn, error")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  run.add_option("--log-format", config.log_format, "text or json")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
}

// In this order, which is the order of --help.
void add_run_options(CLI::App& run, OperatorConfig& config) {
  add_source_options(run, config);
  add_write_options(run, config);
  add_election_options(run, config);
  add_observability_options(run, config);
}

// The first line of a CLI11 message is the one that names the flag; the rest is advice.
std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

}  // namespace

struct CommandLineParser::Definitions {
  OperatorConfig config;  // what the options write to
  CLI::App app{
      "Gives every annotated pod a headless Service and EndpointSlices, so that the "
      "pod's hostname resolves in cluster DNS.",
      build_info::kProgramName};
  CLI::App* run = nullptr;
  CLI::App* version = nullptr;

  Definitions() {
    app.require_subcommand(0, 1);
    run = app.add_subcommand("run", "Run the operator (the default command)");
    version = app.add_subcommand("version", "Print the version and exit");
    add_run_options(*run, config);
  }
};

CommandLineParser::CommandLineParser() : definitions_(std::make_unique<Definitions>()) {}

CommandLineParser::~CommandLineParser() = default;

CommandLineResult CommandLineParser::parse(const std::vector<std::string>& args, std::ostream& out,
                                           std::ostream& err) {
  Definitions& defs = *definitions_;
  // The options write only what the command line sets; CLI11 clears its own state of a
  // previous parse.
  defs.config = OperatorConfig{};
  ParsedCommandLine parsed;

  // `run` is the default command: flags without a command belong to it.
  std::vector<std::string> argv = args;
  const bool names_command = !argv.empty() && (argv.front() == "run" || argv.front() == "version");
  const bool asks_top_level_help =
      !argv.empty() && (argv.front() == "-h" || argv.front() == "--help");
  if (!names_command && !asks_top_level_help)
    argv.insert(argv.begin(), "run");

  try {
    std::vector<std::string> reversed(argv.rbegin(), argv.rend());
    defs.app.parse(reversed);
    if (defs.version->parsed()) {
      parsed.command = Command::kVersion;
    } else {
      validate(defs.config);
    }
  } catch (const CLI::CallForHelp&) {
    out << (defs.run->parsed() ? defs.run->help() : defs.app.help());
    return {std::nullopt, CommandLineExit{0}};
  } catch (const CLI::CallForAllHelp&) {
    out << defs.app.help("", CLI::AppFormatMode::All);
    return {std::nullopt, CommandLineExit{0}};
  } catch (const CLI::ParseError& error) {
    err << "error: " << first_line(error.what()) << "\n";
    return {std::nullopt, CommandLineExit{2}};
  }
  parsed.config = defs.config;
  return {parsed, std::nullopt};
}

CommandLineResult parse_command_line(const std::vector<std::string>& args, std::ostream& out,
                                     std::ostream& err) {
  return CommandLineParser().parse(args, out, err);
}

}  // namespace hso::config
