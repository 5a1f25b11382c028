#include "hso/kube/tls.hpp"

#include <arpa/inet.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <climits>
#include <ctime>

#include "hso/kube/errors.hpp"

namespace hso::kube {
namespace {

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

std::string openssl_error() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0)
    return "no details";
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return text;
}

BioPtr memory_bio(std::string_view bytes, const std::string& what) {
  if (bytes.size() > static_cast<std::size_t>(INT_MAX))
    throw ConfigError(what + ": too large");
  BioPtr bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
  if (!bio)
    throw ConfigError(what + ": out of memory");
  return bio;
}

std::chrono::system_clock::time_point to_time_point(const ASN1_TIME* time) {
  struct tm parts {};
  if (ASN1_TIME_to_tm(time, &parts) != 1)
    return {};
  return std::chrono::system_clock::from_time_t(timegm(&parts));
}

}  // namespace

std::vector<X509Ptr> parse_certificates_pem(std::string_view pem, const std::string& what) {
  ERR_clear_error();
  BioPtr bio = memory_bio(pem, what);
  std::vector<X509Ptr> certs;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    certs.emplace_back(cert);
  }
  // Reading stops with "no start line" at the end of the data; anything else is a real error.
  const unsigned long last = ERR_peek_last_error();
  if (!certs.empty() && ERR_GET_REASON(last) == PEM_R_NO_START_LINE)
    ERR_clear_error();
  if (certs.empty()) {
    throw ConfigError(what + ": no PEM certificate found (" + openssl_error() + ")");
  }
  if (ERR_peek_error() != 0) {
    throw ConfigError(what + ": malformed PEM certificate (" + openssl_error() + ")");
  }
  return certs;
}

EvpPkeyPtr parse_private_key_pem(std::string_view pem, const std::string& what) {
  ERR_clear_error();
  BioPtr bio = memory_bio(pem, what);
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key)
    throw ConfigError(what + ": no usable PEM private key (" + openssl_error() + ")");
  return key;
}

void check_certificate_validity(X509* cert, const std::string& what,
                                std::chrono::system_clock::time_point now) {
  std::time_t now_t = std::chrono::system_clock::to_time_t(now);
  if (X509_cmp_time(X509_get0_notAfter(cert), &now_t) <= 0) {
    throw ConfigError(what + ": certificate has expired");
  }
  if (X509_cmp_time(X509_get0_notBefore(cert), &now_t) > 0) {
    throw ConfigError(what + ": certificate is not valid yet");
  }
}

CaBundle::CaBundle(std::string_view pem, const std::string& what) : pem_(pem), what_(what) {
  new_store();
}

X509StorePtr CaBundle::new_store() const {
  X509StorePtr store(X509_STORE_new());
  if (!store)
    throw ConfigError(what_ + ": out of memory");
  if (pem_.empty()) {
    X509_STORE_set_default_paths(store.get());
    return store;
  }
  for (auto& cert : parse_certificates_pem(pem_, what_)) {
    if (X509_STORE_add_cert(store.get(), cert.get()) != 1) {
      const unsigned long code = ERR_peek_last_error();
      if (ERR_GET_REASON(code) != X509_R_CERT_ALREADY_IN_HASH_TABLE) {
        throw ConfigError(what_ + ": cannot use CA certificate (" + openssl_error() + ")");
      }
      ERR_clear_error();
    }
  }
  return store;
}

ClientIdentity::ClientIdentity(std::string_view cert_pem, std::string_view key_pem,
                               const std::string& cert_what, const std::string& key_what,
                               std::chrono::system_clock::time_point now) {
  auto certs = parse_certificates_pem(cert_pem, cert_what);
  cert_ = std::move(certs.front());
  check_certificate_validity(cert_.get(), cert_what, now);
  key_ = parse_private_key_pem(key_pem, key_what);
  if (X509_check_private_key(cert_.get(), key_.get()) != 1) {
    ERR_clear_error();
    throw ConfigError(key_what + ": private key does not match the client certificate");
  }
  not_after_ = to_time_point(X509_get0_notAfter(cert_.get()));
}

void require_server_verification(SSL_CTX* ctx, const CaBundle& ca,
                                 const std::string& expected_host) {
  SSL_CTX_set_cert_store(ctx, ca.new_store().release());
  X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ctx);
  unsigned char address[16];
  const bool is_ip = inet_pton(AF_INET, expected_host.c_str(), address) == 1 ||
                     inet_pton(AF_INET6, expected_host.c_str(), address) == 1;
  if (is_ip) {
    X509_VERIFY_PARAM_set1_ip_asc(param, expected_host.c_str());
  } else {
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    X509_VERIFY_PARAM_set1_host(param, expected_host.c_str(), expected_host.size());
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
}

}  // namespace hso::kube
