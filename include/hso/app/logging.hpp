#pragma once

#include <string>

namespace hso::app {

// Logs to stderr at `level` (trace, debug, info, warn, error), as text or as one JSON object per
// line ("json"), whose message is escaped so any log text stays valid JSON.
void configure_logging(const std::string& level, const std::string& format);

}  // namespace hso::app
