#include "hso/kube/client_config.hpp"

#include <pwd.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <system_error>
#include <tuple>
#include <utility>

#include "hso/kube/errors.hpp"
#include "hso/kube/tls.hpp"
#include "hso/util/base64.hpp"

namespace hso::kube {
namespace {

namespace fs = std::filesystem;

constexpr std::uintmax_t kMaxFileBytes = 16u << 20;

std::string read_small_file(const std::string& path, const std::string& what) {
  std::error_code ec;
  if (fs::is_directory(path, ec))
    throw ConfigError(what + ": " + path + " is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ConfigError(what + ": cannot read " + path + ": " +
                      std::generic_category().message(errno));
  }
  std::string content;
  char buffer[65536];
  while (in.read(buffer, sizeof(buffer)) || in.gcount() > 0) {
    content.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (content.size() > kMaxFileBytes)
      throw ConfigError(what + ": " + path + " is too large");
  }
  if (in.bad())
    throw ConfigError(what + ": cannot read " + path);
  return content;
}

std::string resolve_relative(const std::string& path, const fs::path& base_dir) {
  if (path.empty() || fs::path(path).is_absolute())
    return path;
  return (base_dir / path).lexically_normal().string();
}

// One named entry of a kubeconfig list (clusters, users, contexts) and where it came from.
struct Entry {
  YAML::Node body;
  std::string file;
  fs::path dir;
  std::string where;  // `clusters[0] "name"`
};

struct MergedKubeconfig {
  std::map<std::string, Entry> clusters;
  std::map<std::string, Entry> users;
  std::map<std::string, Entry> contexts;
  std::string current_context;
  std::string current_context_file;
  std::vector<std::string> files_read;
};

std::string describe_files(const std::vector<std::string>& files) {
  std::string text;
  for (const auto& file : files) {
    if (!text.empty())
      text += ":";
    text += file;
  }
  return text.empty() ? "(no kubeconfig file)" : text;
}

// Typed field access that turns every surprise into a ConfigError naming the field.
class FieldReader {
 public:
  FieldReader(const YAML::Node& node, std::string where) : node_(node), where_(std::move(where)) {}

  const std::string& where() const { return where_; }

  std::string string(const char* key) const {
    const YAML::Node value = node_[key];
    if (!value || value.IsNull())
      return {};
    if (!value.IsScalar())
      throw ConfigError(field(key) + ": must be a string");
    return value.Scalar();
  }

  bool boolean(const char* key) const {
    const YAML::Node value = node_[key];
    if (!value || value.IsNull())
      return false;
    try {
      return value.as<bool>();
    } catch (const YAML::Exception&) {
      throw ConfigError(field(key) + ": must be true or false");
    }
  }

  std::string base64(const char* key) const {
    const std::string text = string(key);
    if (text.empty())
      return {};
    auto decoded = decode_base64(text);
    if (!decoded)
      throw ConfigError(field(key) + ": not valid base64");
    return *decoded;
  }

  YAML::Node child(const char* key) const { return node_[key]; }
  std::string field(const std::string& key) const { return where_ + "." + key; }

