#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "hso/metrics/sinks.hpp"
#include "hso/reconciler/plan/desired_objects.hpp"
#include "hso/reconciler/plan/options.hpp"
#include "hso/reconciler/plan/pod_info.hpp"

// What to do for one Service name, decided from the pods and the objects that exist (no I/O).
namespace hso::reconciler::plan {

using PodList = std::vector<std::shared_ptr<const PodInfo>>;
using ObjectList = std::vector<std::shared_ptr<const nlohmann::json>>;

// Reasons written into Events.
inline constexpr std::string_view kReasonServiceCreated = "ServiceCreated";
inline constexpr std::string_view kReasonServiceAdopted = "ServiceAdopted";
inline constexpr std::string_view kReasonInvalidHostname = "InvalidHostname";
inline constexpr std::string_view kReasonHostnameCollision = "HostnameCollision";
inline constexpr std::string_view kReasonServiceConflict = "ServiceConflict";
inline constexpr std::string_view kReasonServiceRejected = "ServiceRejected";
inline constexpr std::string_view kReasonAnnotationNotUnderstood = "AnnotationNotUnderstood";

struct PodSkip {
  std::shared_ptr<const PodInfo> pod;
  metrics::SkipReason reason;
  std::string event_reason;
  std::string message;
};

struct Candidates {
  std::shared_ptr<const PodInfo> winner;  // null: no pod gets the Service
  std::vector<PodSkip> skipped;
};

// Strict order among pods that want the same hostname: pods that are neither terminating nor
// finished first (so a replacement takes over as soon as the holder goes away), then the oldest,
// then by name, then by uid.
bool takes_precedence(const PodInfo& a, const PodInfo& b);

bool is_valid_service_name(std::string_view name, const ReconcileOptions& options);

// Among the pods whose effective hostname is `service_name`, those with the annotation compete;
// those whose annotation cannot be read are skipped, the rest ignored. An invalid name skips them
// all.
Candidates choose_winner(std::string_view service_name, const PodList& pods,
                         const ReconcileOptions& options);

enum class ExistingService { kAbsent, kOwned, kAdoptable, kForeign };

// kAdoptable: made by the original Go operator, which did not label its Services: headless,
// selector-less, named after the pod itself (the original ignored spec.hostname), not controlled
// by anything but a pod.
ExistingService classify_service(const nlohmann::json* existing, const PodInfo* winner,
                                 const ReconcileOptions& options);

// Its implicit move is noexcept; bugprone-exception-escape cannot see that through
// nlohmann::json (as for RawWatchEvent).
// NOLINTNEXTLINE(bugprone-exception-escape)
struct ServicePlan {
  enum class Action {
    kNothing,       // absent and unwanted, or owned and matching
    kCreate,        // body: the Service to POST
    kPatch,         // body: merge patch (also used to adopt)
    kDelete,        // owned and no longer wanted; existing_uid is the precondition
    kRecreate,      // owned but not headless: delete now, create on the next pass
    kLeaveForeign,  // someone else's Service: never touched
    kWaitForDeletion,
  };
  Action action = Action::kNothing;
  nlohmann::json body;
  std::string existing_uid;
  ExistingService existing = ExistingService::kAbsent;
  Candidates candidates;  // winner is null unless the operator (will) serve the name
};

ServicePlan plan_service(std::string_view namespace_name, std::string_view service_name,
                         const PodList& pods, const nlohmann::json* existing,
                         const ReconcileOptions& options);

// The operator's slices of `service_name` among `slices` that have a name and are not being
// deleted, sorted by name.
std::vector<const nlohmann::json*> owned_slices(const ObjectList& slices,
                                                const std::string& service_name);

struct ObjectWrite {
  metrics::ObjectKind kind;
  metrics::WriteAction action;
  std::string name;
  nlohmann::json body;  // create: the object; update: a merge patch; delete: unused
  std::string uid;      // delete: precondition

  friend bool operator==(const ObjectWrite&, const ObjectWrite&) = default;
};

// Writes that bring the EndpointSlices and legacy Endpoints of `service` in line with `winner`
// (null: remove the operator's own). Deletes come first so a recreated name is free.
// `existing_slices`: slices labelled with the Service's name, whoever manages them; only the
// operator's are considered. `existing_endpoints`: the Endpoints with the Service's name, if any.
// `remove_unlabelled_endpoints`: unlabelled Endpoints of an owned Service are the original
// operator's leftovers and may be deleted (adopt_legacy).
std::vector<ObjectWrite> plan_dependents(const PodInfo* winner, const ServiceRef& service,
                                         const ObjectList& existing_slices,
                                         const nlohmann::json* existing_endpoints,
                                         bool remove_unlabelled_endpoints,
                                         const ReconcileOptions& options);

}  // namespace hso::reconciler::plan
