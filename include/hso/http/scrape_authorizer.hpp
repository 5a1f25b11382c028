#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <unordered_map>

#include "hso/kube/api_client.hpp"
#include "hso/util/clock.hpp"
#include "hso/util/mutex.hpp"

namespace hso::http {

enum class ScrapeDecision {
  kAllowed,
  kUnauthenticated,  // no bearer token, or TokenReview says not authenticated: 401
  kForbidden,        // SubjectAccessReview says no: 403
  kUnavailable,      // the reviews could not be made: 503, not cached
};

// The token of an Authorization header value "Bearer <token>" (the scheme in any case, spaces
// around the token trimmed); empty when there is none.
std::string parse_bearer_token(std::string_view authorization_header);

// Authenticates a scrape's bearer token with a TokenReview and authorises the user for
// `get` on the non-resource URL `path` with a SubjectAccessReview. Decisions are cached per
// SHA-256 of the token for `ttl`, so a scraper every few seconds costs two API calls per ttl.
class ScrapeAuthorizer {
 public:
  ScrapeAuthorizer(kube::ApiClient& client, const Clock& clock,
                   std::chrono::seconds ttl = std::chrono::seconds(10),
                   std::string path = "/metrics");

  // `authorization_header`: the request's Authorization header value ("Bearer <token>").
  ScrapeDecision authorize(std::string_view authorization_header);

 private:
  ScrapeDecision review(const std::string& token);

  kube::ApiClient& client_;
  const Clock& clock_;
  const std::chrono::seconds ttl_;
  const std::string path_;
  struct CachedDecision {
    ScrapeDecision decision = ScrapeDecision::kForbidden;
    Clock::TimePoint expires;
  };
  Mutex mutex_;
  std::unordered_map<std::string, CachedDecision> cache_ HSO_GUARDED_BY(mutex_);  // by token hash
};

}  // namespace hso::http
