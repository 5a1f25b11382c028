#include "hso/reconciler/plan/trigger_time.hpp"

#include <algorithm>
#include <string>

#include "hso/util/json_access.hpp"
#include "hso/util/time_format.hpp"

namespace hso::reconciler::plan {
namespace {

using nlohmann::json;

std::optional<std::chrono::sys_seconds> time_at(const json& object, std::string_view key) {
  const auto parsed = parse_rfc3339(json_string_view_at(object, key));
  if (!parsed)
    return std::nullopt;
  return std::chrono::floor<std::chrono::seconds>(*parsed);
}

}  // namespace

std::chrono::sys_seconds pod_trigger_time(const json& pod, std::chrono::sys_seconds created) {
  std::chrono::sys_seconds latest = created;
  const auto consider = [&](std::optional<std::chrono::sys_seconds> time) {
    if (time)
      latest = std::max(latest, *time);
  };
  if (const json& conditions = json_child(json_child(pod, "status"), "conditions");
      conditions.is_array()) {
    for (const json& condition : conditions)
      consider(time_at(condition, "lastTransitionTime"));
  }
  const json& metadata = json_child(pod, "metadata");
  if (auto deletion = time_at(metadata, "deletionTimestamp")) {
    const json& grace = json_child(metadata, "deletionGracePeriodSeconds");
    if (grace.is_number_integer() && grace.get<std::int64_t>() > 0 &&
        grace.get<std::int64_t>() < 10LL * 365 * 24 * 3600) {
      *deletion -= std::chrono::seconds(grace.get<std::int64_t>());
    }
    consider(deletion);
  }
  return latest;
}

void carry_trigger_time(json& patch, const json& existing, const json& desired) {
  const json& wanted =
      json_child(metadata_child(desired, "annotations"), kLastChangeTriggerTimeAnnotation);
  if (!wanted.is_string() || json_child(metadata_child(existing, "annotations"),
                                        kLastChangeTriggerTimeAnnotation) == wanted) {
    return;
  }
  patch["metadata"]["annotations"][std::string(kLastChangeTriggerTimeAnnotation)] = wanted;
}

}  // namespace hso::reconciler::plan
