#pragma once

#include <stdexcept>

namespace hso::controller {

// Thrown instead of sending a write while this replica may not write (it is not the leader, or
// its leadership could have expired by the time the write lands).
class WriteNotAllowed : public std::runtime_error {
 public:
  WriteNotAllowed() : std::runtime_error("not the leader: write withheld") {}
};

}  // namespace hso::controller
