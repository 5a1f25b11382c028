#include "hso/kube/credentials.hpp"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <system_error>

#include "hso/kube/errors.hpp"
#include "hso/kube/exec_credential.hpp"

namespace hso::kube {
namespace {

std::optional<std::string> read_token(const std::string& path, std::string& failure) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    failure = std::generic_category().message(errno);
    return std::nullopt;
  }
  std::ostringstream content;
  content << in.rdbuf();
  std::string token = content.str();
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) {
    token.pop_back();
  }
  if (token.empty()) {
    failure = "the file is empty";
    return std::nullopt;
  }
  return token;
}

}  // namespace

TokenFileCredentialProvider::TokenFileCredentialProvider(
    std::string path, std::shared_ptr<const ClientIdentity> identity, const Clock& clock,
    std::chrono::milliseconds reread_period)
    : path_(std::move(path)),
      identity_(std::move(identity)),
      clock_(clock),
      reread_period_(reread_period) {}

Credential TokenFileCredentialProvider::current() {
  MutexLock lock(mutex_);
  const auto now = clock_.now();
  if (stale_ || now - read_at_ >= reread_period_) {
    std::string failure;
    if (auto token = read_token(path_, failure)) {
      token_ = std::move(*token);
    } else if (token_.empty()) {
      throw TransportError("cannot read token file " + path_ + ": " + failure);
    } else {
      spdlog::warn("cannot re-read token file {}: {}; using the previous token", path_, failure);
    }
    stale_ = false;
    read_at_ = now;
  }
  return Credential{token_, identity_};
}

void TokenFileCredentialProvider::on_unauthorized() {
  MutexLock lock(mutex_);
  stale_ = true;
}

std::unique_ptr<CredentialProvider> make_credential_provider(const ClientConfig& config,
                                                             const CredentialOptions& options) {
  std::shared_ptr<const ClientIdentity> identity;
  if (!config.client_cert_pem.empty()) {
    identity =
        std::make_shared<const ClientIdentity>(config.client_cert_pem, config.client_key_pem,
                                               config.client_cert_source, config.client_key_source);
  }
  if (config.exec) {
    return std::make_unique<ExecCredentialProvider>(*config.exec, config.server_url(),
                                                    config.ca_pem, *options.clock);
  }
  if (!config.token_file.empty()) {
    return std::make_unique<TokenFileCredentialProvider>(
        config.token_file, identity, *options.clock, options.token_reread_period);
  }
  return std::make_unique<StaticCredentialProvider>(Credential{config.token, identity});
}

}  // namespace hso::kube
