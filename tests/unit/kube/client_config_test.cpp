#include "hso/kube/client_config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>

#include "hso/kube/errors.hpp"
#include "hso/kube/tls.hpp"
#include "hso/util/base64.hpp"

namespace hso::kube {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

struct TestCertificate {
  std::string cert_pem;
  std::string key_pem;
};

std::string bio_to_string(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

// A self-signed EC certificate valid from now + `from` to now + `to` (seconds).
TestCertificate make_certificate(long from = -3600, long to = 3600 * 24 * 365) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), from);
  X509_gmtime_adj(X509_getm_notAfter(cert), to);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("test"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_sign(cert, key, EVP_sha256());
  BIO* cert_bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(cert_bio, cert);
  BIO* key_bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(key_bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  TestCertificate result{bio_to_string(cert_bio), bio_to_string(key_bio)};
  BIO_free(cert_bio);
  BIO_free(key_bio);
  X509_free(cert);
  EVP_PKEY_free(key);
  return result;
}

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

class KubeconfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("hso-kubeconfig-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& content) {
    const fs::path path = dir_ / name;
    std::ofstream(path, std::ios::binary) << content;
    return path.string();
  }

  std::string error_of(const std::vector<std::string>& files, const std::string& context = "") {
    try {
      load_kubeconfig(files, context, true);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "(no error)";
  }

  fs::path dir_;
};

const TestCertificate& valid_certificate() {
  static const TestCertificate cert = make_certificate();
  return cert;
}

std::string full_config() {
  const auto& cert = valid_certificate();
  return "apiVersion: v1\nkind: Config\ncurrent-context: dev\n"
         "clusters:\n"
         "- name: local\n"
         "  cluster:\n"
         "    server: https://127.0.0.1:6443\n"
         "    certificate-authority-data: " +
         base64(cert.cert_pem) +
         "\n"
         "    tls-server-name: kubernetes.default\n"
         "- name: v6\n"
         "  cluster:\n"
         "    server: https://[fd00::1]:8443/prefix/\n"
         "    insecure-skip-tls-verify: true\n"
         "users:\n"
         "- name: admin\n"
         "  user:\n"
         "    client-certificate-data: " +
         base64(cert.cert_pem) +
         "\n"
         "    client-key-data: " +
         base64(cert.key_pem) +
         "\n"
         "- name: bot\n"
         "  user:\n"
         "    token: abc.def\n"
         "contexts:\n"
         "- name: dev\n"
         "  context: {cluster: local, user: admin, namespace: team}\n"
         "- name: six\n"
         "  context: {cluster: v6, user: bot}\n";
}

TEST_F(KubeconfigTest, CurrentContextWithInlineCertificates) {
  const std::string path = write("config", full_config());
  const ClientConfig config = load_kubeconfig({path}, "", true);
  EXPECT_EQ(config.scheme, "https");
  EXPECT_EQ(config.host, "127.0.0.1");
  EXPECT_EQ(config.port, 6443);
  EXPECT_EQ(config.tls_server_name, "kubernetes.default");
  EXPECT_EQ(config.ca_pem, valid_certificate().cert_pem);
  EXPECT_EQ(config.client_cert_pem, valid_certificate().cert_pem);
  EXPECT_EQ(config.client_key_pem, valid_certificate().key_pem);
  EXPECT_EQ(config.default_namespace, "team");
  EXPECT_FALSE(config.insecure_skip_tls_verify);
  EXPECT_TRUE(config.token.empty());
}

TEST_F(KubeconfigTest, ExplicitContextIpv6AndPathPrefix) {
  const std::string path = write("config", full_config());
  const ClientConfig config = load_kubeconfig({path}, "six", true);
  EXPECT_EQ(config.host, "fd00::1");
  EXPECT_EQ(config.port, 8443);
  EXPECT_EQ(config.path_prefix, "/prefix");
  EXPECT_EQ(config.server_url(), "https://[fd00::1]:8443/prefix");
  EXPECT_TRUE(config.insecure_skip_tls_verify);
  EXPECT_EQ(config.token, "abc.def");
}

TEST_F(KubeconfigTest, FilesRelativeToTheKubeconfig) {
  const auto& cert = valid_certificate();
  fs::create_directories(dir_ / "pki");
  write("pki/ca.crt", cert.cert_pem);
  write("pki/client.crt", cert.cert_pem);
  write("pki/client.key", cert.key_pem);
  write("token", "from-file\n");
  const std::string path = write(
      "config",
      "current-context: c\n"
      "clusters: [{name: k, cluster: {server: 'https://example.test', certificate-authority: "
      "pki/ca.crt}}]\n"
      "users: [{name: u, user: {client-certificate: pki/client.crt, client-key: pki/client.key, "
      "tokenFile: token}}]\n"
      "contexts: [{name: c, context: {cluster: k, user: u}}]\n");
  const ClientConfig config = load_kubeconfig({path}, "", true);
  EXPECT_EQ(config.port, 443);
  EXPECT_EQ(config.ca_pem, cert.cert_pem);
  EXPECT_EQ(config.client_key_pem, cert.key_pem);
  EXPECT_EQ(config.token_file, (dir_ / "token").string());
}

TEST_F(KubeconfigTest, MergesListFirstDefinitionWins) {
  const std::string first = write("first",
                                  "current-context: a\n"
                                  "clusters: [{name: k, cluster: {server: 'http://127.0.0.1:1'}}]\n"
                                  "contexts: [{name: a, context: {cluster: k}}]\n");
  const std::string second = write("second",
                                   "current-context: b\n"
                                   "clusters: [{name: k, cluster: {server: 'http://127.0.0.1:2'}}, "
                                   "{name: other, cluster: {server: 'http://127.0.0.1:3'}}]\n"
                                   "users: [{name: u, user: {token: t2}}]\n"
                                   "contexts: [{name: b, context: {cluster: other, user: u}}]\n");
  ClientConfig config = load_kubeconfig({first, second}, "", false);
  EXPECT_EQ(config.port, 1);  // current-context from the first file, cluster k from the first
  config = load_kubeconfig({first, dir_.string() + "/missing", second}, "b", false);
  EXPECT_EQ(config.port, 3);
  EXPECT_EQ(config.token, "t2");
}

TEST_F(KubeconfigTest, ExecPlugin) {
  const std::string path = write(
      "config",
      "current-context: c\n"
      "clusters: [{name: k, cluster: {server: 'https://h:1', insecure-skip-tls-verify: true}}]\n"
      "users:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
      "      command: ./bin/get-token\n      args: [--audience, api]\n"
      "      env: [{name: MODE, value: test}]\n      provideClusterInfo: true\n"
      "      interactiveMode: Never\n"
      "contexts: [{name: c, context: {cluster: k, user: u}}]\n");
  const ClientConfig config = load_kubeconfig({path}, "", true);
  ASSERT_TRUE(config.exec);
  EXPECT_EQ(config.exec->command, (dir_ / "bin/get-token").string());
  EXPECT_EQ(config.exec->args, (std::vector<std::string>{"--audience", "api"}));
  ASSERT_EQ(config.exec->env.size(), 1u);
  EXPECT_EQ(config.exec->env[0].second, "test");
  EXPECT_TRUE(config.exec->provide_cluster_info);
}

TEST_F(KubeconfigTest, ErrorsNameTheFileAndTheField) {
  struct Case {
    std::string content;
    std::string context;
    std::string expected;
  };
  const std::string cluster = "clusters: [{name: k, cluster: {server: 'https://h:1'}}]\n";
  const std::string context = "contexts: [{name: c, context: {cluster: k, user: u}}]\n";
  const std::vector<Case> cases = {
      {"current-context: [\n", "", "not a valid kubeconfig: line"},
      {"- a\n- b\n", "", "must be a mapping"},
      {cluster + context + "users: [{name: u}]\n", "", "current-context: not set"},
      {cluster + context + "users: [{name: u}]\n", "nope", "no context named \"nope\""},
      {"current-context: c\n" + context + "users: [{name: u}]\n", "", "no cluster named \"k\""},
      {"current-context: c\n" + cluster + context, "", "no user named \"u\""},
      {"current-context: c\nclusters: [{name: k, cluster: {}}]\n" + context +
           "users: [{name: u}]\n",
       "", "clusters[0] \"k\".cluster.server: missing"},
      {"current-context: c\nclusters: [{name: k, cluster: {server: 'ftp://h'}}]\n" + context +
           "users: [{name: u}]\n",
       "", "unsupported scheme"},
      {"current-context: c\nclusters: [{name: k, cluster: {server: 'https://h:99999'}}]\n" +
           context + "users: [{name: u}]\n",
       "", "invalid port"},
      {"current-context: c\n" + cluster + context +
           "users: [{name: u, user: {client-certificate-data: '***'}}]\n",
       "", "users[0] \"u\".user.client-certificate-data: not valid base64"},
      {"current-context: c\n" + cluster + context + "users: [{name: u, user: {client-key-data: " +
           base64(valid_certificate().key_pem) + "}}]\n",
       "", "client-certificate: missing"},
      {"current-context: c\n" + cluster + context +
           "users: [{name: u, user: {client-certificate-data: " + base64("not pem") +
           ", client-key-data: " + base64("not pem") + "}}]\n",
       "", "client-certificate-data: no PEM certificate"},
      {"current-context: c\n" + cluster + context +
           "users: [{name: u, user: {client-certificate: /nonexistent/cert, client-key: "
           "/nonexistent/key}}]\n",
       "", "client-certificate: cannot read /nonexistent/cert"},
      {"current-context: c\n" + cluster + context +
           "users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1alpha1, "
           "command: x}}}]\n",
       "", "exec.apiVersion: unsupported"},
      {"current-context: c\n" + cluster + context +
           "users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1}}}]\n",
       "", "exec.command: missing"},
      {"current-context: c\n" + cluster + context +
           "users: [{name: u, user: {auth-provider: {name: gcp}}}]\n",
       "", "auth-provider: not supported"},
      {"current-context: c\nclusters: [{name: k, cluster: {server: 'https://h:1', "
       "insecure-skip-tls-verify: maybe}}]\n" +
           context + "users: [{name: u}]\n",
       "", "insecure-skip-tls-verify: must be true or false"},
      {"current-context: c\nclusters: [{name: k, cluster: {server: 'https://h:1', "
       "insecure-skip-tls-verify: true, certificate-authority-data: " +
           base64(valid_certificate().cert_pem) + "}}]\n" + context + "users: [{name: u}]\n",
       "", "insecure-skip-tls-verify cannot be combined"},
      {"current-context: c\nclusters: {k: 1}\n", "", "clusters: must be a list"},
      {"current-context: c\nclusters: [{cluster: {server: x}}]\n", "", "clusters[0].name: missing"},
      {"current-context: {a: b}\n", "", "current-context: must be a string"},
  };
  int index = 0;
  for (const Case& c : cases) {
    const std::string path = write("config" + std::to_string(index++), c.content);
    const std::string error = error_of({path}, c.context);
    EXPECT_THAT(error, HasSubstr(path)) << c.content;
    EXPECT_THAT(error, HasSubstr(c.expected)) << c.content;
  }
}

TEST_F(KubeconfigTest, ExpiredClientCertificateIsAnError) {
  const TestCertificate expired = make_certificate(-7200, -3600);
  const std::string path = write(
      "config",
      "current-context: c\nclusters: [{name: k, cluster: {server: 'https://h:1'}}]\n"
      "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
      "users: [{name: u, user: {client-certificate-data: " +
          base64(expired.cert_pem) + ", client-key-data: " + base64(expired.key_pem) + "}}]\n");
  const std::string error = error_of({path});
  EXPECT_THAT(error, HasSubstr(path));
  EXPECT_THAT(error, HasSubstr("client-certificate-data: certificate has expired"));
}

TEST_F(KubeconfigTest, KeyThatDoesNotMatchTheCertificate) {
  const TestCertificate a = make_certificate();
  const TestCertificate b = make_certificate();
  const std::string path =
      write("config",
            "current-context: c\nclusters: [{name: k, cluster: {server: 'https://h:1'}}]\n"
            "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
            "users: [{name: u, user: {client-certificate-data: " +
                base64(a.cert_pem) + ", client-key-data: " + base64(b.key_pem) + "}}]\n");
  EXPECT_THAT(error_of({path}), HasSubstr("client-key-data: private key does not match"));
}

TEST_F(KubeconfigTest, HostileFilesGiveErrorsNotCrashes) {
  std::vector<std::string> hostile = {
      std::string(100000, '['),
      std::string(100000, '{'),
      "a: &a [*a, *a]\n",
      "clusters: &c [{name: k, cluster: *c}]\ncurrent-context: c\n"
      "contexts: [{name: c, context: {cluster: k}}]\n",
      std::string("\0\x01\x02\xff\xfe", 5),
      "current-context: c\ncontexts: [{name: c, context: {cluster: [1, 2]}}]\n",
      "current-context: c\nclusters: [{name: [x], cluster: {}}]\n",
      "%YAML 9.9\n---\n",
      "users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: c, "
      "env: [{value: x}]}}}]\ncurrent-context: c\n"
      "clusters: [{name: k, cluster: {server: 'https://h'}}]\n"
      "contexts: [{name: c, context: {cluster: k, user: u}}]\n",
  };
  int index = 0;
  for (const std::string& content : hostile) {
    const std::string path = write("hostile" + std::to_string(index++), content);
    EXPECT_THAT(error_of({path}), HasSubstr(path)) << index;
  }
}

TEST_F(KubeconfigTest, UnreadableOrMissingFile) {
  EXPECT_THAT(error_of({(dir_ / "absent").string()}), HasSubstr((dir_ / "absent").string()));
  EXPECT_THAT(error_of({dir_.string()}), HasSubstr("is a directory"));
  EXPECT_THROW(load_kubeconfig({(dir_ / "absent").string()}, "", false), ConfigError);
}

TEST_F(KubeconfigTest, EmptyFileHasNoContext) {
  const std::string path = write("empty", "");
  EXPECT_THAT(error_of({path}), HasSubstr("current-context: not set"));
}

class FakeEnv {
 public:
  std::map<std::string, std::string> vars;
  EnvLookup lookup() {
    return [this](const char* name) -> std::optional<std::string> {
      auto it = vars.find(name);
      if (it == vars.end())
        return std::nullopt;
      return it->second;
    };
  }
};

TEST_F(KubeconfigTest, LoadingPrecedence) {
  const auto& cert = valid_certificate();
  const std::string explicit_file =
      write("explicit",
            "current-context: c\nclusters: [{name: k, cluster: {server: "
            "'http://127.0.0.1:1'}}]\ncontexts: [{name: c, context: {cluster: k}}, "
            "{name: other, context: {cluster: k2}}]\n"
            "- bad\n");
  const std::string listed_a =
      write("a",
            "clusters: [{name: k, cluster: {server: 'http://127.0.0.1:2'}}]\n"
            "contexts: [{name: c, context: {cluster: k}}]\n");
  const std::string listed_b = write("b", "current-context: c\n");
  fs::create_directories(dir_ / "home/.kube");
  write("home/.kube/config",
        "current-context: c\nclusters: [{name: k, cluster: {server: 'http://127.0.0.1:3'}}]\n"
        "contexts: [{name: c, context: {cluster: k}}, {name: d, context: {cluster: k}}]\n");
  fs::create_directories(dir_ / "sa");
  write("sa/token", "sa-token\n");
  write("sa/ca.crt", cert.cert_pem);
  write("sa/namespace", "operators\n");
  const InClusterPaths sa{(dir_ / "sa/token").string(), (dir_ / "sa/ca.crt").string(),
                          (dir_ / "sa/namespace").string()};

  FakeEnv env;
  env.vars["HOME"] = (dir_ / "home").string();
  env.vars["KUBERNETES_SERVICE_HOST"] = "fd00::10";
  env.vars["KUBERNETES_SERVICE_PORT"] = "443";

  // In-cluster: no flag, no KUBECONFIG, no context.
  ClientConfig config = load_client_config("", "", env.lookup(), sa);
  EXPECT_EQ(config.origin, "in-cluster");
  EXPECT_EQ(config.server_url(), "https://[fd00::10]:443");
  EXPECT_EQ(config.token_file, sa.token_file);
  EXPECT_EQ(config.default_namespace, "operators");
  EXPECT_EQ(config.ca_pem, cert.cert_pem);

  // A context means a kubeconfig (the original operator's KUBERNETES_CONTEXT semantics).
  config = load_client_config("", "d", env.lookup(), sa);
  EXPECT_EQ(config.port, 3);

  // KUBECONFIG beats in-cluster, and is a merged list.
  env.vars["KUBECONFIG"] = listed_a + "::" + listed_b;
  config = load_client_config("", "", env.lookup(), sa);
  EXPECT_EQ(config.port, 2);

  // --kubeconfig beats everything, and must be valid.
  EXPECT_THROW(load_client_config(explicit_file, "", env.lookup(), sa), ConfigError);
  EXPECT_THROW(load_client_config((dir_ / "absent").string(), "", env.lookup(), sa), ConfigError);

  // No KUBECONFIG, no in-cluster: ~/.kube/config.
  env.vars.erase("KUBECONFIG");
  env.vars.erase("KUBERNETES_SERVICE_HOST");
  config = load_client_config("", "", env.lookup(), sa);
  EXPECT_EQ(config.port, 3);
}

TEST_F(KubeconfigTest, InClusterErrors) {
  FakeEnv env;
  EXPECT_THROW(load_in_cluster_config(env.lookup(), {}), ConfigError);
  env.vars["KUBERNETES_SERVICE_HOST"] = "10.0.0.1";
  env.vars["KUBERNETES_SERVICE_PORT"] = "443";
  const InClusterPaths missing{(dir_ / "t").string(), (dir_ / "c").string(), (dir_ / "n").string()};
  try {
    load_in_cluster_config(env.lookup(), missing);
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr((dir_ / "t").string()));
  }
}

