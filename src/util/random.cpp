#include "hso/util/random.hpp"

#include <random>

namespace hso {
namespace {

std::mt19937_64& engine() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return engine;
}

}  // namespace

double uniform_random() {
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine());
}

std::size_t random_below(std::size_t bound) {
  if (bound == 0)
    return 0;
  return std::uniform_int_distribution<std::size_t>(0, bound - 1)(engine());
}

}  // namespace hso
