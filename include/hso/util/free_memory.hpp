#pragma once

namespace hso {

// Hands the allocator's free pages back to the kernel. glibc keeps the pages that a burst of small
// allocations freed in its arenas, so after decoding a big list or planning a big subdomain the
// resident set would stay at that peak for good. A no-op under a sanitizer, whose allocator
// replaces glibc's (util/sanitizers.hpp), and off glibc.
void return_free_memory();

}  // namespace hso