TEST(ServerUrl, Forms) {
  EXPECT_EQ(parse_server_url("https://h", "s").port, 443);
  EXPECT_EQ(parse_server_url("http://h", "s").port, 80);
  EXPECT_EQ(parse_server_url("h:6443", "s").scheme, "https");
  EXPECT_EQ(parse_server_url("https://[::1]", "s").host, "::1");
  EXPECT_THROW(parse_server_url("https://::1:443", "s"), ConfigError);
  EXPECT_THROW(parse_server_url("https://[::1", "s"), ConfigError);
  EXPECT_THROW(parse_server_url("https://user@h", "s"), ConfigError);
  EXPECT_THROW(parse_server_url("https://:80", "s"), ConfigError);
  EXPECT_THROW(parse_server_url("https://h:0", "s"), ConfigError);
  EXPECT_THROW(parse_server_url("https://h:1x", "s"), ConfigError);
  EXPECT_EQ(bracket_host("::1"), "[::1]");
  EXPECT_EQ(bracket_host("10.0.0.1"), "10.0.0.1");
}

TEST(Base64, DecodesAndRejects) {
  EXPECT_EQ(decode_base64("aGVsbG8="), "hello");
  EXPECT_EQ(decode_base64("aGVsbG8"), "hello");
  EXPECT_EQ(decode_base64("aGVs\nbG8=\n"), "hello");
  EXPECT_EQ(decode_base64(""), "");
  EXPECT_FALSE(decode_base64("a"));
  EXPECT_FALSE(decode_base64("aGVsbG8=x"));
  EXPECT_FALSE(decode_base64("aGV*"));
  EXPECT_FALSE(decode_base64("aG==="));
}

