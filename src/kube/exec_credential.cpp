#include "hso/kube/exec_credential.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <system_error>
#include <utility>
#include <variant>
#include <vector>

#include "hso/kube/errors.hpp"
#include "hso/util/base64.hpp"
#include "hso/util/json_access.hpp"
#include "hso/util/time_format.hpp"

namespace hso::kube {
namespace {

constexpr std::size_t kMaxOutputBytes = 1u << 20;

class Pipe {
 public:
  Pipe() {
    if (pipe2(fds_, O_CLOEXEC) != 0)
      fds_[0] = fds_[1] = -1;
  }
  ~Pipe() {
    close_read();
    close_write();
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  bool ok() const { return fds_[0] >= 0; }
  int read_end() const { return fds_[0]; }
  int write_end() const { return fds_[1]; }
  void close_read() {
    if (fds_[0] >= 0)
      ::close(fds_[0]);
    fds_[0] = -1;
  }
  void close_write() {
    if (fds_[1] >= 0)
      ::close(fds_[1]);
    fds_[1] = -1;
  }

 private:
  int fds_[2] = {-1, -1};
};

std::string exec_info(const ExecConfig& exec, const std::string& server_url,
                      const std::string& ca_pem) {
  nlohmann::json info = {{"apiVersion", exec.api_version},
                         {"kind", "ExecCredential"},
                         {"spec", {{"interactive", false}}}};
  if (exec.provide_cluster_info) {
    nlohmann::json cluster = {{"server", server_url}};
    if (!ca_pem.empty()) {
      // certificate-authority-data is base64 of the PEM bytes.
      cluster["certificate-authority-data"] = encode_base64(ca_pem);
    }
    info["spec"]["cluster"] = cluster;
  }
  return info.dump();
}

}  // namespace

ExecCredentialStatus parse_exec_credential(std::string_view output,
                                           const std::string& expected_api_version) {
  const nlohmann::json credential = nlohmann::json::parse(output, nullptr, false);
  if (!credential.is_object())
    throw std::runtime_error("output is not a JSON object");
  if (json_string_at(credential, "kind") != "ExecCredential") {
    throw std::runtime_error("output kind is not ExecCredential");
  }
  if (json_string_at(credential, "apiVersion") != expected_api_version) {
    throw std::runtime_error("output apiVersion is not " + expected_api_version);
  }
  const auto status = credential.find("status");
  if (status == credential.end() || !status->is_object()) {
    throw std::runtime_error("output has no status");
  }
  auto string_field = [&](const char* key) -> std::string {
    const auto it = status->find(key);
    if (it == status->end() || it->is_null())
      return {};
    if (!it->is_string())
      throw std::runtime_error(std::string("status.") + key + " is not a string");
    return it->get<std::string>();
  };
  ExecCredentialStatus result;
  result.token = string_field("token");
  result.client_certificate_pem = string_field("clientCertificateData");
  result.client_key_pem = string_field("clientKeyData");
  if (result.client_certificate_pem.empty() != result.client_key_pem.empty()) {
    throw std::runtime_error("status has only one of clientCertificateData and clientKeyData");
  }
  if (result.token.empty() && result.client_certificate_pem.empty()) {
    throw std::runtime_error("status has neither a token nor a client certificate");
  }
  if (const std::string expiry = string_field("expirationTimestamp"); !expiry.empty()) {
    result.expiration = parse_rfc3339(expiry);
    if (!result.expiration)
      throw std::runtime_error("status.expirationTimestamp is not RFC 3339");
  }
  return result;
}

namespace {

// Owned strings and the null-terminated pointer array that posix_spawn takes.
class CStringArray {
 public:
  void push_back(std::string value) { storage_.push_back(std::move(value)); }
  char* const* data() {
    pointers_.clear();
    pointers_.reserve(storage_.size() + 1);
    for (auto& value : storage_)
      pointers_.push_back(value.data());
    pointers_.push_back(nullptr);
    return pointers_.data();
  }

