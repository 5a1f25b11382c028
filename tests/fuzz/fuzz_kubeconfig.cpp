// Kubeconfig loading: YAML from files the user points at, merged as kubectl merges them. The input
// is up to three files separated by a line "#~~file~~"; a first line "#~~context~~ NAME" asks for
// a context by name. The folder of the files also holds a CA certificate, a client certificate
// and key and a token file, so that relative references resolve to real material.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>

#include "fuzz_support.hpp"
#include "hso/kube/client_config.hpp"
#include "hso/kube/errors.hpp"

namespace {

namespace fs = std::filesystem;

// A self-signed P-256 certificate made for these tests (CN=fuzz) and its key: the same pair
// serves as the CA and as the client identity.
constexpr std::string_view kCertificatePem = R"(
-----BEGIN CERTIFICATE-----
MIIBdjCCARugAwIBAgIUYKCCKvD8EJiYEhoEMTW12SFdyw4wCgYIKoZIzj0EAwIw
DzENMAsGA1UEAwwEZnV6ejAgFw0yNjEyMDEyMjE2NDhaGA8yMTI2MTEwNzIyMTY0
OFowDzENMAsGA1UEAwwEZnV6ejBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABKBY
nfFw2Sq9v3rD3jRN6f4ZpZQwVK1JIEsW6ignmJ9akiVLt633bskZyLHXXFep5Wdt
3xOWQTkhm/6kHVFXxbejUzBRMB0GA1UdDgQWBBQ3XpiECzf3g4wX4czkDTawcHTG
HTAfBgNVHSMEGDAWgBQ3XpiECzf3g4wX4czkDTawcHTGHTAPBgNVHRMBAf8EBTAD
AQH/MAoGCCqGSM49BAMCA0kAMEYCIQCBg8MAZBSEsAzzQrJdsInOer7ZJ1F5sT3V
BGrh54/ghwIhAP+0q/XnDgAExNBcrQskF1MYu1U+r05c8S4N8QQpeSai
-----END CERTIFICATE-----
)";
constexpr std::string_view kKeyPem = R"(
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgC6gnKaLzTbZsaR4O
IPx0Ee2zt1GLK/DbTpxTkE2o/26hRANCAASgWJ3xcNkqvb96w940Ten+GaWUMFSt
SSBLFuooJ5ifWpIlS7et927JGcix11xXqeVnbd8TlkE5IZv+pB1RV8W3
-----END PRIVATE KEY-----
)";

// Plain write(2): a std::ofstream (its buffer, its locale) for each file of each input costs more
// than the write.
void write_file(const std::string& path, std::string_view content) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    std::abort();
  while (!content.empty()) {
    const ssize_t written = ::write(fd, content.data(), content.size());
    if (written <= 0)
      std::abort();
    content.remove_prefix(static_cast<std::size_t>(written));
  }
  ::close(fd);
}

const fs::path& work_dir() {
  static const fs::path dir = [] {
    // A file named /dev/stdin in the input must not wait for a terminal.
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) {
      ::dup2(null_fd, STDIN_FILENO);
      ::close(null_fd);
    }
    const fs::path base = fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    std::string pattern = (base / "hso-fuzz-kubeconfig.XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      std::abort();
    const fs::path made(pattern);
    write_file((made / "ca.crt").string(), kCertificatePem.substr(1));
    write_file((made / "client.crt").string(), kCertificatePem.substr(1));
    write_file((made / "client.key").string(), kKeyPem.substr(1));
    write_file((made / "token").string(), "fuzz-token\n");
    std::atexit([] { fs::remove_all(work_dir()); });
    return made;
  }();
  return dir;
}

void check_config(const hso::kube::ClientConfig& config) {
  FUZZ_CHECK(config.scheme == "https" || config.scheme == "http");
  FUZZ_CHECK(!config.host.empty());
  FUZZ_CHECK(config.port >= 1 && config.port <= 65535);
  FUZZ_CHECK(config.path_prefix.empty() || config.path_prefix.front() == '/');
  FUZZ_CHECK(config.path_prefix.empty() || config.path_prefix.back() != '/');
  FUZZ_CHECK(config.client_cert_pem.empty() == config.client_key_pem.empty());
  if (config.scheme == "http")
    FUZZ_CHECK(config.ca_pem.empty() && config.client_cert_pem.empty());
  if (config.exec) {
    FUZZ_CHECK(!config.exec->command.empty());
    FUZZ_CHECK(config.exec->api_version.rfind("client.authentication.k8s.io/", 0) == 0);
  }
  // The URL the client is made with parses back to the same place.
  const auto address = hso::kube::parse_server_url(config.server_url(), "server_url()");
  FUZZ_CHECK(address.host == config.host && address.port == config.port &&
             address.scheme == config.scheme && address.path_prefix == config.path_prefix);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = hso::fuzz::as_text(data, size);
  std::string context;
  constexpr std::string_view kContextLine = "#~~context~~ ";
  if (text.substr(0, kContextLine.size()) == kContextLine) {
    const auto end = text.find('\n');
    context = std::string(text.substr(kContextLine.size(), end - kContextLine.size()));
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
  }
  static const std::vector<std::string> kPaths = {(work_dir() / "config-0").string(),
                                                  (work_dir() / "config-1").string(),
                                                  (work_dir() / "config-2").string()};
  std::vector<std::string> files;
  for (std::string_view content : hso::fuzz::split(text, "\n#~~file~~\n")) {
    if (files.size() == kPaths.size())
      break;
    files.push_back(kPaths[files.size()]);
    write_file(files.back(), content);
  }
  try {
    check_config(hso::kube::load_kubeconfig(files, context, /*require_all=*/true));
  } catch (const hso::kube::ConfigError& error) {
    FUZZ_CHECK(std::string_view(error.what()).size() > 0);
  }
  return 0;
}
