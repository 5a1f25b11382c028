// The Authorization header of a scrape of the secure /metrics, and the TokenReview and
// SubjectAccessReview answers the authorizer reads. Input: the header value, a line "--", the
// TokenReview the API server answers, a line "--", the SubjectAccessReview it answers. An answer
// that is not JSON stands for a failed request.
#include <spdlog/spdlog.h>

#include <stdexcept>

#include "fuzz_support.hpp"
#include "hso/http/scrape_authorizer.hpp"
#include "hso/kube/api_client.hpp"
#include "hso/util/clock.hpp"

namespace {

using hso::http::ScrapeDecision;

// Answers the two reviews from the input; the authorizer asks for nothing else.
class ReviewingApiClient final : public hso::kube::ApiClient {
 public:
  ReviewingApiClient(std::string_view token_review, std::string_view access_review)
      : token_review_(token_review), access_review_(access_review) {}

  nlohmann::json create(const std::string& collection_path, const nlohmann::json& body) override {
    FUZZ_CHECK(body.is_object());
    const bool is_token_review = collection_path.find("/tokenreviews") != std::string::npos;
    FUZZ_CHECK(is_token_review ||
               collection_path.find("/subjectaccessreviews") != std::string::npos);
    auto answer =
        nlohmann::json::parse(is_token_review ? token_review_ : access_review_, nullptr, false);
    if (answer.is_discarded())
      throw hso::kube::ApiError(500, hso::kube::StatusReason::kInternalError, "not JSON");
    return answer;
  }
  nlohmann::json get(const std::string&) override { return unexpected(); }
  hso::kube::ListPage list(const std::string&, const hso::kube::ListOptions&) override {
    unexpected();
  }
  void watch(const std::string&, const hso::kube::WatchOptions&,
             const hso::kube::WatchEventHandler&, std::stop_token) override {
    unexpected();
  }
  nlohmann::json update(const std::string&, const nlohmann::json&) override { return unexpected(); }
  nlohmann::json patch(const std::string&, hso::kube::PatchType, const nlohmann::json&,
                       const hso::kube::PatchOptions&) override {
    return unexpected();
  }
  void remove(const std::string&, const hso::kube::DeleteOptions&) override { unexpected(); }

 private:
  [[noreturn]] static nlohmann::json unexpected() {
    hso::fuzz::property_failed("only reviews are created", __FILE__, __LINE__);
  }

  std::string_view token_review_;
  std::string_view access_review_;
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto parts = hso::fuzz::split(hso::fuzz::as_text(data, size), "\n--\n");
  const std::string_view header = parts[0];
  const std::string token = hso::http::parse_bearer_token(header);
  if (!token.empty()) {
    FUZZ_CHECK(token.front() != ' ' && token.back() != ' ');
    FUZZ_CHECK(header.size() > 7 && header.find(token) != std::string_view::npos);
  }

  ReviewingApiClient client(parts.size() > 1 ? parts[1] : "", parts.size() > 2 ? parts[2] : "");
  hso::FakeClock clock;
  hso::http::ScrapeAuthorizer authorizer(client, clock);
  const ScrapeDecision first = authorizer.authorize(header);
  if (token.empty())
    FUZZ_CHECK(first == ScrapeDecision::kUnauthenticated);
  // Decisions are cached; a failed review is not.
  if (first != ScrapeDecision::kUnavailable)
    FUZZ_CHECK(authorizer.authorize(header) == first);
  return 0;
}