 private:
  YAML::Node node_;
  std::string where_;
};

void read_named_list(const YAML::Node& root, const char* list_key, const char* body_key,
                     const std::string& file, std::map<std::string, Entry>& into) {
  const YAML::Node list = root[list_key];
  if (!list || list.IsNull())
    return;
  if (!list.IsSequence())
    throw ConfigError(file + ": " + list_key + ": must be a list");
  std::size_t index = 0;
  for (const auto& item : list) {
    const std::string where = std::string(list_key) + "[" + std::to_string(index++) + "]";
    if (!item.IsMap())
      throw ConfigError(file + ": " + where + ": must be a mapping");
    const YAML::Node name = item["name"];
    if (!name || !name.IsScalar() || name.Scalar().empty()) {
      throw ConfigError(file + ": " + where + ".name: missing");
    }
    const YAML::Node body = item[body_key];
    if (body && !body.IsNull() && !body.IsMap()) {
      throw ConfigError(file + ": " + where + "." + body_key + ": must be a mapping");
    }
    // kubectl's merge: the first file that defines a name wins.
    into.try_emplace(name.Scalar(),
                     Entry{body, file, fs::path(file).parent_path(),
                           file + ": " + where + " \"" + name.Scalar() + "\"." + body_key});
  }
}

void merge_file(const std::string& file, MergedKubeconfig& merged) {
  const std::string content = read_small_file(file, "kubeconfig " + file);
  YAML::Node root;
  try {
    root = YAML::Load(content);
  } catch (const YAML::Exception& e) {
    throw ConfigError(file + ": not a valid kubeconfig: line " + std::to_string(e.mark.line + 1) +
                      ": " + e.msg);
  }
  merged.files_read.push_back(file);
  if (!root || root.IsNull())
    return;  // an empty file is an empty config
  if (!root.IsMap())
    throw ConfigError(file + ": not a valid kubeconfig: must be a mapping");
  read_named_list(root, "clusters", "cluster", file, merged.clusters);
  read_named_list(root, "users", "user", file, merged.users);
  read_named_list(root, "contexts", "context", file, merged.contexts);
  const YAML::Node current = root["current-context"];
  if (current && !current.IsNull()) {
    if (!current.IsScalar())
      throw ConfigError(file + ": current-context: must be a string");
    if (merged.current_context.empty() && !current.Scalar().empty()) {
      merged.current_context = current.Scalar();
      merged.current_context_file = file;
    }
  }
}

void apply_cluster(const Entry& entry, ClientConfig& config) {
  if (!entry.body || entry.body.IsNull())
    throw ConfigError(entry.where + ": missing");
  const FieldReader cluster(entry.body, entry.where);
  const std::string server = cluster.string("server");
  if (server.empty())
    throw ConfigError(cluster.field("server") + ": missing");
  const ServerAddress address = parse_server_url(server, cluster.field("server"));
  config.scheme = address.scheme;
  config.host = address.host;
  config.port = address.port;
  config.path_prefix = address.path_prefix;
  config.tls_server_name = cluster.string("tls-server-name");
  config.insecure_skip_tls_verify = cluster.boolean("insecure-skip-tls-verify");

  const std::string ca_data = cluster.base64("certificate-authority-data");
  const std::string ca_file = cluster.string("certificate-authority");
  if (!ca_data.empty() && !ca_file.empty()) {
    throw ConfigError(cluster.where() +
                      ": certificate-authority and certificate-authority-data are both set");
  }
  if (!ca_data.empty()) {
    config.ca_pem = ca_data;
    config.ca_source = cluster.field("certificate-authority-data");
  } else if (!ca_file.empty()) {
    const std::string path = resolve_relative(ca_file, entry.dir);
    config.ca_source = cluster.field("certificate-authority") + " (" + path + ")";
    config.ca_pem = read_small_file(path, cluster.field("certificate-authority"));
  }
  if (config.insecure_skip_tls_verify && !config.ca_pem.empty()) {
    throw ConfigError(cluster.where() +
                      ": insecure-skip-tls-verify cannot be combined with a certificate authority");
  }
}

void apply_pem_pair(const FieldReader& user, const fs::path& dir, const char* file_key,
                    const char* data_key, std::string& pem, std::string& source) {
  const std::string data = user.base64(data_key);
  const std::string file = user.string(file_key);
  if (!data.empty() && !file.empty()) {
    throw ConfigError(user.where() + ": " + file_key + " and " + data_key + " are both set");
  }
  if (!data.empty()) {
    pem = data;
    source = user.field(data_key);
  } else if (!file.empty()) {
    const std::string path = resolve_relative(file, dir);
    source = user.field(file_key) + " (" + path + ")";
    pem = read_small_file(path, user.field(file_key));
  }
}

ExecConfig read_exec(const YAML::Node& node, const FieldReader& user, const fs::path& dir) {
  const std::string where = user.field("exec");
  if (!node.IsMap())
    throw ConfigError(where + ": must be a mapping");
  const FieldReader exec(node, where);
  ExecConfig config;
  config.source = where;
  config.api_version = exec.string("apiVersion");
  if (config.api_version != "client.authentication.k8s.io/v1" &&
      config.api_version != "client.authentication.k8s.io/v1beta1") {
    throw ConfigError(exec.field("apiVersion") + ": unsupported \"" + config.api_version +
                      "\" (client.authentication.k8s.io/v1 expected)");
  }
  config.command = exec.string("command");
  if (config.command.empty())
    throw ConfigError(exec.field("command") + ": missing");
  if (config.command.find('/') != std::string::npos) {
    config.command = resolve_relative(config.command, dir);
  }
  if (const YAML::Node args = exec.child("args"); args && !args.IsNull()) {
    if (!args.IsSequence())
      throw ConfigError(exec.field("args") + ": must be a list");
    for (const auto& arg : args) {
      if (!arg.IsScalar())
        throw ConfigError(exec.field("args") + ": must be strings");
      config.args.push_back(arg.Scalar());
    }
  }
  if (const YAML::Node env = exec.child("env"); env && !env.IsNull()) {
    if (!env.IsSequence())
      throw ConfigError(exec.field("env") + ": must be a list");
    std::size_t index = 0;
    for (const auto& item : env) {
      const FieldReader var(item, exec.field("env[" + std::to_string(index++) + "]"));
      if (!item.IsMap())
        throw ConfigError(var.where() + ": must be a mapping");
      const std::string name = var.string("name");
      if (name.empty())
        throw ConfigError(var.field("name") + ": missing");
      config.env.emplace_back(name, var.string("value"));
    }
  }
  config.install_hint = exec.string("installHint");
  config.provide_cluster_info = exec.boolean("provideClusterInfo");
  if (exec.string("interactiveMode") == "Always") {
    throw ConfigError(exec.field("interactiveMode") +
                      ": Always needs a terminal, which the operator never has");
  }
  return config;
}

void apply_user(const Entry& entry, ClientConfig& config) {
  if (!entry.body || entry.body.IsNull())
    return;  // a user with no credentials
  const FieldReader user(entry.body, entry.where);
  apply_pem_pair(user, entry.dir, "client-certificate", "client-certificate-data",
                 config.client_cert_pem, config.client_cert_source);
  apply_pem_pair(user, entry.dir, "client-key", "client-key-data", config.client_key_pem,
                 config.client_key_source);
  if (config.client_cert_pem.empty() != config.client_key_pem.empty()) {
    throw ConfigError(user.where() + ": " +
                      (config.client_cert_pem.empty() ? "client-certificate" : "client-key") +
                      ": missing (the other half of the pair is set)");
  }
  config.token = user.string("token");
  if (const std::string file = user.string("tokenFile"); !file.empty()) {
    config.token_file = resolve_relative(file, entry.dir);
  }
  if (const YAML::Node exec = user.child("exec"); exec && !exec.IsNull()) {
    config.exec = read_exec(exec, user, entry.dir);
  }
  if (const YAML::Node provider = user.child("auth-provider"); provider && !provider.IsNull()) {
    throw ConfigError(user.field("auth-provider") + ": not supported; use an exec plugin");
  }
  if (!user.string("username").empty() || !user.string("password").empty()) {
    throw ConfigError(user.field("username") + ": basic authentication is not supported");
  }
}

void validate_tls_material(const ClientConfig& config) {
  if (!config.ca_pem.empty())
    CaBundle(config.ca_pem, config.ca_source);
  if (!config.client_cert_pem.empty()) {
    ClientIdentity(config.client_cert_pem, config.client_key_pem, config.client_cert_source,
                   config.client_key_source);
  }
}

std::string home_directory(const EnvLookup& env) {
  if (auto home = env("HOME"); home && !home->empty())
    return *home;
  // getpwuid_r, not getpwuid: the static result of getpwuid is shared by every thread.
  passwd entry{};
  passwd* found = nullptr;
  std::vector<char> buffer(16384);
  if (getpwuid_r(getuid(), &entry, buffer.data(), buffer.size(), &found) == 0 && found != nullptr &&
      entry.pw_dir != nullptr) {
    return entry.pw_dir;
  }
  return {};
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  std::string part;
  while (std::getline(stream, part, ':')) {
    if (!part.empty())
      parts.push_back(part);
  }
  return parts;
}

}  // namespace

