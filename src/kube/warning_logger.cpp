#include "hso/kube/warning_logger.hpp"

#include <spdlog/spdlog.h>

namespace hso::kube {

std::vector<std::string> parse_warning_header(std::string_view value) {
  std::vector<std::string> texts;
  std::size_t i = 0;
  while (i < value.size()) {
    // warn-code SP warn-agent SP quoted-text [SP warn-date]
    const std::size_t quote = value.find('"', i);
    if (quote == std::string_view::npos)
      break;
    std::string text;
    std::size_t j = quote + 1;
    bool closed = false;
    for (; j < value.size(); ++j) {
      const char c = value[j];
      if (c == '\\' && j + 1 < value.size()) {
        text += value[++j];
      } else if (c == '"') {
        closed = true;
        break;
      } else {
        text += c;
      }
    }
    if (!closed)
      break;
    if (!text.empty())
      texts.push_back(std::move(text));
    // Skip an optional quoted warn-date, then move past the separating comma.
    i = j + 1;
    while (i < value.size() && value[i] == ' ')
      ++i;
    if (i < value.size() && value[i] == '"') {
      const std::size_t date_end = value.find('"', i + 1);
      if (date_end == std::string_view::npos)
        break;
      i = date_end + 1;
    }
    const std::size_t comma = value.find(',', i);
    if (comma == std::string_view::npos)
      break;
    i = comma + 1;
  }
  return texts;
}

std::vector<std::string> WarningLogger::handle(std::string_view header_value) {
  std::vector<std::string> fresh;
  for (auto& text : parse_warning_header(header_value)) {
    {
      MutexLock lock(mutex_);
      if (seen_.contains(text))
        continue;
      if (seen_.size() >= max_remembered_)
        seen_.clear();
      seen_.insert(text);
    }
    spdlog::warn("Kubernetes API warning: {}", text);
    fresh.push_back(std::move(text));
  }
  return fresh;
}

}  // namespace hso::kube
