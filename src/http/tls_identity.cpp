#include "hso/http/tls_identity.hpp"

#include <httplib.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <stdexcept>

namespace hso::http {
namespace {

struct FileCloser {
  // The files are only read: a failing close loses nothing.
  void operator()(std::FILE* file) const { static_cast<void>(std::fclose(file)); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

File open_file(const std::string& path) {
  File file(std::fopen(path.c_str(), "r"));
  if (!file) {
    throw std::runtime_error("cannot open " + path);
  }
  return file;
}

void check(bool ok, const char* what) {
  if (!ok) {
    throw std::runtime_error(std::string("self-signed certificate: ") + what + " failed");
  }
}

void add_extension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
  check(extension != nullptr, "building an extension");
  const int added = X509_add_ext(cert, extension, -1);
  X509_EXTENSION_free(extension);
  check(added == 1, "adding an extension");
}

}  // namespace

TlsIdentity load_tls_identity(const std::string& cert_file, const std::string& key_file) {
  TlsIdentity identity;
  identity.certificate.reset(PEM_read_X509(open_file(cert_file).get(), nullptr, nullptr, nullptr));
  if (!identity.certificate) {
    throw std::runtime_error(cert_file + ": not a PEM certificate");
  }
  identity.private_key.reset(
      PEM_read_PrivateKey(open_file(key_file).get(), nullptr, nullptr, nullptr));
  if (!identity.private_key) {
    throw std::runtime_error(key_file + ": not a PEM private key");
  }
  if (X509_check_private_key(identity.certificate.get(), identity.private_key.get()) != 1) {
    throw std::runtime_error(key_file + " does not match " + cert_file);
  }
  return identity;
}

TlsIdentity make_self_signed_identity(const std::string& common_name,
                                      const std::vector<std::string>& dns_names,
                                      const std::vector<std::string>& ip_addresses) {
  TlsIdentity identity;
  identity.private_key.reset(EVP_EC_gen("P-256"));
  check(identity.private_key != nullptr, "generating a key");
  identity.certificate.reset(X509_new());
  X509* cert = identity.certificate.get();
  check(cert != nullptr, "X509_new");
  check(X509_set_version(cert, 2) == 1, "setting the version");

  unsigned char serial_bytes[16];
  check(RAND_bytes(serial_bytes, sizeof serial_bytes) == 1, "drawing a serial number");
  serial_bytes[0] &= 0x7f;  // positive
  BIGNUM* serial = BN_bin2bn(serial_bytes, sizeof serial_bytes, nullptr);
  check(serial != nullptr && BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert)) != nullptr,
        "setting the serial number");
  BN_free(serial);

  check(X509_gmtime_adj(X509_getm_notBefore(cert), -60L * 60) != nullptr, "setting notBefore");
  check(X509_gmtime_adj(X509_getm_notAfter(cert), 365L * 24 * 60 * 60) != nullptr,
        "setting notAfter");
  X509_NAME* name = X509_get_subject_name(cert);
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                   -1, 0) == 1,
        "setting the subject");
  check(X509_set_issuer_name(cert, name) == 1, "setting the issuer");
  check(X509_set_pubkey(cert, identity.private_key.get()) == 1, "setting the public key");

  std::string alt_names;
  const auto append_name = [&alt_names](std::string_view kind, const std::string& value) {
    if (!alt_names.empty())
      alt_names += ',';
    alt_names += kind;
    alt_names += value;
  };
  for (const auto& dns : dns_names)
    append_name("DNS:", dns);
  for (const auto& ip : ip_addresses)
    append_name("IP:", ip);
  if (!alt_names.empty()) {
    add_extension(cert, NID_subject_alt_name, alt_names);
  }
  add_extension(cert, NID_basic_constraints, "critical,CA:FALSE");
  add_extension(cert, NID_ext_key_usage, "serverAuth");
  check(X509_sign(cert, identity.private_key.get(), EVP_sha256()) > 0, "signing");
  return identity;
}

std::unique_ptr<httplib::Server> make_tls_server(const TlsIdentity& identity) {
  X509* cert = identity.certificate.get();
  EVP_PKEY* key = identity.private_key.get();
  return std::make_unique<httplib::SSLServer>([cert, key](SSL_CTX& context) {
    // SSL_CTX_use_* take their own references.
    return SSL_CTX_set_min_proto_version(&context, TLS1_2_VERSION) == 1 &&
           SSL_CTX_use_certificate(&context, cert) == 1 &&
           SSL_CTX_use_PrivateKey(&context, key) == 1 && SSL_CTX_check_private_key(&context) == 1;
  });
}

}  // namespace hso::http