std::string bracket_host(const std::string& host) {
  if (host.find(':') != std::string::npos)
    return "[" + host + "]";
  return host;
}

std::string ClientConfig::server_url() const {
  return scheme + "://" + bracket_host(host) + ":" + std::to_string(port) + path_prefix;
}

namespace {

// The host of an authority ("host", "host:port", "[v6]" or "[v6]:port") and its port text.
std::pair<std::string, std::string_view> split_authority(std::string_view authority,
                                                         const std::string& what) {
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos)
      throw ConfigError(what + ": unclosed '[' in host");
    const std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':')
        throw ConfigError(what + ": unexpected text after ']'");
      port_text = rest.substr(1);
    }
    return {std::string(authority.substr(1, close - 1)), port_text};
  }
  const auto colon = authority.rfind(':');
  if (colon != std::string_view::npos) {
    if (authority.find(':') != colon) {
      throw ConfigError(what + ": IPv6 addresses must be in brackets");
    }
    port_text = authority.substr(colon + 1);
    authority = authority.substr(0, colon);
  }
  return {std::string(authority), port_text};
}

int parse_port(std::string_view port_text, const std::string& what) {
  int port = 0;
  const auto [ptr, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port < 1 || port > 65535) {
    throw ConfigError(what + ": invalid port \"" + std::string(port_text) + "\"");
  }
  return port;
}

}  // namespace

