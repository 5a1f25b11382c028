#include "hso/util/free_memory.hpp"

// Any C library header defines __GLIBC__ on glibc; without one first the test below is always false
// and the call compiles to nothing.
#include <cstdlib>

#include "hso/util/sanitizers.hpp"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace hso {

void return_free_memory() {
  // Under ASan or TSan glibc's malloc_trim walks arenas that allocator never set up and crashes
  // (seen under TSan as a SEGV in mtrim after a relist).
#if defined(__GLIBC__) && !defined(HSO_SANITIZER_ALLOCATOR)
  malloc_trim(0);
#endif
}

}  // namespace hso
