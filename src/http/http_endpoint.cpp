#include "hso/http/http_endpoint.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <cstddef>
#include <stdexcept>
#include <utility>

namespace hso::http {
namespace {

constexpr std::size_t kHandlerThreads = 2;

}  // namespace

HttpEndpoint::HttpEndpoint(std::string name, std::unique_ptr<httplib::Server> server)
    : name_(std::move(name)), server_(std::move(server)) {
  // Probes and scrapes are small and seconds apart: one request per connection, so an idle
  // kept-alive connection never delays stop(), and short timeouts for slow clients.
  server_->set_keep_alive_max_count(1);
  // Two handler threads rather than httplib's eight: a request here takes milliseconds, and each
  // idle thread's stack cost about 16 KiB of resident memory (12 threads less: 0.2 MiB of the
  // empty-cluster figure, BENCHMARKS.md, Session 7). A third request at once waits in the queue;
  // nothing is refused.
  server_->new_task_queue = [] { return new httplib::ThreadPool(kHandlerThreads); };
  server_->set_read_timeout(2, 0);
  server_->set_write_timeout(5, 0);
  server_->set_payload_max_length(std::size_t{64} * 1024);
  // httplib's default sets SO_REUSEPORT, which would let a second process silently share the
  // port; SO_REUSEADDR alone still allows a quick restart.
  server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
}

HttpEndpoint::~HttpEndpoint() {
  stop();
}

int HttpEndpoint::bind(const std::string& host, int port) {
  if (port == 0) {
    return server_->bind_to_any_port(host);
  }
  return server_->bind_to_port(host, port) ? port : -1;
}

int HttpEndpoint::start(const BindAddress& address) {
  if (!server_->is_valid()) {
    throw std::runtime_error(name_ + " server: TLS setup failed");
  }
  int bound = -1;
  if (address.host.empty()) {
    // "::" also accepts IPv4 on Linux (bindv6only=0); fall back where IPv6 is disabled.
    bound = bind("::", address.port);
    if (bound < 0) {
      bound = bind("0.0.0.0", address.port);
    }
  } else {
    bound = bind(address.host, address.port);
  }
  if (bound < 0) {
    throw std::runtime_error(name_ + " server: cannot listen on " +
                             (address.host.empty() ? std::string("*") : address.host) + ":" +
                             std::to_string(address.port));
  }
  port_ = bound;
  listener_done_ = false;
  thread_ = std::thread([this] {
    if (!server_->listen_after_bind()) {
      spdlog::error("{} server stopped unexpectedly", name_);
    }
    listener_done_ = true;
  });
  // httplib's stop() does nothing before the listen loop has started, so a stop() right after
  // start() would leave the thread listening forever: return only once the loop runs.
  while (!server_->is_running() && !listener_done_) {
    std::this_thread::yield();
  }
  spdlog::info("{} server listening on port {}", name_, port_);
  return port_;
}

void HttpEndpoint::stop() {
  if (thread_.joinable()) {
    server_->stop();
    thread_.join();
  }
}

}  // namespace hso::http
