#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "hso/util/mutex.hpp"

namespace hso::kube {

// Extracts the texts of an HTTP Warning header value (RFC 7234: `299 - "text"`, comma-separated).
std::vector<std::string> parse_warning_header(std::string_view value);

// Logs each distinct API server warning text once (deprecations repeat on every request).
class WarningLogger {
 public:
  explicit WarningLogger(std::size_t max_remembered = 1024) : max_remembered_(max_remembered) {}

  // Returns the texts that were logged now (i.e. not seen before).
  std::vector<std::string> handle(std::string_view header_value);

 private:
  std::size_t max_remembered_;
  Mutex mutex_;
  std::unordered_set<std::string> seen_ HSO_GUARDED_BY(mutex_);
};

}  // namespace hso::kube
