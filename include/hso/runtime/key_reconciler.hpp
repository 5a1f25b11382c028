#pragma once

#include <functional>
#include <stop_token>
#include <string>

#include "hso/runtime/work_outcome.hpp"

// The two narrow interfaces between the generic runtime (runtime::Controller) and what it runs:
// where keys come from, and what is done with each. A key is an opaque string to the runtime.
namespace hso::runtime {

// Makes the world match for one key. Called by several workers at once, never for the same key
// twice at a time. An exception counts as a retry.
class KeyReconciler {
 public:
  virtual ~KeyReconciler() = default;
  virtual WorkOutcome reconcile(const std::string& key) = 0;
};

using KeySink = std::function<void(const std::string&)>;

// The watches that feed the queue (in practice informers' caches; their change handlers add keys
// to the queue by themselves).
class KeySource {
 public:
  virtual ~KeySource() = default;
  // Blocks until every watch has synced (listed once); false when `stop` was requested first.
  virtual bool wait_for_sync(std::stop_token stop) const = 0;
  // Hands `add` every key the watches know: the pass a term starts with, and each resync.
  virtual void list_keys(const KeySink& add) const = 0;
};

}  // namespace hso::runtime
