// An EndpointSlice (and a legacy Endpoints) as the API server returns it, as the cache keeps it
// and as the reconciler compares it with the ones it wants.
#include <map>

#include "fuzz_support.hpp"
#include "hso/controller/caches.hpp"
#include "hso/reconciler/plan/decision.hpp"
#include "hso/reconciler/plan/desired_objects.hpp"
#include "hso/reconciler/plan/keys.hpp"
#include "hso/reconciler/plan/object_diff.hpp"
#include "hso/reconciler/plan/subdomain.hpp"
#include "hso/util/json_access.hpp"
#include "owned_objects.hpp"

namespace {

using hso::reconciler::plan::ObjectWrite;

// A patch brings the object where the operator wants it: patched, nothing more to write.
void check_patch_converges(const nlohmann::json& existing, const nlohmann::json& desired,
                           std::optional<nlohmann::json> (*diff)(const nlohmann::json&,
                                                                 const nlohmann::json&)) {
  const auto patch = diff(existing, desired);
  if (!patch)
    return;
  FUZZ_CHECK(patch->is_object());
  nlohmann::json patched = existing;
  patched.merge_patch(*patch);
  FUZZ_CHECK(!diff(patched, desired));
}

// The subdomain's packer over the slice as a slice of subdomain "web-0": its writes, applied as
// the server would, leave nothing more to write.
void check_subdomain_converges(const nlohmann::json& cached,
                               const hso::reconciler::plan::ServiceRef& service,
                               const hso::reconciler::plan::ReconcileOptions& options) {
  using hso::metrics::WriteAction;
  auto member = std::make_shared<hso::reconciler::plan::PodInfo>(*hso::fuzz::winner_pod("web-1"));
  member->spec_subdomain = service.name;
  const hso::reconciler::plan::PodList members{member};
  std::map<std::string, nlohmann::json> world{{hso::metadata_string(cached, "name"), cached}};
  const auto as_list = [&world]() {
    hso::reconciler::plan::ObjectList list;
    for (const auto& [name, object] : world)
      list.push_back(std::make_shared<const nlohmann::json>(object));
    return list;
  };
  for (const ObjectWrite& write : hso::reconciler::plan::plan_subdomain_slices(
           members, service, as_list(), nullptr, options)) {
    FUZZ_CHECK(!write.name.empty());
    if (write.action == WriteAction::kDelete) {
      world.erase(write.name);
    } else if (write.action == WriteAction::kCreate) {
      FUZZ_CHECK(!world.contains(write.name));
      world[write.name] = write.body;
    } else {
      world[write.name].merge_patch(write.body);
    }
  }
  FUZZ_CHECK(
      hso::reconciler::plan::plan_subdomain_slices(members, service, as_list(), nullptr, options)
          .empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = hso::fuzz::as_text(data, size);
  const auto object = nlohmann::json::parse(text, nullptr, false);
  if (object.is_discarded())
    return 0;
  const auto owned =
      hso::controller::project_owned_object(object, hso::reconciler::plan::key_for_endpoint_slice);
  if (!owned)
    return 0;
  // What the caches give the reconciler: the packed object, unpacked; its key is the one worked
  // out at the door.
  const nlohmann::json cached = owned->packed.unpack();
  FUZZ_CHECK(hso::controller::PackedObject::pack(cached) == owned->packed);
  FUZZ_CHECK(hso::reconciler::plan::key_for_endpoint_slice(cached) == owned->reconcile_key);
  hso::reconciler::plan::key_for_endpoints(cached);
  hso::reconciler::plan::is_owned_endpoint_slice(cached);
  hso::reconciler::plan::is_owned_endpoints(cached);

  const auto options = hso::fuzz::options_from(text);
  const auto pod = hso::fuzz::winner_pod("web-0");
  const hso::reconciler::plan::ServiceRef service{"default", "web-0",
                                                  "7d1c4a8e-5b0f-4c59-9a43-2f6f0b1d2e3a"};
  for (const auto& desired :
       hso::reconciler::plan::desired_endpoint_slices(*pod, service, options)) {
    check_patch_converges(cached, desired, hso::reconciler::plan::endpoint_slice_patch);
  }
  check_patch_converges(cached, hso::reconciler::plan::desired_endpoints(*pod, service, options),
                        hso::reconciler::plan::endpoints_patch);

  const hso::reconciler::plan::ObjectList slices{std::make_shared<const nlohmann::json>(cached)};
  for (const hso::reconciler::plan::PodInfo* winner :
       {pod.get(), static_cast<decltype(pod.get())>(nullptr)}) {
    for (const bool remove_unlabelled : {false, true}) {
      const auto writes = hso::reconciler::plan::plan_dependents(winner, service, slices, &cached,
                                                                 remove_unlabelled, options);
      for (const ObjectWrite& write : writes) {
        // An empty name would make the path of a write the collection's.
        FUZZ_CHECK(!write.name.empty());
      }
    }
  }
  check_subdomain_converges(cached, service, options);
  return 0;
}
