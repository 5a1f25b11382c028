// What an exec credential plugin prints on stdout: a client.authentication.k8s.io ExecCredential.
#include <stdexcept>

#include "fuzz_support.hpp"
#include "hso/kube/exec_credential.hpp"
#include "hso/util/time_format.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view output = hso::fuzz::as_text(data, size);
  for (const char* api_version :
       {"client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"}) {
    try {
      const auto status = hso::kube::parse_exec_credential(output, api_version);
      FUZZ_CHECK(!status.token.empty() || !status.client_certificate_pem.empty());
      FUZZ_CHECK(status.client_certificate_pem.empty() == status.client_key_pem.empty());
    } catch (const std::runtime_error& error) {
      // The documented failure: a message saying what is wrong.
      FUZZ_CHECK(std::string_view(error.what()).size() > 0);
    }
  }
  // The expiry timestamp parser on its own, on the raw bytes.
  if (const auto time = hso::parse_rfc3339(output)) {
    FUZZ_CHECK(output.size() >= 20);
  }
  return 0;
}
