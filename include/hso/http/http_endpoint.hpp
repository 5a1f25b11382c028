#pragma once

#include <httplib.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "hso/http/bind_address.hpp"

namespace hso::http {

// One listener: owns an httplib server (plain or TLS), binds it, serves on its own thread and
// stops promptly. Register routes on server() before start().
class HttpEndpoint {
 public:
  explicit HttpEndpoint(std::string name, std::unique_ptr<httplib::Server> server =
                                              std::make_unique<httplib::Server>());
  ~HttpEndpoint();
  HttpEndpoint(const HttpEndpoint&) = delete;
  HttpEndpoint& operator=(const HttpEndpoint&) = delete;

  httplib::Server& server() { return *server_; }

  // Binds (port 0 picks a free port) and starts serving. Returns the bound port. Throws
  // std::runtime_error if the address cannot be bound.
  int start(const BindAddress& address);
  void stop();

  int port() const { return port_; }
  const std::string& name() const { return name_; }

 private:
  int bind(const std::string& host, int port);

  std::string name_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::atomic<bool> listener_done_{false};
  int port_ = 0;
};

}  // namespace hso::http
