#pragma once

// Clang's thread-safety attributes, so that shared state says which mutex guards it and clang's
// -Wthread-safety (run through clang-tidy, hack/run-clang-tidy.sh) checks every access. GCC has
// no such analysis: there the macros expand to nothing.
//
// Use them with hso::Mutex / hso::SharedMutex and their scoped locks (hso/util/mutex.hpp);
// libstdc++'s std::mutex and std::lock_guard carry no attributes, so the analysis cannot see them.

#if defined(__clang__)
#define HSO_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define HSO_THREAD_ANNOTATION(x)
#endif

// On a type: it is a lock ("mutex").
#define HSO_CAPABILITY(name) HSO_THREAD_ANNOTATION(capability(name))
// On a type: an RAII object that holds a capability for its lifetime.
#define HSO_SCOPED_CAPABILITY HSO_THREAD_ANNOTATION(scoped_lockable)

// On a member: read and written only with the mutex held (shared for reads of a shared mutex).
#define HSO_GUARDED_BY(mutex) HSO_THREAD_ANNOTATION(guarded_by(mutex))
// On a pointer member: what it points to is guarded by the mutex.
#define HSO_PT_GUARDED_BY(mutex) HSO_THREAD_ANNOTATION(pt_guarded_by(mutex))

// On a function: the caller must hold the mutex (exclusively / at least shared).
#define HSO_REQUIRES(...) HSO_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define HSO_REQUIRES_SHARED(...) HSO_THREAD_ANNOTATION(requires_shared_capability(__VA_ARGS__))
// On a function: the caller must not hold the mutex (the function takes it).
#define HSO_EXCLUDES(...) HSO_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))

// On a function: it takes / releases the mutex and returns with it held / not held.
#define HSO_ACQUIRE(...) HSO_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define HSO_ACQUIRE_SHARED(...) HSO_THREAD_ANNOTATION(acquire_shared_capability(__VA_ARGS__))
#define HSO_RELEASE(...) HSO_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define HSO_RELEASE_SHARED(...) HSO_THREAD_ANNOTATION(release_shared_capability(__VA_ARGS__))
#define HSO_RELEASE_GENERIC(...) HSO_THREAD_ANNOTATION(release_generic_capability(__VA_ARGS__))
#define HSO_TRY_ACQUIRE(...) HSO_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))

// On a function: returns a reference to the given mutex.
#define HSO_RETURN_CAPABILITY(mutex) HSO_THREAD_ANNOTATION(lock_returned(mutex))
