#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "hso/kube/api_client.hpp"
#include "hso/kube/client_config.hpp"

namespace hso::test {

// The real local control plane an integration test talks to (hack/local-cluster.sh up):
// KUBECONFIG names its admin kubeconfig, CLUSTER_DNS its CoreDNS ("127.0.0.1:<port>").
class ClusterEnv {
 public:
  // True when KUBECONFIG is set and names a file.
  static bool available();
  // The environment, or nullptr after failing the current test with a message saying how to
  // start the cluster. Integration tests need the cluster: they fail, never skip, without it.
  //   auto* cluster = hso::test::ClusterEnv::require();
  //   if (cluster == nullptr) return;
  static ClusterEnv* require();

  const std::string& kubeconfig_path() const { return kubeconfig_path_; }
  const kube::ClientConfig& admin_config() const { return admin_config_; }
  // A client with cluster-admin rights, shared by the tests of the process.
  kube::ApiClient& admin() const { return *admin_; }
  std::shared_ptr<kube::ApiClient> admin_shared() const { return admin_; }

  // CLUSTER_DNS split into host and port; empty host when CLUSTER_DNS is not set.
  const std::string& dns_host() const { return dns_host_; }
  int dns_port() const { return dns_port_; }
  // `dig +short @host -p port name type` against CLUSTER_DNS: the answer lines (empty when the
  // name does not resolve).
  std::vector<std::string> dig(const std::string& name, const std::string& type = "A") const;

 private:
  ClusterEnv();

  std::string kubeconfig_path_;
  kube::ClientConfig admin_config_;
  std::shared_ptr<kube::ApiClient> admin_;
  std::string dns_host_;
  int dns_port_ = 0;
};

// A namespace of its own for one test, deleted (with everything in it) when this goes out of
// scope. Names are "<prefix>-<random>".
class TestNamespace {
 public:
  explicit TestNamespace(kube::ApiClient& client, const std::string& prefix = "hso-test");
  ~TestNamespace();
  TestNamespace(const TestNamespace&) = delete;
  TestNamespace& operator=(const TestNamespace&) = delete;

  const std::string& name() const { return name_; }

 private:
  kube::ApiClient& client_;
  std::string name_;
};

struct PodSpec {
  std::string name;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::string hostname;   // spec.hostname; empty: none
  std::string subdomain;  // spec.subdomain; empty: none
};

// Creates a pod (one container; kwok "runs" it on a simulated node) and returns the created
// object.
nlohmann::json create_pod(kube::ApiClient& client, const std::string& namespace_name,
                          const PodSpec& spec);
// Polls until the pod has status.podIP; returns it, or nullopt after `timeout`.
std::optional<std::string> wait_for_pod_ip(
    kube::ApiClient& client, const std::string& namespace_name, const std::string& pod_name,
    std::chrono::milliseconds timeout = std::chrono::seconds(60));

// A lowercase random suffix for object names.
std::string random_suffix(std::size_t length = 6);

}  // namespace hso::test
