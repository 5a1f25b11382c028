#pragma once

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace hso::kube {

struct X509Deleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct EvpPkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct X509StoreDeleter {
  void operator()(X509_STORE* store) const { X509_STORE_free(store); }
};
using X509Ptr = std::unique_ptr<X509, X509Deleter>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyDeleter>;
using X509StorePtr = std::unique_ptr<X509_STORE, X509StoreDeleter>;

// All of these parse from memory (no temporary files) and throw ConfigError whose message starts
// with `what` (the file and field the bytes came from).
std::vector<X509Ptr> parse_certificates_pem(std::string_view pem, const std::string& what);
EvpPkeyPtr parse_private_key_pem(std::string_view pem, const std::string& what);
// Throws when the certificate is expired or not yet valid at `now`.
void check_certificate_validity(X509* cert, const std::string& what,
                                std::chrono::system_clock::time_point now);

// Trust anchors for verifying the API server. Every connection gets a store of its own, made from
// the same PEM: OpenSSL 3.0 is not safe with one X509_STORE shared by handshakes on several
// threads (a lookup writes a cached certificate field under the store's lock while another
// handshake reads it without the lock; ThreadSanitizer reports it, openssl/openssl#25202).
// Connections are pooled and long-lived, so the extra parse is rare and cheap.
class CaBundle {
 public:
  // Empty PEM: the system's default trust store. Throws ConfigError for unusable PEM, so that a
  // bad CA is reported when the configuration is loaded, not at the first connection.
  CaBundle(std::string_view pem, const std::string& what);
  // A new store holding certificates of its own (SSL_CTX_set_cert_store takes ownership).
  X509StorePtr new_store() const;

 private:
  std::string pem_;
  std::string what_;
};

// A client certificate and its private key, checked to belong together.
class ClientIdentity {
 public:
  ClientIdentity(std::string_view cert_pem, std::string_view key_pem, const std::string& cert_what,
                 const std::string& key_what,
                 std::chrono::system_clock::time_point now = std::chrono::system_clock::now());
  X509* certificate() const { return cert_.get(); }
  EVP_PKEY* key() const { return key_.get(); }
  std::chrono::system_clock::time_point not_after() const { return not_after_; }

 private:
  X509Ptr cert_;
  EvpPkeyPtr key_;
  std::chrono::system_clock::time_point not_after_;
};

// Makes `ctx` verify the server during the handshake: chain against `ca` only (not the system
// store unless `ca` is the system store), and the name (DNS or IP) against `expected_host`.
void require_server_verification(SSL_CTX* ctx, const CaBundle& ca,
                                 const std::string& expected_host);

}  // namespace hso::kube
