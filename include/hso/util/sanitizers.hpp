#pragma once

// HSO_SANITIZER_ALLOCATOR is defined when a sanitizer's allocator replaces glibc's malloc
// (AddressSanitizer, ThreadSanitizer, MemorySanitizer): glibc's tuning calls (mallopt,
// malloc_trim) would then act on arenas that allocator never set up, so code that makes them
// leaves them out. GCC says so with __SANITIZE_*__, clang with __has_feature.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define HSO_SANITIZER_ALLOCATOR 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define HSO_SANITIZER_ALLOCATOR 1
#endif
#endif
