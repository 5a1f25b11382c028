// A non-success answer of the API server (or of a proxy before it): HTTP code, body (usually a
// metav1.Status) and Retry-After header; and a metav1.Status on its own, as in a watch ERROR
// event. Input: two bytes of HTTP code, the Retry-After value, a NUL, then the body.
#include <chrono>

#include "fuzz_support.hpp"
#include "hso/kube/errors.hpp"
#include "hso/kube/status_error.hpp"

namespace {

void check_error(const hso::kube::ApiError& error) {
  FUZZ_CHECK(std::string_view(error.what()).rfind("API error ", 0) == 0);
  FUZZ_CHECK(error.status_message().size() <= 1024 + 3);
  if (const auto retry_after = error.retry_after()) {
    FUZZ_CHECK(retry_after->count() >= 0);
    // The client waits this long: it must convert to the clocks' resolution and add to now().
    const auto wake = std::chrono::steady_clock::now() +
                      std::chrono::duration_cast<std::chrono::steady_clock::duration>(*retry_after);
    FUZZ_CHECK(wake >= std::chrono::steady_clock::time_point{});
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2)
    return 0;
  const int code = 100 + (data[0] << 8 | data[1]) % 500;
  const std::string_view rest = hso::fuzz::as_text(data + 2, size - 2);
  const auto nul = rest.find('\0');
  const std::string_view retry_after = nul == std::string_view::npos ? "" : rest.substr(0, nul);
  const std::string_view body = nul == std::string_view::npos ? rest : rest.substr(nul + 1);

  const auto from_response = hso::kube::api_error_from_response(code, body, retry_after);
  FUZZ_CHECK(from_response.code() == code);
  check_error(from_response);

  const auto status = nlohmann::json::parse(body, nullptr, false);
  if (!status.is_discarded()) {
    const auto from_status = hso::kube::api_error_from_status(status, code);
    FUZZ_CHECK(from_status.code() >= 100 && from_status.code() <= 599);
    check_error(from_status);
  }
  return 0;
}
