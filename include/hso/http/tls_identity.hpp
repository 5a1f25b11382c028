#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <vector>

namespace httplib {
class Server;
}

namespace hso::http {

struct X509Deleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};

// A serving certificate and its private key, held in memory.
struct TlsIdentity {
  std::unique_ptr<X509, X509Deleter> certificate;
  std::unique_ptr<EVP_PKEY, PkeyDeleter> private_key;
};

// Reads PEM files; throws std::runtime_error naming the file on failure or if they do not match.
TlsIdentity load_tls_identity(const std::string& cert_file, const std::string& key_file);

// A fresh self-signed ECDSA P-256 certificate valid for one year, for the given DNS names and IP
// addresses (subjectAltName). Never touches the disk.
TlsIdentity make_self_signed_identity(const std::string& common_name,
                                      const std::vector<std::string>& dns_names,
                                      const std::vector<std::string>& ip_addresses);

// An httplib TLS server (TLS 1.2 or newer) serving `identity`. httplib keeps its own references
// to the certificate and key, so `identity` may be destroyed afterwards.
std::unique_ptr<httplib::Server> make_tls_server(const TlsIdentity& identity);

}  // namespace hso::http
