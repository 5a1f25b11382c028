#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace hso::informer {

// Where a reflector delivers what it reads. The JSON is only borrowed for the duration of the
// call: an implementation keeps what it needs (a small projection) and nothing else.
class ObjectSink {
 public:
  // The contents of a full list, delivered page by page; nothing is visible to readers until
  // commit(), which makes the sink hold exactly the added objects. Dropping a Replacement without
  // committing it discards it.
  class Replacement {
   public:
    virtual ~Replacement() = default;
    virtual void add(const nlohmann::json& object) = 0;
    virtual void commit() = 0;
  };

  virtual ~ObjectSink() = default;

  virtual std::unique_ptr<Replacement> begin_replace() = 0;
  // An ADDED or MODIFIED watch event.
  virtual void upsert(const nlohmann::json& object) = 0;
  // A DELETED watch event; the object is its last state.
  virtual void remove(const nlohmann::json& object) = 0;
};

// "namespace/name", or "name" for cluster-scoped objects. nullopt when metadata.name is missing
// or not a string.
std::optional<std::string> object_key(const nlohmann::json& object);

// Logs, once per call, that an object of `resource` could not be used and was skipped.
void log_skipped_object(std::string_view resource, const nlohmann::json& object,
                        std::string_view reason);

}  // namespace hso::informer
