// The projection of a Pod from the API (list, watch) into the PodInfo the operator keeps.
#include "fuzz_support.hpp"
#include "hso/reconciler/plan/keys.hpp"
#include "hso/reconciler/plan/pod_info.hpp"
#include "hso/util/time_format.hpp"

namespace {

constexpr std::string_view kAnnotation = "srcd.host/create-headless-service";

void check_projection(const hso::reconciler::plan::PodInfo& pod) {
  FUZZ_CHECK(!pod.namespace_name.empty() && !pod.name.empty());
  FUZZ_CHECK(pod.unread_annotation.empty() || !pod.wants_service);
  if (!pod.wants_service) {
    FUZZ_CHECK(pod.uid.empty() == pod.unread_annotation.empty());
    FUZZ_CHECK(pod.pod_ips.empty() && pod.node_name.empty());
    FUZZ_CHECK(!pod.terminating && !pod.ready);
  } else {
    FUZZ_CHECK(!pod.uid.empty());
  }
  // At most one address per family, each one the API server would accept.
  FUZZ_CHECK(pod.pod_ips.size() <= 2);
  for (const auto& ip : pod.pod_ips)
    FUZZ_CHECK(!ip.empty());
  if (pod.pod_ips.size() == 2) {
    FUZZ_CHECK(hso::reconciler::plan::address_family(pod.pod_ips[0]) !=
               hso::reconciler::plan::address_family(pod.pod_ips[1]));
  }
  const std::string hostname = hso::reconciler::plan::effective_hostname(pod);
  FUZZ_CHECK(hostname.size() <= 63);
  const std::string key = hso::reconciler::plan::key_for_pod(pod);
  const auto parsed = hso::ObjectKey::parse(key);
  if (parsed) {
    FUZZ_CHECK(parsed->str() == key);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto pod = nlohmann::json::parse(hso::fuzz::as_text(data, size), nullptr, false);
  if (pod.is_discarded())
    return 0;
  const auto projected = hso::reconciler::plan::project_pod(pod, kAnnotation);
  if (projected) {
    check_projection(*projected);
    // The projection depends on nothing but the object: the same object, the same projection.
    FUZZ_CHECK(hso::reconciler::plan::project_pod(pod, kAnnotation) == projected);
  }
  // The timestamp parser on its own, on the raw bytes.
  hso::parse_rfc3339(hso::fuzz::as_text(data, size));
  return 0;
}
