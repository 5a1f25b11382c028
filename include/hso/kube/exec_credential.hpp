#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "hso/kube/client_config.hpp"
#include "hso/kube/credentials.hpp"
#include "hso/util/clock.hpp"
#include "hso/util/mutex.hpp"

namespace hso::kube {

// The parsed status of an ExecCredential the plugin printed.
struct ExecCredentialStatus {
  std::string token;
  std::string client_certificate_pem;
  std::string client_key_pem;
  std::optional<std::chrono::system_clock::time_point> expiration;
};

// Parses the plugin's stdout; throws std::runtime_error saying what is wrong.
ExecCredentialStatus parse_exec_credential(std::string_view output,
                                           const std::string& expected_api_version);

struct ExecResult {
  int exit_status = -1;  // the exit code, or -1 when killed / not started
  std::string output;    // stdout
  std::string failure;   // why it could not run, if it could not
};
// Runs a command with extra environment, stdin from /dev/null, stderr inherited, and a deadline.
ExecResult run_command(const std::string& command, const std::vector<std::string>& args,
                       const std::vector<std::pair<std::string, std::string>>& extra_env,
                       std::chrono::milliseconds timeout);

// Runs a client.authentication.k8s.io exec plugin and caches what it returns until its
// expirationTimestamp (or a 401).
class ExecCredentialProvider final : public CredentialProvider {
 public:
  ExecCredentialProvider(ExecConfig exec, std::string server_url, std::string ca_pem,
                         const Clock& clock = SystemClock::instance(),
                         std::chrono::milliseconds timeout = std::chrono::minutes(1));
  Credential current() override;
  void on_unauthorized() override;

 private:
  Credential run_plugin() HSO_REQUIRES(mutex_);

  const ExecConfig exec_;
  const std::string server_url_;
  const std::string ca_pem_;
  const Clock& clock_;
  const std::chrono::milliseconds timeout_;
  Mutex mutex_;
  std::optional<Credential> cached_ HSO_GUARDED_BY(mutex_);
  std::optional<std::chrono::system_clock::time_point> expiration_ HSO_GUARDED_BY(mutex_);
};

}  // namespace hso::kube