ServerAddress parse_server_url(std::string_view url, const std::string& what) {
  ServerAddress address;
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    // kubectl accepts a bare host:port and assumes https.
    address.scheme = "https";
  } else {
    address.scheme = std::string(url.substr(0, scheme_end));
    url.remove_prefix(scheme_end + 3);
  }
  if (address.scheme != "https" && address.scheme != "http") {
    throw ConfigError(what + ": unsupported scheme \"" + address.scheme + "\"");
  }
  const auto path_start = url.find('/');
  const std::string_view authority = url.substr(0, path_start);
  if (path_start != std::string_view::npos) {
    address.path_prefix = std::string(url.substr(path_start));
    while (!address.path_prefix.empty() && address.path_prefix.back() == '/') {
      address.path_prefix.pop_back();
    }
    if (address.path_prefix.find_first_of("?# ") != std::string::npos) {
      throw ConfigError(what + ": must not carry a query, fragment or spaces");
    }
  }
  if (authority.find('@') != std::string_view::npos) {
    throw ConfigError(what + ": user information in the URL is not supported");
  }
  std::string_view port_text;
  std::tie(address.host, port_text) = split_authority(authority, what);
  if (address.host.empty())
    throw ConfigError(what + ": no host in \"" + std::string(url) + "\"");
  address.port =
      port_text.empty() ? (address.scheme == "https" ? 443 : 80) : parse_port(port_text, what);
  return address;
}

