#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "hso/informer/object_sink.hpp"
#include "hso/util/mutex.hpp"

namespace hso::informer {

namespace detail {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const noexcept {
    return std::hash<std::string_view>{}(text);
  }
};

template <typename V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

void log_handler_failure(std::string_view resource, std::string_view key, const char* what);

// The entries found under one index value. Nearly every value names one object (a Service key
// one pod, or one slice), so the first entry is held inline and only a second one allocates:
// 32 bytes less per indexed object than a vector of one (BENCHMARKS.md, Session 7). No order.
template <typename P>
class EntryList {
 public:
  void add(P entry) {
    if (first_ == nullptr) {
      first_ = entry;
      return;
    }
    if (!rest_)
      rest_ = std::make_unique<std::vector<P>>();
    rest_->push_back(entry);
  }
  void remove(P entry) {
    if (first_ != entry) {
      if (rest_)
        std::erase(*rest_, entry);
    } else if (rest_ && !rest_->empty()) {
      first_ = rest_->back();
      rest_->pop_back();
    } else {
      first_ = nullptr;
    }
    if (rest_ && rest_->empty())
      rest_.reset();
  }
  bool empty() const { return first_ == nullptr; }
  std::size_t size() const { return first_ == nullptr ? 0 : 1 + (rest_ ? rest_->size() : 0); }
  template <typename Fn>
  void for_each(Fn&& fn) const {
    if (first_ == nullptr)
      return;
    fn(first_);
    if (rest_) {
      for (P entry : *rest_)
        fn(entry);
    }
  }

 private:
  P first_ = nullptr;
  std::unique_ptr<std::vector<P>> rest_;
};

}  // namespace detail

// A thread-safe cache of one resource, keyed "namespace/name". Each object is kept as a small,
// immutable projection T made by the caller's `project` function; readers share it through
// shared_ptr<const T> and never copy under the lock. Fed by a Reflector through ObjectSink.
//
// Configuration (indexes, handlers) happens before the reflector starts; after that all methods
// are safe to call from any thread. Handlers run on the reflector's thread, after the store has
// changed and outside its lock, so they may read the store. When T is equality comparable an
// update that leaves the projection unchanged is not reported (a pod's status churn that the
// projection ignores costs nothing downstream).
template <typename T>
class Store final : public ObjectSink {
 public:
  using Ptr = std::shared_ptr<const T>;
  // nullopt (or an exception) means the object is malformed: it is logged and skipped.
  using Projection = std::function<std::optional<T>(const nlohmann::json&)>;
  // The values under which an object is found in an index. Must not throw.
  using IndexFunction = std::function<std::vector<std::string>(const T&)>;
  using AddHandler = std::function<void(const std::string& key, const Ptr& added)>;
  using UpdateHandler =
      std::function<void(const std::string& key, const Ptr& old_value, const Ptr& new_value)>;
  using DeleteHandler = std::function<void(const std::string& key, const Ptr& last_value)>;
  // Which projections are worth keeping; an object that stops being kept is reported deleted.
  // The server cannot filter on everything (annotations, say): this is the client-side filter
  // that keeps memory proportional to what the handlers care about.
  using KeepFunction = std::function<bool(const T&)>;

  Store(std::string resource, Projection project, KeepFunction keep = {})
      : resource_(std::move(resource)), project_(std::move(project)), keep_(std::move(keep)) {}

  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  void add_index(std::string name, IndexFunction function) {
    WriterLock lock(mutex_);
    if (find_index(name) != nullptr) {
      throw std::invalid_argument("index already exists: " + name);
    }
    Index& index = indexes_.emplace_back(Index{std::move(name), std::move(function), {}});
    for (const Entry& entry : objects_) {
      index_insert(index, entry);
    }
  }
  void on_add(AddHandler handler) { add_handlers_.push_back(std::move(handler)); }
  void on_update(UpdateHandler handler) { update_handlers_.push_back(std::move(handler)); }
  void on_delete(DeleteHandler handler) { delete_handlers_.push_back(std::move(handler)); }

  const std::string& resource() const { return resource_; }

  Ptr get(std::string_view key) const {
    ReaderLock lock(mutex_);
    const auto it = objects_.find(key);
    return it == objects_.end() ? nullptr : it->second;
  }

