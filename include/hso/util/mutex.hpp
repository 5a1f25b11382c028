#pragma once

#include <mutex>
#include <shared_mutex>

#include "hso/util/thread_annotations.hpp"

namespace hso {

// std::mutex as a capability that clang's thread-safety analysis understands. Lock it with
// MutexLock; a condition_variable_any can wait on a MutexLock (it is BasicLockable).
class HSO_CAPABILITY("mutex") Mutex {
 public:
  void lock() HSO_ACQUIRE() { mutex_.lock(); }
  void unlock() HSO_RELEASE() { mutex_.unlock(); }
  bool try_lock() HSO_TRY_ACQUIRE(true) { return mutex_.try_lock(); }

 private:
  std::mutex mutex_;
};

// Holds a Mutex from construction to destruction. lock()/unlock() exist for condition variables,
// which release and retake the mutex while they wait.
class HSO_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mutex) HSO_ACQUIRE(mutex) : mutex_(mutex) { mutex_.lock(); }
  ~MutexLock() HSO_RELEASE() { mutex_.unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;
  MutexLock(MutexLock&&) = delete;
  MutexLock& operator=(MutexLock&&) = delete;

  void lock() HSO_ACQUIRE() { mutex_.lock(); }
  void unlock() HSO_RELEASE() { mutex_.unlock(); }

 private:
  Mutex& mutex_;
};

// std::shared_mutex as a capability: many readers (ReaderLock) or one writer (WriterLock).
class HSO_CAPABILITY("shared mutex") SharedMutex {
 public:
  void lock() HSO_ACQUIRE() { mutex_.lock(); }
  void unlock() HSO_RELEASE() { mutex_.unlock(); }
  void lock_shared() HSO_ACQUIRE_SHARED() { mutex_.lock_shared(); }
  void unlock_shared() HSO_RELEASE_SHARED() { mutex_.unlock_shared(); }

 private:
  std::shared_mutex mutex_;
};

class HSO_SCOPED_CAPABILITY WriterLock {
 public:
  explicit WriterLock(SharedMutex& mutex) HSO_ACQUIRE(mutex) : mutex_(mutex) { mutex_.lock(); }
  ~WriterLock() HSO_RELEASE() { mutex_.unlock(); }
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;
  WriterLock(WriterLock&&) = delete;
  WriterLock& operator=(WriterLock&&) = delete;

 private:
  SharedMutex& mutex_;
};

class HSO_SCOPED_CAPABILITY ReaderLock {
 public:
  explicit ReaderLock(SharedMutex& mutex) HSO_ACQUIRE_SHARED(mutex) : mutex_(mutex) {
    mutex_.lock_shared();
  }
  ~ReaderLock() HSO_RELEASE() { mutex_.unlock_shared(); }
  ReaderLock(const ReaderLock&) = delete;
  ReaderLock& operator=(const ReaderLock&) = delete;
  ReaderLock(ReaderLock&&) = delete;
  ReaderLock& operator=(ReaderLock&&) = delete;

 private:
  SharedMutex& mutex_;
};

}  // namespace hso