ClientConfig load_kubeconfig(const std::vector<std::string>& files, const std::string& context,
                             bool require_all) {
  MergedKubeconfig merged;
  for (const auto& file : files) {
    std::error_code ec;
    if (!require_all && !fs::exists(file, ec))
      continue;
    merge_file(file, merged);
  }
  const std::string all_files = describe_files(files);
  if (merged.files_read.empty()) {
    throw ConfigError("kubeconfig " + all_files + ": no such file");
  }
  const std::string context_name = context.empty() ? merged.current_context : context;
  if (context_name.empty()) {
    throw ConfigError(describe_files(merged.files_read) +
                      ": current-context: not set, and no context was given");
  }
  const auto context_it = merged.contexts.find(context_name);
  if (context_it == merged.contexts.end()) {
    throw ConfigError(describe_files(merged.files_read) + ": contexts: no context named \"" +
                      context_name + "\"" +
                      (context.empty()
                           ? " (named by current-context in " + merged.current_context_file + ")"
                           : ""));
  }
  const Entry& context_entry = context_it->second;
  if (!context_entry.body || context_entry.body.IsNull()) {
    throw ConfigError(context_entry.where + ": missing");
  }
  const FieldReader ctx(context_entry.body, context_entry.where);
  const std::string cluster_name = ctx.string("cluster");
  if (cluster_name.empty())
    throw ConfigError(ctx.field("cluster") + ": missing");
  const auto cluster_it = merged.clusters.find(cluster_name);
  if (cluster_it == merged.clusters.end()) {
    throw ConfigError(ctx.field("cluster") + ": no cluster named \"" + cluster_name + "\"");
  }

  ClientConfig config;
  config.origin = "kubeconfig " + context_entry.file + " context " + context_name;
  config.default_namespace = ctx.string("namespace");
  apply_cluster(cluster_it->second, config);
  if (const std::string user_name = ctx.string("user"); !user_name.empty()) {
    const auto user_it = merged.users.find(user_name);
    if (user_it == merged.users.end()) {
      throw ConfigError(ctx.field("user") + ": no user named \"" + user_name + "\"");
    }
    apply_user(user_it->second, config);
  }
  if (config.scheme == "http" && (!config.client_cert_pem.empty() || !config.ca_pem.empty())) {
    throw ConfigError(cluster_it->second.where +
                      ".server: is http://, but TLS certificates are configured");
  }
  validate_tls_material(config);
  return config;
}

std::optional<std::string> process_env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr)
    return std::nullopt;
  return std::string(value);
}

ClientConfig load_in_cluster_config(const EnvLookup& env, const InClusterPaths& paths) {
  const auto host = env("KUBERNETES_SERVICE_HOST");
  const auto port = env("KUBERNETES_SERVICE_PORT");
  if (!host || host->empty() || !port || port->empty()) {
    throw ConfigError(
        "in-cluster configuration: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be "
        "set");
  }
  ClientConfig config;
  config.origin = "in-cluster";
  const ServerAddress address =
      parse_server_url("https://" + bracket_host(*host) + ":" + *port,
                       "in-cluster configuration: KUBERNETES_SERVICE_HOST/PORT");
  config.host = address.host;
  config.port = address.port;
  config.token_file = paths.token_file;
  // Fail now, with the file's name, rather than on the first request.
  if (read_small_file(paths.token_file, "in-cluster configuration: token").empty()) {
    throw ConfigError("in-cluster configuration: token: " + paths.token_file + " is empty");
  }
  config.ca_source = "in-cluster configuration: CA " + paths.ca_file;
  config.ca_pem = read_small_file(paths.ca_file, config.ca_source);
  std::error_code ec;
  if (fs::exists(paths.namespace_file, ec)) {
    config.default_namespace = read_small_file(paths.namespace_file, "in-cluster namespace");
    while (!config.default_namespace.empty() &&
           std::isspace(static_cast<unsigned char>(config.default_namespace.back()))) {
      config.default_namespace.pop_back();
    }
  }
  validate_tls_material(config);
  return config;
}

ClientConfig load_client_config(const std::string& kubeconfig_flag, const std::string& context_flag,
                                const EnvLookup& env, const InClusterPaths& in_cluster_paths) {
  if (!kubeconfig_flag.empty())
    return load_kubeconfig({kubeconfig_flag}, context_flag, true);
  if (auto list = env("KUBECONFIG"); list && !list->empty()) {
    return load_kubeconfig(split_list(*list), context_flag);
  }
  if (context_flag.empty()) {
    if (auto host = env("KUBERNETES_SERVICE_HOST"); host && !host->empty()) {
      return load_in_cluster_config(env, in_cluster_paths);
    }
  }
  const std::string home = home_directory(env);
  if (home.empty()) {
    throw ConfigError("kubeconfig: no --kubeconfig, KUBECONFIG or home directory to look in");
  }
  return load_kubeconfig({home + "/.kube/config"}, context_flag, true);
}

}  // namespace hso::kube