  std::vector<Ptr> list() const {
    ReaderLock lock(mutex_);
    std::vector<Ptr> result;
    result.reserve(objects_.size());
    for (const Entry& entry : objects_) {
      result.push_back(entry.second);
    }
    return result;
  }

  std::vector<std::string> keys() const {
    ReaderLock lock(mutex_);
    std::vector<std::string> result;
    result.reserve(objects_.size());
    for (const Entry& entry : objects_) {
      result.push_back(entry.first);
    }
    return result;
  }

  // Objects whose index function returned `value`. Throws std::invalid_argument for an unknown
  // index name (a programming error).
  std::vector<Ptr> by_index(std::string_view index_name, std::string_view value) const {
    ReaderLock lock(mutex_);
    const Index& index = require_index(index_name);
    std::vector<Ptr> result;
    const auto bucket = index.buckets.find(value);
    if (bucket != index.buckets.end()) {
      result.reserve(bucket->second.size());
      bucket->second.for_each([&result](const Entry* entry) { result.push_back(entry->second); });
    }
    return result;
  }

  // Keys of the objects found under `value`, for callers that enqueue work.
  std::vector<std::string> keys_by_index(std::string_view index_name,
                                         std::string_view value) const {
    ReaderLock lock(mutex_);
    const Index& index = require_index(index_name);
    std::vector<std::string> result;
    const auto bucket = index.buckets.find(value);
    if (bucket != index.buckets.end()) {
      result.reserve(bucket->second.size());
      bucket->second.for_each([&result](const Entry* entry) { result.push_back(entry->first); });
    }
    return result;
  }

  std::size_t size() const {
    ReaderLock lock(mutex_);
    return objects_.size();
  }

  // ObjectSink

  std::unique_ptr<Replacement> begin_replace() override {
    return std::make_unique<StoreReplacement>(*this);
  }

  void upsert(const nlohmann::json& object) override {
    auto projected = project_object(object);
    if (!projected) {
      // A known object that turned malformed keeps its last good projection: treating it as
      // deleted could make the controller tear down what it manages.
      return;
    }
    std::vector<Change> changes;
    {
      WriterLock lock(mutex_);
      if (kept(*projected->second)) {
        apply_locked(std::move(projected->first), std::move(projected->second), changes);
      } else if (const auto it = objects_.find(projected->first); it != objects_.end()) {
        erase_locked(it, changes);
      }
    }
    notify(changes);
  }

  void remove(const nlohmann::json& object) override {
    auto key = object_key(object);
    if (!key) {
      log_skipped_object(resource_, object, "deleted object without metadata.name");
      return;
    }
    std::vector<Change> changes;
    {
      WriterLock lock(mutex_);
      const auto it = objects_.find(*key);
      if (it == objects_.end()) {
        return;
      }
      erase_locked(it, changes);
    }
    notify(changes);
  }

 private:
  using Map = detail::StringMap<Ptr>;
  using Entry = typename Map::value_type;

  // Buckets point at the map's own entries (stable in an unordered_map until erased), so the
  // index costs one pointer per object and value, not another copy of the key.
  struct Index {
    std::string name;
    IndexFunction function;
    detail::StringMap<detail::EntryList<const Entry*>> buckets;
  };

  struct Change {
    enum class Kind { kAdd, kUpdate, kDelete } kind;
    std::string key;
    Ptr old_value;
    Ptr new_value;
  };

  class StoreReplacement final : public Replacement {
   public:
    explicit StoreReplacement(Store& store) : store_(store) {}
    void add(const nlohmann::json& object) override {
      auto projected = store_.project_object(object);
      if (projected && store_.kept(*projected->second)) {
        staged_.insert_or_assign(std::move(projected->first), std::move(projected->second));
      }
    }
    void commit() override { store_.replace_all(std::move(staged_)); }

   private:
    Store& store_;
    Map staged_;
  };

  bool kept(const T& value) const { return !keep_ || keep_(value); }

  std::optional<std::pair<std::string, Ptr>> project_object(const nlohmann::json& object) const {
    auto key = object_key(object);
    if (!key) {
      log_skipped_object(resource_, object, "no metadata.name");
      return std::nullopt;
    }
    try {
      std::optional<T> value = project_(object);
      if (!value) {
        log_skipped_object(resource_, object, "projection rejected the object");
        return std::nullopt;
      }
      return std::pair{std::move(*key), std::make_shared<const T>(std::move(*value))};
    } catch (const std::exception& error) {
      log_skipped_object(resource_, object, error.what());
      return std::nullopt;
    }
  }