TEST(Tls, ParsesBundlesAndRejectsGarbage) {
  const TestCertificate a = make_certificate();
  const TestCertificate b = make_certificate();
  EXPECT_EQ(parse_certificates_pem(a.cert_pem + b.cert_pem, "ca").size(), 2u);
  EXPECT_NO_THROW(CaBundle(a.cert_pem + b.cert_pem, "ca"));
  EXPECT_NO_THROW(CaBundle("", "system"));
  EXPECT_THROW(parse_certificates_pem("", "ca"), ConfigError);
  EXPECT_THROW(parse_certificates_pem(
                   "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "ca"),
               ConfigError);
  EXPECT_THROW(parse_private_key_pem(a.cert_pem, "key"), ConfigError);
  EXPECT_NO_THROW(ClientIdentity(a.cert_pem, a.key_pem, "cert", "key"));
  const TestCertificate future = make_certificate(3600, 7200);
  EXPECT_THROW(ClientIdentity(future.cert_pem, future.key_pem, "cert", "key"), ConfigError);
}

// OpenSSL 3.0 races when handshakes on two threads share one X509_STORE (TESTING.md, "Data
// races"), so no two connections may share a store, nor the certificates in it.
TEST(Tls, EveryConnectionVerifiesWithAStoreOfItsOwn) {
  const TestCertificate ca = make_certificate();
  const CaBundle bundle(ca.cert_pem, "ca");
  struct CtxDeleter {
    void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
  };
  const std::unique_ptr<SSL_CTX, CtxDeleter> first(SSL_CTX_new(TLS_client_method()));
  const std::unique_ptr<SSL_CTX, CtxDeleter> second(SSL_CTX_new(TLS_client_method()));
  ASSERT_TRUE(first && second);
  require_server_verification(first.get(), bundle, "server.example");
  require_server_verification(second.get(), bundle, "server.example");

  X509_STORE* first_store = SSL_CTX_get_cert_store(first.get());
  X509_STORE* second_store = SSL_CTX_get_cert_store(second.get());
  ASSERT_NE(first_store, second_store);
  STACK_OF(X509_OBJECT)* first_objects = X509_STORE_get0_objects(first_store);
  STACK_OF(X509_OBJECT)* second_objects = X509_STORE_get0_objects(second_store);
  ASSERT_EQ(sk_X509_OBJECT_num(first_objects), 1);
  ASSERT_EQ(sk_X509_OBJECT_num(second_objects), 1);
  X509* first_cert = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(first_objects, 0));
  X509* second_cert = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(second_objects, 0));
  ASSERT_NE(first_cert, nullptr);
  EXPECT_NE(first_cert, second_cert);
  EXPECT_EQ(X509_cmp(first_cert, second_cert), 0) << "the same CA in both";
}

}  // namespace
}  // namespace hso::kube
