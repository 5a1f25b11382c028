#include <spdlog/spdlog.h>

namespace {

// spdlog keeps its registry in a function-local static inside libspdlog.so, which is not built
// with ThreadSanitizer: when two test threads log for the first time at once, TSan sees the
// registry made by one and read by the other, but not the initialisation guard that orders them.
// The operator sets up logging on its main thread before any other thread starts (main.cpp); the
// test binaries do the same here, during static initialisation.
[[maybe_unused]] const bool kLoggerReady = [] {
  spdlog::default_logger_raw();
  return true;
}();

}  // namespace
