#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "hso/kube/client_config.hpp"
#include "hso/kube/tls.hpp"
#include "hso/util/clock.hpp"
#include "hso/util/mutex.hpp"

namespace hso::kube {

// What a request authenticates with: a bearer token, a client certificate, or both.
struct Credential {
  std::string bearer_token;
  std::shared_ptr<const ClientIdentity> identity;  // null: no client certificate
};

class CredentialProvider {
 public:
  virtual ~CredentialProvider() = default;
  // May block (an exec plugin runs). Throws TransportError when no credential can be had.
  virtual Credential current() = 0;
  // The API server answered 401: the next current() must not reuse what was cached.
  virtual void on_unauthorized() = 0;
};

class StaticCredentialProvider final : public CredentialProvider {
 public:
  explicit StaticCredentialProvider(Credential credential) : credential_(std::move(credential)) {}
  Credential current() override { return credential_; }
  void on_unauthorized() override {}

 private:
  Credential credential_;
};

// A bearer token read from a file and re-read every `reread_period` (bound service-account
// tokens rotate) and after a 401. A read failure keeps the last good token.
class TokenFileCredentialProvider final : public CredentialProvider {
 public:
  TokenFileCredentialProvider(std::string path, std::shared_ptr<const ClientIdentity> identity,
                              const Clock& clock = SystemClock::instance(),
                              std::chrono::milliseconds reread_period = std::chrono::minutes(1));
  Credential current() override;
  void on_unauthorized() override;

 private:
  const std::string path_;
  const std::shared_ptr<const ClientIdentity> identity_;
  const Clock& clock_;
  const std::chrono::milliseconds reread_period_;
  Mutex mutex_;
  std::string token_ HSO_GUARDED_BY(mutex_);
  bool stale_ HSO_GUARDED_BY(mutex_) = true;
  Clock::TimePoint read_at_ HSO_GUARDED_BY(mutex_){};
};

struct CredentialOptions {
  const Clock* clock = &SystemClock::instance();
  std::chrono::milliseconds token_reread_period = std::chrono::minutes(1);
};

// The provider the configuration asks for: exec plugin, token file, token, or certificate only.
std::unique_ptr<CredentialProvider> make_credential_provider(const ClientConfig& config,
                                                             const CredentialOptions& options = {});

}  // namespace hso::kube
