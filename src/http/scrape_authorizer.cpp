#include "hso/http/scrape_authorizer.hpp"

#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <array>
#include <exception>
#include <utility>

#include "hso/kube/request_path.hpp"
#include "hso/util/json_access.hpp"

namespace hso::http {
namespace {

constexpr std::size_t kMaxCachedDecisions = 1024;

std::string sha256_hex(std::string_view text) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest.data(), &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0xf];
  }
  return hex;
}

}  // namespace

std::string parse_bearer_token(std::string_view header) {
  constexpr std::string_view kScheme = "Bearer ";
  if (header.size() <= kScheme.size()) {
    return {};
  }
  // The scheme is case-insensitive (RFC 7235).
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) !=
        std::tolower(static_cast<unsigned char>(kScheme[i]))) {
      return {};
    }
  }
  std::string_view token = header.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') {
    token.remove_prefix(1);
  }
  while (!token.empty() && token.back() == ' ') {
    token.remove_suffix(1);
  }
  return std::string(token);
}

ScrapeAuthorizer::ScrapeAuthorizer(kube::ApiClient& client, const Clock& clock,
                                   std::chrono::seconds ttl, std::string path)
    : client_(client), clock_(clock), ttl_(ttl), path_(std::move(path)) {}

ScrapeDecision ScrapeAuthorizer::authorize(std::string_view authorization_header) {
  const std::string token = parse_bearer_token(authorization_header);
  if (token.empty()) {
    return ScrapeDecision::kUnauthenticated;
  }
  const std::string key = sha256_hex(token);
  const auto now = clock_.now();
  {
    MutexLock lock(mutex_);
    if (auto it = cache_.find(key); it != cache_.end()) {
      if (now < it->second.expires) {
        return it->second.decision;
      }
      cache_.erase(it);
    }
  }
  const ScrapeDecision decision = review(token);
  if (decision != ScrapeDecision::kUnavailable) {
    MutexLock lock(mutex_);
    if (cache_.size() >= kMaxCachedDecisions) {
      cache_.clear();  // crude but bounded: only a flood of distinct tokens gets here
    }
    cache_[key] = {decision, now + ttl_};
  }
  return decision;
}

ScrapeDecision ScrapeAuthorizer::review(const std::string& token) {
  // The answers are read leniently (json_access.hpp): a field of another type than expected
  // reads as absent, so it denies instead of throwing out of the request handler.
  nlohmann::json user;
  try {
    const nlohmann::json token_review = client_.create(kube::collection_path(kube::kTokenReviews),
                                                       {{"apiVersion", "authentication.k8s.io/v1"},
                                                        {"kind", "TokenReview"},
                                                        {"spec", {{"token", token}}}});
    const nlohmann::json& status = json_child(token_review, "status");
    if (json_child(status, "authenticated") != true) {
      return ScrapeDecision::kUnauthenticated;
    }
    user = json_child(status, "user");
  } catch (const std::exception& error) {
    spdlog::warn("metrics authentication: TokenReview failed: {}", error.what());
    return ScrapeDecision::kUnavailable;
  }

  const std::string username = json_string_at(user, "username");
  nlohmann::json spec = {{"user", username},
                         {"nonResourceAttributes", {{"path", path_}, {"verb", "get"}}}};
  for (const char* key : {"uid", "groups", "extra"}) {
    if (const nlohmann::json& value = json_child(user, key); !value.is_null()) {
      spec[key] = value;
    }
  }
  try {
    const nlohmann::json access_review =
        client_.create(kube::collection_path(kube::kSubjectAccessReviews),
                       {{"apiVersion", "authorization.k8s.io/v1"},
                        {"kind", "SubjectAccessReview"},
                        {"spec", spec}});
    const bool allowed = json_child(json_child(access_review, "status"), "allowed") == true;
    if (!allowed) {
      spdlog::info("metrics authorization: {} may not get {}", username, path_);
    }
    return allowed ? ScrapeDecision::kAllowed : ScrapeDecision::kForbidden;
  } catch (const std::exception& error) {
    spdlog::warn("metrics authorization: SubjectAccessReview failed: {}", error.what());
    return ScrapeDecision::kUnavailable;
  }
}

}  // namespace hso::http
