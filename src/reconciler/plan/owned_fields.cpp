#include "hso/reconciler/plan/owned_fields.hpp"

#include <initializer_list>
#include <string_view>

#include "hso/reconciler/plan/trigger_time.hpp"
#include "hso/util/json_access.hpp"

namespace hso::reconciler::plan {
namespace {

using nlohmann::json;

// Copies the members of `from` named in `fields` that are present.
void copy_fields(json& into, const json& from, std::initializer_list<std::string_view> fields) {
  for (const std::string_view field : fields) {
    const auto it = from.find(field);
    if (it != from.end())
      into[std::string(field)] = *it;
  }
}

json reconciled_metadata(const json& metadata) {
  json kept = json::object();
  copy_fields(kept, metadata,
              {"name", "namespace", "uid", "resourceVersion", "deletionTimestamp", "labels",
               "ownerReferences"});
  // Of the annotations only the trigger time is read (carry_trigger_time).
  if (const json& trigger_time =
          json_child(json_child(metadata, "annotations"), kLastChangeTriggerTimeAnnotation);
      !trigger_time.is_null()) {
    kept["annotations"][std::string(kLastChangeTriggerTimeAnnotation)] = trigger_time;
  }
  return kept;
}

}  // namespace

json reconciled_fields(const json& object) {
  if (!object.is_object())
    return object;
  json kept = json::object();
  if (const auto metadata = object.find("metadata"); metadata != object.end()) {
    kept["metadata"] = metadata->is_object() ? reconciled_metadata(*metadata) : *metadata;
  }
  if (const auto spec = object.find("spec"); spec != object.end()) {
    if (spec->is_object()) {
      json& kept_spec = kept["spec"] = json::object();
      copy_fields(kept_spec, *spec, {"type", "clusterIP", "selector", "ports", "externalName"});
    } else {
      kept["spec"] = *spec;
    }
  }
  copy_fields(kept, object, {"addressType", "endpoints", "ports", "subsets"});
  return kept;
}

}  // namespace hso::reconciler::plan
