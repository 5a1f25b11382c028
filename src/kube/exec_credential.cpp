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

#include "hso/kube/errors.hpp"
#include "hso/util/json_access.hpp"

namespace hso::kube {
namespace {

constexpr std::size_t kMaxOutputBytes = 1u << 20;

bool parse_digits(std::string_view text, std::size_t pos, std::size_t count, int& value) {
  if (pos + count > text.size())
    return false;
  value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9')
      return false;
    value = value * 10 + (text[i] - '0');
  }
  return true;
}

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

// Seconds since the epoch as a system_clock time. Past what the clock holds (nanosecond ticks:
// before 1677 or after 2262) it saturates, so that an expiry in year 9999 means "not soon".
std::chrono::system_clock::time_point saturating_time_point(std::int64_t seconds) {
  using std::chrono::system_clock;
  constexpr std::int64_t kLatest =
      std::chrono::duration_cast<std::chrono::seconds>(system_clock::duration::max()).count();
  constexpr std::int64_t kEarliest =
      std::chrono::duration_cast<std::chrono::seconds>(system_clock::duration::min()).count();
  if (seconds >= kLatest)
    return system_clock::time_point::max();
  if (seconds <= kEarliest)
    return system_clock::time_point::min();
  return system_clock::time_point(std::chrono::seconds(seconds));
}

std::string exec_info(const ExecConfig& exec, const std::string& server_url,
                      const std::string& ca_pem) {
  nlohmann::json info = {{"apiVersion", exec.api_version},
                         {"kind", "ExecCredential"},
                         {"spec", {{"interactive", false}}}};
  if (exec.provide_cluster_info) {
    nlohmann::json cluster = {{"server", server_url}};
    if (!ca_pem.empty()) {
      // certificate-authority-data is base64 of the PEM bytes.
      static constexpr char kAlphabet[] =
          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
      std::string encoded;
      std::size_t i = 0;
      for (; i + 2 < ca_pem.size(); i += 3) {
        const unsigned v = (static_cast<unsigned char>(ca_pem[i]) << 16) |
                           (static_cast<unsigned char>(ca_pem[i + 1]) << 8) |
                           static_cast<unsigned char>(ca_pem[i + 2]);
        encoded += kAlphabet[(v >> 18) & 63];
        encoded += kAlphabet[(v >> 12) & 63];
        encoded += kAlphabet[(v >> 6) & 63];
        encoded += kAlphabet[v & 63];
      }
      if (i < ca_pem.size()) {
        unsigned v = static_cast<unsigned char>(ca_pem[i]) << 16;
        if (i + 1 < ca_pem.size())
          v |= static_cast<unsigned char>(ca_pem[i + 1]) << 8;
        encoded += kAlphabet[(v >> 18) & 63];
        encoded += kAlphabet[(v >> 12) & 63];
        encoded += i + 1 < ca_pem.size() ? kAlphabet[(v >> 6) & 63] : '=';
        encoded += '=';
      }
      cluster["certificate-authority-data"] = encoded;
    }
    info["spec"]["cluster"] = cluster;
  }
  return info.dump();
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text) {
  int year = 0;
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  if (!parse_digits(text, 0, 4, year) || text.size() < 20 || text[4] != '-' ||
      !parse_digits(text, 5, 2, month) || text[7] != '-' || !parse_digits(text, 8, 2, day) ||
      (text[10] != 'T' && text[10] != 't') || !parse_digits(text, 11, 2, hour) || text[13] != ':' ||
      !parse_digits(text, 14, 2, minute) || text[16] != ':' || !parse_digits(text, 17, 2, second)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    const std::size_t digits_start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9')
      ++pos;
    if (pos == digits_start)
      return std::nullopt;
  }
  if (pos >= text.size())
    return std::nullopt;
  int offset_seconds = 0;
  if (text[pos] == 'Z' || text[pos] == 'z') {
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-') {
    int offset_hours = 0;
    int offset_minutes = 0;
    if (!parse_digits(text, pos + 1, 2, offset_hours) || pos + 3 >= text.size() ||
        text[pos + 3] != ':' || !parse_digits(text, pos + 4, 2, offset_minutes)) {
      return std::nullopt;
    }
    offset_seconds = (offset_hours * 3600 + offset_minutes * 60) * (text[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size())
    return std::nullopt;
  std::tm parts{};
  parts.tm_year = year - 1900;
  parts.tm_mon = month - 1;
  parts.tm_mday = day;
  parts.tm_hour = hour;
  parts.tm_min = minute;
  parts.tm_sec = second;
  const std::time_t utc = timegm(&parts);
  return saturating_time_point(static_cast<std::int64_t>(utc) - offset_seconds);
}

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

ExecResult run_command(const std::string& command, const std::vector<std::string>& args,
                       const std::vector<std::pair<std::string, std::string>>& extra_env,
                       std::chrono::milliseconds timeout) {
  ExecResult result;
  std::vector<std::string> env_storage;
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
      env_storage.emplace_back(var);
  }
  for (const auto& [name, value] : extra_env)
    env_storage.push_back(name + "=" + value);
  std::vector<char*> envp;
  envp.reserve(env_storage.size() + 1);
  for (auto& var : env_storage)
    envp.push_back(var.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_storage{command};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  argv.reserve(argv_storage.size() + 1);
  for (auto& arg : argv_storage)
    argv.push_back(arg.data());
  argv.push_back(nullptr);

  Pipe out;
  if (!out.ok()) {
    result.failure = "pipe: " + std::generic_category().message(errno);
    return result;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out.write_end(), STDOUT_FILENO);
  pid_t pid = 0;
  const int spawn_error =
      posix_spawnp(&pid, command.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  out.close_write();
  if (spawn_error != 0) {
    result.failure = "cannot start: " + std::generic_category().message(spawn_error);
    return result;
  }

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
    pollfd fd{out.read_end(), POLLIN, 0};
    const int ready = poll(&fd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR)
      continue;
    if (ready <= 0) {
      timed_out = ready == 0;
      break;
    }
    const ssize_t n = ::read(out.read_end(), buffer, sizeof(buffer));
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
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) {
    result.exit_status = WEXITSTATUS(status);
  } else if (result.failure.empty()) {
    result.failure = "killed by signal " + std::to_string(WTERMSIG(status));
  }
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
