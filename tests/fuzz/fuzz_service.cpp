// A Service as the API server returns it (list, watch), as the operator's cache keeps it and as
// the reconciler compares it with the Service it wants.
#include "fuzz_support.hpp"
#include "hso/controller/caches.hpp"
#include "hso/reconciler/plan/decision.hpp"
#include "hso/reconciler/plan/keys.hpp"
#include "hso/reconciler/plan/object_diff.hpp"
#include "hso/util/json_access.hpp"
#include "owned_objects.hpp"

namespace {

using hso::reconciler::plan::ServicePlan;

void check_plan(const ServicePlan& plan, const nlohmann::json& existing,
                const nlohmann::json& desired) {
  if (plan.action == ServicePlan::Action::kPatch) {
    FUZZ_CHECK(plan.body.is_object());
    // A patch brings the object where the operator wants it: patched, nothing more to write.
    nlohmann::json patched = existing;
    patched.merge_patch(plan.body);
    FUZZ_CHECK(!hso::reconciler::plan::service_patch(patched, desired));
  }
  if (plan.action == ServicePlan::Action::kCreate)
    FUZZ_CHECK(plan.body.is_object());
  if (plan.action == ServicePlan::Action::kNothing && plan.candidates.winner != nullptr &&
      plan.existing != hso::reconciler::plan::ExistingService::kAbsent) {
    FUZZ_CHECK(!hso::reconciler::plan::service_patch(existing, desired));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = hso::fuzz::as_text(data, size);
  const auto service = nlohmann::json::parse(text, nullptr, false);
  if (service.is_discarded())
    return 0;
  const auto owned =
      hso::controller::project_owned_object(service, hso::reconciler::plan::key_for_service);
  if (!owned)
    return 0;
  // What the caches give the reconciler: the packed object, unpacked; its key is the one worked
  // out at the door.
  const nlohmann::json cached = owned->packed.unpack();
  FUZZ_CHECK(hso::controller::PackedObject::pack(cached) == owned->packed);
  FUZZ_CHECK(hso::reconciler::plan::key_for_service(cached) == owned->reconcile_key);
  FUZZ_CHECK(!hso::json_child(hso::json_child(cached, "metadata"), "managedFields").is_array() ||
             !hso::json_child(service, "metadata").is_object());
  hso::reconciler::plan::is_owned_service(cached);
  hso::reconciler::plan::service_needs_recreation(cached);

  const auto options = hso::fuzz::options_from(text);
  std::string pod_name = hso::json_string_at(hso::json_child(cached, "metadata"), "name");
  if (pod_name.empty())
    pod_name = "web-0";
  const auto pod = hso::fuzz::winner_pod(pod_name);
  const std::string service_name = hso::reconciler::plan::effective_hostname(*pod);
  const auto desired = hso::reconciler::plan::desired_service(*pod, service_name, options);
  for (const auto& pods : {hso::reconciler::plan::PodList{pod}, hso::reconciler::plan::PodList{}}) {
    const auto plan =
        hso::reconciler::plan::plan_service("default", service_name, pods, &cached, options);
    check_plan(plan, cached, desired);
  }
  return 0;
}