 private:
  std::vector<std::string> storage_;
  std::vector<char*> pointers_;
};

// The operator's environment, less the variables `extra_env` sets, plus `extra_env`.
CStringArray child_environment(const std::vector<std::pair<std::string, std::string>>& extra_env) {
  CStringArray env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view var(*entry);
    bool overridden = false;
    for (const auto& [name, value] : extra_env) {
      if (var.size() > name.size() && var.substr(0, name.size()) == name &&
          var[name.size()] == '=') {
        overridden = true;
      }
    }
    if (!overridden)
      env.push_back(std::string(var));
  }
  for (const auto& [name, value] : extra_env)
    env.push_back(name + "=" + value);
  return env;
}

// Starts `command` with stdin from /dev/null and stdout into `out`; the pid, or the failure.
std::variant<pid_t, std::string> spawn_child(const std::string& command,
                                             const std::vector<std::string>& args,
                                             CStringArray& env, Pipe& out) {
  CStringArray argv;
  argv.push_back(command);
  for (const auto& arg : args)
    argv.push_back(arg);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out.write_end(), STDOUT_FILENO);
  pid_t pid = 0;
  const int spawn_error =
      posix_spawnp(&pid, command.c_str(), &actions, nullptr, argv.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  out.close_write();
  if (spawn_error != 0)
    return "cannot start: " + std::generic_category().message(spawn_error);
  return pid;
}

// Reads the child's stdout into result.output until it closes, the deadline passes or the output
// exceeds its bound; kills the child in the last two cases.
void collect_output(int read_end, pid_t pid, std::chrono::milliseconds timeout,
                    ExecResult& result) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  char buffer[8192];
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd fd{read_end, POLLIN, 0};
    const int ready = poll(&fd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR)
      continue;
    if (ready <= 0) {
      timed_out = ready == 0;
      break;
    }
    const ssize_t n = ::read(read_end, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    result.output.append(buffer, static_cast<std::size_t>(n));
    if (result.output.size() > kMaxOutputBytes) {
      result.failure = "printed more than 1 MiB";
      kill(pid, SIGKILL);
      break;
    }
  }
  if (timed_out) {
    kill(pid, SIGKILL);
    result.failure = "did not finish within " + std::to_string(timeout.count()) + " ms";
  }
}

// Reaps the child and records how it ended.
void reap(pid_t pid, ExecResult& result) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) {
    result.exit_status = WEXITSTATUS(status);
  } else if (result.failure.empty()) {
    result.failure = "killed by signal " + std::to_string(WTERMSIG(status));
  }
}

}  // namespace

ExecResult run_command(const std::string& command, const std::vector<std::string>& args,
                       const std::vector<std::pair<std::string, std::string>>& extra_env,
                       std::chrono::milliseconds timeout) {
  ExecResult result;
  CStringArray env = child_environment(extra_env);
  Pipe out;
  if (!out.ok()) {
    result.failure = "pipe: " + std::generic_category().message(errno);
    return result;
  }
  auto spawned = spawn_child(command, args, env, out);
  if (auto* failure = std::get_if<std::string>(&spawned)) {
    result.failure = std::move(*failure);
    return result;
  }
  const pid_t pid = std::get<pid_t>(spawned);
  collect_output(out.read_end(), pid, timeout, result);
  reap(pid, result);
  return result;
}

ExecCredentialProvider::ExecCredentialProvider(ExecConfig exec, std::string server_url,
                                               std::string ca_pem, const Clock& clock,
                                               std::chrono::milliseconds timeout)
    : exec_(std::move(exec)),
      server_url_(std::move(server_url)),
      ca_pem_(std::move(ca_pem)),
      clock_(clock),
      timeout_(timeout) {}

Credential ExecCredentialProvider::current() {
  MutexLock lock(mutex_);
  if (cached_ && (!expiration_ || clock_.wall_now() < *expiration_))
    return *cached_;
  cached_ = run_plugin();
  return *cached_;
}

void ExecCredentialProvider::on_unauthorized() {
  MutexLock lock(mutex_);
  cached_.reset();
}

Credential ExecCredentialProvider::run_plugin() {
  auto env = exec_.env;
  env.emplace_back("KUBERNETES_EXEC_INFO", exec_info(exec_, server_url_, ca_pem_));
  const ExecResult run = run_command(exec_.command, exec_.args, env, timeout_);
  auto fail = [&](const std::string& why) -> TransportError {
    std::string message = exec_.source + ": " + exec_.command + ": " + why;
    if (!exec_.install_hint.empty())
      message += " (" + exec_.install_hint + ")";
    return TransportError(message);
  };
  if (!run.failure.empty())
    throw fail(run.failure);
  if (run.exit_status != 0)
    throw fail("exited with status " + std::to_string(run.exit_status));
  ExecCredentialStatus status;
  try {
    status = parse_exec_credential(run.output, exec_.api_version);
  } catch (const std::exception& e) {
    throw fail(e.what());
  }
  Credential credential;
  credential.bearer_token = status.token;
  if (!status.client_certificate_pem.empty()) {
    try {
      credential.identity = std::make_shared<const ClientIdentity>(
          status.client_certificate_pem, status.client_key_pem,
          exec_.source + ": status.clientCertificateData", exec_.source + ": status.clientKeyData",
          clock_.wall_now());
    } catch (const ConfigError& e) {
      throw TransportError(e.what());
    }
  }
  expiration_ = status.expiration;
  return credential;
}

}  // namespace hso::kube
