#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hso::kube {

// A client.authentication.k8s.io exec credential plugin, as a kubeconfig user describes it.
struct ExecConfig {
  std::string api_version;
  std::string command;  // resolved against the kubeconfig's folder when relative with a '/'
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::string install_hint;
  bool provide_cluster_info = false;
  std::string source;  // "<file>: users[i] "<name>": exec", for messages
};

// Where the API server is and how to authenticate to it; produced by the kubeconfig loader or
// the in-cluster loader, consumed by make_api_client.
struct ClientConfig {
  std::string scheme = "https";
  std::string host;  // without brackets, also for IPv6
  int port = 443;
  std::string path_prefix;  // from the server URL, e.g. "/k8s/clusters/c-1"; no trailing '/'

  std::string ca_pem;  // empty: the system trust store
  std::string ca_source;
  std::string tls_server_name;  // empty: verify against `host`
  bool insecure_skip_tls_verify = false;

  std::string client_cert_pem;
  std::string client_cert_source;
  std::string client_key_pem;
  std::string client_key_source;

  std::string token;
  std::string token_file;  // re-read periodically; wins over `token`
  std::optional<ExecConfig> exec;

  std::string default_namespace;  // the context's namespace, or the service account's
  std::string origin;             // for messages: "in-cluster" or "kubeconfig <file> context <c>"

  // https://host:port with IPv6 hosts bracketed, plus the path prefix.
  std::string server_url() const;
};

struct ServerAddress {
  std::string scheme;
  std::string host;
  int port = 0;
  std::string path_prefix;
};
// Parses a kubeconfig `server` value; throws ConfigError starting with `what`.
ServerAddress parse_server_url(std::string_view url, const std::string& what);
// "host" or "[v6::host]".
std::string bracket_host(const std::string& host);

// Loads and merges kubeconfig files as kubectl does (for each name the first file that defines it
// wins; so does the first non-empty current-context), then resolves `context` (empty: the
// current-context). Files that do not exist are skipped unless `require_all` is set. Throws
// ConfigError naming the file and field for anything malformed or missing.
ClientConfig load_kubeconfig(const std::vector<std::string>& files, const std::string& context,
                             bool require_all = false);

struct InClusterPaths {
  std::string token_file = "/var/run/secrets/kubernetes.io/serviceaccount/token";
  std::string ca_file = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
  std::string namespace_file = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";
};

using EnvLookup = std::function<std::optional<std::string>(const char* name)>;
std::optional<std::string> process_env(const char* name);

// In-cluster configuration from KUBERNETES_SERVICE_HOST/PORT and the service-account files.
ClientConfig load_in_cluster_config(const EnvLookup& env = process_env,
                                    const InClusterPaths& paths = {});

// The operator's precedence: --kubeconfig; else KUBECONFIG (a ':'-separated list); else
// in-cluster when KUBERNETES_SERVICE_HOST is set and no context was asked for; else
// ~/.kube/config. A context (--context / KUBERNETES_CONTEXT) always means a kubeconfig.
ClientConfig load_client_config(const std::string& kubeconfig_flag, const std::string& context_flag,
                                const EnvLookup& env = process_env,
                                const InClusterPaths& in_cluster_paths = {});

}  // namespace hso::kube
