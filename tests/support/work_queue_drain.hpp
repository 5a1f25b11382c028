#pragma once

#include <string>
#include <vector>

#include "hso/workqueue/work_queue.hpp"

namespace hso::test {

// The keys ready in `queue`, taken out of it (each marked done), in the order the queue hands
// them out.
inline std::vector<std::string> take_queued(workqueue::WorkQueue& queue) {
  std::vector<std::string> keys;
  while (queue.depth() > 0) {
    const auto key = queue.get();
    keys.push_back(*key);
    queue.done(*key);
  }
  return keys;
}

}  // namespace hso::test
