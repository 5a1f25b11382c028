#pragma once

#include <cstddef>

namespace hso {

// The operator's one source of randomness (jitter, identities): a per-thread engine seeded once
// from std::random_device. Not for secrets.

// Uniform in [0, 1).
double uniform_random();
// Uniform in [0, bound); 0 when bound is 0.
std::size_t random_below(std::size_t bound);

}  // namespace hso
