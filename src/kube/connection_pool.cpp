#include "hso/kube/connection_pool.hpp"

#include <httplib.h>
#include <netdb.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include "hso/kube/errors.hpp"

namespace hso::kube {
namespace {

// httplib connects to the name it verifies and sends as SNI; with tls-server-name that name is
// not the server's address, so the address is resolved here and mapped for httplib.
std::string numeric_address(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &result) != 0 || result == nullptr) {
    throw TransportError("cannot resolve " + host);
  }
  char text[NI_MAXHOST];
  const int rc = getnameinfo(result->ai_addr, result->ai_addrlen, text, sizeof(text), nullptr, 0,
                             NI_NUMERICHOST);
  freeaddrinfo(result);
  if (rc != 0)
    throw TransportError("cannot resolve " + host);
  return text;
}

}  // namespace

ConnectionPool::ConnectionPool(const ClientConfig& config, ConnectionSettings settings)
    : scheme_(config.scheme),
      host_(config.host),
      port_(config.port),
      verify_name_(config.tls_server_name.empty() ? config.host : config.tls_server_name),
      insecure_(config.insecure_skip_tls_verify),
      settings_(settings) {
  if (scheme_ == "https" && !insecure_) {
    ca_ = std::make_unique<CaBundle>(config.ca_pem, config.ca_source.empty()
                                                        ? config.origin + ": certificate-authority"
                                                        : config.ca_source);
  }
  if (insecure_) {
    spdlog::warn("{}: insecure-skip-tls-verify is set: the API server's certificate is not checked",
                 config.origin);
  }
}

ConnectionPool::~ConnectionPool() = default;

ConnectionPool::Connection ConnectionPool::make(const ClientIdentity* identity,
                                                std::chrono::milliseconds read_timeout) const {
  Connection connection;
  if (scheme_ == "https") {
    auto ssl = identity != nullptr
                   ? std::make_unique<httplib::SSLClient>(verify_name_, port_,
                                                          identity->certificate(), identity->key())
                   : std::make_unique<httplib::SSLClient>(verify_name_, port_);
    if (!ssl->is_valid())
      throw TransportError("cannot set up TLS for " + host_);
    if (verify_name_ != host_)
      ssl->set_hostname_addr_map({{verify_name_, numeric_address(host_)}});
    // httplib's own check would also trust the system store; OpenSSL verifies during the
    // handshake against the configured CA instead.
    ssl->enable_server_certificate_verification(false);
    if (!insecure_)
      require_server_verification(ssl->ssl_context(), *ca_, verify_name_);
    connection = std::move(ssl);
  } else {
    connection = std::make_unique<httplib::ClientImpl>(host_, port_);
  }
  connection->set_keep_alive(true);
  connection->set_tcp_nodelay(true);
  connection->set_follow_location(false);
  connection->set_url_encode(false);  // paths arrive encoded
  connection->set_connection_timeout(settings_.connect_timeout);
  connection->set_read_timeout(read_timeout);
  connection->set_write_timeout(settings_.io_timeout);
  return connection;
}

ConnectionPool::Connection ConnectionPool::checkout(
    const std::shared_ptr<const ClientIdentity>& identity) {
  {
    MutexLock lock(mutex_);
    if (idle_identity_ != identity) {
      idle_.clear();  // the client certificate changed: old connections authenticate as before
      idle_identity_ = identity;
    }
    if (!idle_.empty()) {
      Connection connection = std::move(idle_.back());
      idle_.pop_back();
      return connection;
    }
  }
  return make(identity.get(), settings_.io_timeout);
}

void ConnectionPool::checkin(Connection connection,
                             const std::shared_ptr<const ClientIdentity>& identity) {
  MutexLock lock(mutex_);
  if (identity != idle_identity_ || idle_.size() >= settings_.max_idle)
    return;
  idle_.push_back(std::move(connection));
}

ConnectionPool::Connection ConnectionPool::make_dedicated(
    const std::shared_ptr<const ClientIdentity>& identity,
    std::chrono::milliseconds read_timeout) const {
  Connection connection = make(identity.get(), read_timeout);
  connection->set_keep_alive(false);
  return connection;
}

std::size_t ConnectionPool::idle_count() const {
  MutexLock lock(mutex_);
  return idle_.size();
}

}  // namespace hso::kube
