#include "support/cluster_env.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <random>
#include <sstream>

#include "hso/kube/errors.hpp"
#include "hso/kube/http_api_client.hpp"
#include "support/wait.hpp"

namespace hso::test {
namespace {

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

}  // namespace

bool ClusterEnv::available() {
  const std::string path = env_or_empty("KUBECONFIG");
  std::error_code ec;
  return !path.empty() && path.find(':') == std::string::npos &&
         std::filesystem::is_regular_file(path, ec);
}

ClusterEnv* ClusterEnv::require() {
  static std::once_flag once;
  static std::unique_ptr<ClusterEnv> instance;
  static std::string failure;
  std::call_once(once, [] {
    if (!available()) {
      failure =
          "integration tests need the local control plane: run `eval \"$(hack/local-cluster.sh "
          "up)\"` first (KUBECONFIG must name its admin kubeconfig, CLUSTER_DNS its DNS)";
      return;
    }
    try {
      instance.reset(new ClusterEnv());
    } catch (const std::exception& e) {
      failure = std::string("cannot use the local control plane: ") + e.what();
    }
  });
  if (!instance) {
    ADD_FAILURE() << failure;
    return nullptr;
  }
  return instance.get();
}

ClusterEnv::ClusterEnv() : kubeconfig_path_(env_or_empty("KUBECONFIG")) {
  admin_config_ = kube::load_kubeconfig({kubeconfig_path_}, "", true);
  kube::ClientOptions options;
  options.qps = 200;
  options.burst = 400;
  admin_ = kube::make_api_client(admin_config_, options);
  const std::string dns = env_or_empty("CLUSTER_DNS");
  if (const auto colon = dns.rfind(':'); colon != std::string::npos) {
    dns_host_ = dns.substr(0, colon);
    dns_port_ = std::atoi(dns.c_str() + colon + 1);
  } else if (!dns.empty()) {
    dns_host_ = dns;
    dns_port_ = 53;
  }
}

std::vector<std::string> ClusterEnv::dig(const std::string& name, const std::string& type) const {
  std::vector<std::string> answers;
  if (dns_host_.empty()) {
    ADD_FAILURE() << "CLUSTER_DNS is not set";
    return answers;
  }
  const std::string command = "dig +short +time=2 +tries=1 @" + shell_quote(dns_host_) + " -p " +
                              std::to_string(dns_port_) + " " + shell_quote(name) + " " +
                              shell_quote(type) + " 2>/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "cannot run dig";
    return answers;
  }
  std::string output;
  std::array<char, 4096> buffer{};
  std::size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    output.append(buffer.data(), n);
  pclose(pipe);
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    // dig prints ";; ..." comments when it cannot reach the server.
    if (!line.empty() && line[0] != ';')
      answers.push_back(line);
  }
  return answers;
}

std::string random_suffix(std::size_t length) {
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  thread_local std::mt19937_64 engine{std::random_device{}()};
  std::uniform_int_distribution<std::size_t> pick(0, sizeof(kChars) - 2);
  std::string suffix;
  for (std::size_t i = 0; i < length; ++i)
    suffix += kChars[pick(engine)];
  return suffix;
}

TestNamespace::TestNamespace(kube::ApiClient& client, const std::string& prefix)
    : client_(client), name_(prefix + "-" + random_suffix()) {
  client_.create("/api/v1/namespaces",
                 {{"apiVersion", "v1"},
                  {"kind", "Namespace"},
                  {"metadata", {{"name", name_}, {"labels", {{"hso.test/ephemeral", "true"}}}}}});
  // Pods can be created only once the namespace's default service account exists.
  wait_until(
      [&] {
        try {
          client_.get("/api/v1/namespaces/" + name_ + "/serviceaccounts/default");
          return true;
        } catch (const kube::ApiError&) {
          return false;
        }
      },
      std::chrono::seconds(30));
}

TestNamespace::~TestNamespace() {
  try {
    kube::DeleteOptions options;
    options.propagation_policy = "Background";
    client_.remove("/api/v1/namespaces/" + name_, options);
  } catch (const std::exception&) {
    // Already gone, or the cluster is: nothing to clean.
  }
}

nlohmann::json create_pod(kube::ApiClient& client, const std::string& namespace_name,
                          const PodSpec& spec) {
  nlohmann::json pod = {{"apiVersion", "v1"},
                        {"kind", "Pod"},
                        {"metadata", {{"name", spec.name}}},
                        {"spec",
                         {{"containers", {{{"name", "main"}, {"image", "pause:test"}}}},
                          {"terminationGracePeriodSeconds", 0}}}};
  if (!spec.labels.empty())
    pod["metadata"]["labels"] = spec.labels;
  if (!spec.annotations.empty())
    pod["metadata"]["annotations"] = spec.annotations;
  if (!spec.hostname.empty())
    pod["spec"]["hostname"] = spec.hostname;
  if (!spec.subdomain.empty())
    pod["spec"]["subdomain"] = spec.subdomain;
  return client.create("/api/v1/namespaces/" + namespace_name + "/pods", pod);
}

std::optional<std::string> wait_for_pod_ip(kube::ApiClient& client,
                                           const std::string& namespace_name,
                                           const std::string& pod_name,
                                           std::chrono::milliseconds timeout) {
  std::optional<std::string> ip;
  wait_until(
      [&] {
        try {
          const auto pod = client.get("/api/v1/namespaces/" + namespace_name + "/pods/" + pod_name);
          const auto status = pod.find("status");
          if (status == pod.end())
            return false;
          const std::string pod_ip = status->value("podIP", "");
          if (pod_ip.empty())
            return false;
          ip = pod_ip;
          return true;
        } catch (const kube::ApiError&) {
          return false;
        }
      },
      timeout, std::chrono::milliseconds(100));
  return ip;
}

}  // namespace hso::test
