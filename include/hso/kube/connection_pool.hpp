#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "hso/kube/client_config.hpp"
#include "hso/kube/tls.hpp"
#include "hso/util/mutex.hpp"

namespace httplib {
class ClientImpl;
}

namespace hso::kube {

struct ConnectionSettings {
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds io_timeout{30'000};  // each read and write
  std::size_t max_idle = 8;
};

// Keep-alive connections to one API server. An httplib client runs one request at a time, so a
// request checks one out and returns it when the answer was read completely; a connection that
// failed is dropped. Connections are tied to the client certificate they were made with.
class ConnectionPool {
 public:
  using Connection = std::unique_ptr<httplib::ClientImpl>;

  ConnectionPool(const ClientConfig& config, ConnectionSettings settings);
  ~ConnectionPool();

  Connection checkout(const std::shared_ptr<const ClientIdentity>& identity);
  void checkin(Connection connection, const std::shared_ptr<const ClientIdentity>& identity);
  // A connection of its own that never joins the pool (watches).
  Connection make_dedicated(const std::shared_ptr<const ClientIdentity>& identity,
                            std::chrono::milliseconds read_timeout) const;

  std::size_t idle_count() const;

 private:
  Connection make(const ClientIdentity* identity, std::chrono::milliseconds read_timeout) const;

  const std::string scheme_;
  const std::string host_;
  const int port_;
  const std::string verify_name_;  // tls-server-name, else the host
  const bool insecure_;
  const ConnectionSettings settings_;
  std::unique_ptr<CaBundle> ca_;
  mutable Mutex mutex_;
  std::vector<Connection> idle_ HSO_GUARDED_BY(mutex_);
  std::shared_ptr<const ClientIdentity> idle_identity_ HSO_GUARDED_BY(mutex_);
};

}  // namespace hso::kube