  void replace_all(Map staged) {
    std::vector<Change> changes;
    {
      WriterLock lock(mutex_);
      for (auto it = objects_.begin(); it != objects_.end();) {
        auto current = it++;
        if (!staged.contains(current->first)) {
          erase_locked(current, changes);
        }
      }
      for (auto& [key, value] : staged) {
        apply_locked(std::string(key), std::move(value), changes);
      }
    }
    notify(changes);
  }

  void apply_locked(std::string key, Ptr value, std::vector<Change>& changes) HSO_REQUIRES(mutex_) {
    const auto it = objects_.find(key);
    if (it == objects_.end()) {
      const auto [inserted, unused] = objects_.emplace(std::move(key), value);
      for (Index& index : indexes_) {
        index_insert(index, *inserted);
      }
      changes.push_back(Change{Change::Kind::kAdd, inserted->first, nullptr, std::move(value)});
      return;
    }
    if constexpr (std::equality_comparable<T>) {
      if (*it->second == *value) {
        return;
      }
    }
    for (Index& index : indexes_) {
      index_erase(index, *it, *it->second);
    }
    Ptr old_value = std::exchange(it->second, value);
    for (Index& index : indexes_) {
      index_insert(index, *it);
    }
    changes.push_back(
        Change{Change::Kind::kUpdate, it->first, std::move(old_value), std::move(value)});
  }

  void erase_locked(typename Map::iterator it, std::vector<Change>& changes) HSO_REQUIRES(mutex_) {
    for (Index& index : indexes_) {
      index_erase(index, *it, *it->second);
    }
    changes.push_back(Change{Change::Kind::kDelete, it->first, it->second, nullptr});
    objects_.erase(it);
  }

  static std::vector<std::string> index_values(const Index& index, const T& value) {
    std::vector<std::string> values = index.function(value);
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    return values;
  }

  static void index_insert(Index& index, const Entry& entry) {
    for (std::string& value : index_values(index, *entry.second)) {
      index.buckets[std::move(value)].add(&entry);
    }
  }

  static void index_erase(Index& index, const Entry& entry, const T& indexed_value) {
    for (const std::string& value : index_values(index, indexed_value)) {
      const auto bucket = index.buckets.find(value);
      if (bucket == index.buckets.end()) {
        continue;
      }
      bucket->second.remove(&entry);
      if (bucket->second.empty()) {
        index.buckets.erase(bucket);
      }
    }
  }

  const Index* find_index(std::string_view name) const HSO_REQUIRES_SHARED(mutex_) {
    for (const Index& index : indexes_) {
      if (index.name == name) {
        return &index;
      }
    }
    return nullptr;
  }

  const Index& require_index(std::string_view name) const HSO_REQUIRES_SHARED(mutex_) {
    const Index* index = find_index(name);
    if (index == nullptr) {
      throw std::invalid_argument("unknown index: " + std::string(name));
    }
    return *index;
  }

  void notify(const std::vector<Change>& changes) const {
    for (const Change& change : changes) {
      try {
        switch (change.kind) {
          case Change::Kind::kAdd:
            for (const auto& handler : add_handlers_) {
              handler(change.key, change.new_value);
            }
            break;
          case Change::Kind::kUpdate:
            for (const auto& handler : update_handlers_) {
              handler(change.key, change.old_value, change.new_value);
            }
            break;
          case Change::Kind::kDelete:
            for (const auto& handler : delete_handlers_) {
              handler(change.key, change.old_value);
            }
            break;
        }
      } catch (const std::exception& error) {
        detail::log_handler_failure(resource_, change.key, error.what());
      }
    }
  }

  const std::string resource_;
  const Projection project_;
  const KeepFunction keep_;
  // Registered before the reflector that feeds the store starts (its thread start orders them),
  // read-only after that: no lock.
  std::vector<AddHandler> add_handlers_;
  std::vector<UpdateHandler> update_handlers_;
  std::vector<DeleteHandler> delete_handlers_;

  mutable SharedMutex mutex_;
  Map objects_ HSO_GUARDED_BY(mutex_);
  std::vector<Index> indexes_ HSO_GUARDED_BY(mutex_);
};

}  // namespace hso::informer
