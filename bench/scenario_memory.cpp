// Where the memory of an annotated pod goes: the real objects of a namespace (its pods, and the
// Services and EndpointSlices the operator made for them) are put into the operator's own caches
// in this process, one structure at a time, and each one's heap is read with mallinfo2 (bytes in
// use, allocator headers included: what resident memory pays). Beside each cache, what the same
// objects cost as the previous session kept them (the whole object but managedFields, plain
// MessagePack) and the per-key state of the reconciler and the Event recorder, old and new form.
// Exact on a loaded machine: nothing here is timed. Release build only (ASan replaces malloc).
#include <malloc.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <unordered_set>

#include "common.hpp"
#include "hso/controller/caches.hpp"
#include "hso/kube/request_path.hpp"
#include "hso/reconciler/event_recorder.hpp"
#include "hso/reconciler/plan/keys.hpp"
#include "hso/reconciler/plan/owned_fields.hpp"
#include "hso/reconciler/plan/ownership.hpp"
#include "hso/util/json_access.hpp"
#include "hso/util/object_key.hpp"
#include "scenarios.hpp"

namespace bench {
namespace {

std::int64_t heap_in_use() {
  malloc_trim(0);
  const struct mallinfo2 info = mallinfo2();
  return static_cast<std::int64_t>(info.uordblks + info.hblkhd);
}

// Every object of a collection, with apiVersion and kind as a watch event brings it.
std::vector<json> list_all(hso::kube::ApiClient& client, const hso::kube::ApiResource& resource,
                           const std::string& ns, std::string_view selector,
                           const std::string& api_version, const std::string& kind,
                           const std::function<bool(const json&)>& keep = {}) {
  hso::kube::ListOptions options;
  options.label_selector = std::string(selector);
  std::vector<json> items;
  do {
    auto page = client.list(hso::kube::collection_path(resource, ns), options);
    for (auto& item : page.items) {
      if (keep && !keep(item))
        continue;
      item["apiVersion"] = api_version;
      item["kind"] = kind;
      items.push_back(std::move(item));
    }
    options.continue_token = page.continue_token;
  } while (!options.continue_token.empty());
  return items;
}

// The owned objects as session 6 kept them: the whole object but managedFields, plain MessagePack.
struct PlainPacked {
  std::vector<std::uint8_t> bytes;
  std::optional<std::string> reconcile_key;
  bool operator==(const PlainPacked&) const = default;
};

std::vector<std::uint8_t> plain_msgpack(const json& object) {
  json copy = object;
  copy["metadata"].erase("managedFields");
  auto bytes = json::to_msgpack(copy);
  bytes.shrink_to_fit();
  return bytes;
}

using PlainStore = hso::informer::Store<PlainPacked>;

std::unique_ptr<PlainStore> plain_store(hso::controller::ReconcileKeyOf key_of, bool indexed) {
  auto store = std::make_unique<PlainStore>("plain", [key_of](const json& object) {
    return std::optional(PlainPacked{plain_msgpack(object), key_of(object)});
  });
  if (indexed) {
    store->add_index("service-key", [](const PlainPacked& value) {
      return value.reconcile_key ? std::vector<std::string>{*value.reconcile_key}
                                 : std::vector<std::string>{};
    });
  }
  return store;
}

// Mean bytes of the three packed forms of `objects`: plain, only the reconciled fields, and those
// with the common strings as tokens (what the caches now keep).
json packed_sizes(const std::vector<json>& objects) {
  double plain = 0, pruned = 0, tokenized = 0;
  for (const json& object : objects) {
    plain += static_cast<double>(plain_msgpack(object).size());
    const json fields = hso::reconciler::plan::reconciled_fields(object);
    pruned += static_cast<double>(json::to_msgpack(fields).size());
    tokenized += static_cast<double>(hso::controller::PackedObject::pack(fields)->size_bytes());
  }
  const double n = objects.empty() ? 1.0 : static_cast<double>(objects.size());
  return {{"plain", plain / n}, {"reconciled_fields", pruned / n}, {"tokenized", tokenized / n}};
}

class HeapLedger {
 public:
  explicit HeapLedger(double per) : per_(per) {}
  // Runs `fill` and records the heap it left in use, per annotated pod.
  template <typename Fill>
  void measure(const std::string& name, Fill fill) {
    const std::int64_t before = heap_in_use();
    fill();
    const std::int64_t grew = heap_in_use() - before;
    figures_[name] = {{"bytes", grew}, {"per_pod", static_cast<double>(grew) / per_}};
  }
  const json& figures() const { return figures_; }

 private:
  double per_;
  json figures_ = json::object();
};

struct LegacyKeyState {  // the reconciler's per-key state before session 7
  bool managed = false;
  std::map<int, std::size_t> skipped;
  std::set<std::string> skip_ids;
};

using PodInfos = std::vector<std::shared_ptr<const hso::reconciler::plan::PodInfo>>;

PodInfos measure_pods(HeapLedger& ledger, hso::controller::ScopeCaches& scope,
                      const std::vector<json>& pods) {
  ledger.measure("pods: store, index, PodInfo", [&] {
    for (const json& pod : pods)
      scope.pods->upsert(pod);
  });
  PodInfos infos;
  ledger.measure("pods: PodInfo alone (make_shared)", [&] {
    for (const json& pod : pods) {
      if (auto info = hso::reconciler::plan::project_pod(pod, kAnnotation);
          info && info->wants_service)
        infos.push_back(std::make_shared<const hso::reconciler::plan::PodInfo>(std::move(*info)));
    }
  });
  return infos;
}

// The stores are returned so that they stay alive while the next ones are measured.
std::vector<std::unique_ptr<PlainStore>> measure_owned(HeapLedger& ledger,
                                                       hso::controller::ScopeCaches& scope,
                                                       const std::vector<json>& services,
                                                       const std::vector<json>& slices) {
  std::vector<std::unique_ptr<PlainStore>> plain;
  plain.push_back(plain_store(hso::reconciler::plan::key_for_service, false));
  plain.push_back(plain_store(hso::reconciler::plan::key_for_endpoint_slice, true));
  ledger.measure("services: session 6 (plain, whole)", [&] {
    for (const json& service : services)
      plain[0]->upsert(service);
  });
  ledger.measure("services: now", [&] {
    for (const json& service : services)
      scope.services->upsert(service);
  });
  ledger.measure("slices: session 6 (plain, whole), with index", [&] {
    for (const json& slice : slices)
      plain[1]->upsert(slice);
  });
  ledger.measure("slices: now, with index", [&] {
    for (const json& slice : slices)
      scope.endpoint_slices->upsert(slice);
  });
  return plain;
}

// Replicas of the reconciler's and the Event recorder's per-key state, old and new form.
void measure_key_state(HeapLedger& ledger, const std::string& ns, const std::vector<json>& services,
                       const PodInfos& infos) {
  std::vector<std::string> keys;
  keys.reserve(services.size());
  for (const json& service : services)
    keys.push_back(*hso::reconciler::plan::key_for_service(service));
  std::map<std::string, LegacyKeyState> legacy_states;
  std::unordered_set<std::string> managed_keys;
  ledger.measure("reconciler key state: session 6 (map of KeyState)", [&] {
    for (const auto& key : keys)
      legacy_states[key].managed = true;
  });
  ledger.measure("reconciler key state: now (set of managed keys)", [&] {
    for (const auto& key : keys)
      managed_keys.insert(key);
  });
  std::vector<std::string> event_keys;
  for (const auto& info : infos)
    event_keys.push_back(hso::object_key(ns, hso::reconciler::event_name(*info, "ServiceCreated")));
  std::unordered_set<std::string> event_names;
  std::unordered_set<std::uint64_t> event_hashes;
  ledger.measure("event recorder: session 6 (set of names)", [&] {
    for (const auto& key : event_keys)
      event_names.insert(key);
  });
  ledger.measure("event recorder: now (set of 64-bit hashes)", [&] {
    for (const auto& key : event_keys)
      event_hashes.insert(std::hash<std::string>{}(key));
  });
}

}  // namespace

int run_memory(Args& args) {
  const std::string ns = args.text("namespace");
  args.finish();
  auto client = make_client(4);
  // Only the annotated pods: the caches keep nothing of the others (and 10,000 parsed pods
  // would take some 200 MB here).
  const auto pods = list_all(*client, hso::kube::kPods, ns, "", "v1", "Pod", [](const json& pod) {
    return hso::json_string_at(hso::metadata_child(pod, "annotations"), kAnnotation) == "true";
  });
  const auto services = list_all(*client, hso::kube::kServices, ns,
                                 hso::reconciler::plan::kOwnedServiceSelector, "v1", "Service");
  const auto slices = list_all(*client, hso::kube::kEndpointSlices, ns,
                               hso::reconciler::plan::kOwnedEndpointSliceSelector,
                               "discovery.k8s.io/v1", "EndpointSlice");
  client.reset();
  auto scope = hso::controller::make_scope_caches(ns, kAnnotation, false);
  HeapLedger ledger(static_cast<double>(std::max<std::size_t>(1, services.size())));
  const PodInfos infos = measure_pods(ledger, *scope, pods);
  const auto plain = measure_owned(ledger, *scope, services, slices);
  measure_key_state(ledger, ns, services, infos);
  print_json({{"scenario", "memory"},
              {"namespace", ns},
              {"pods", pods.size()},
              {"annotated_pods_kept", scope->pods->size()},
              {"services", services.size()},
              {"slices", slices.size()},
              {"sizeof_pod_info", sizeof(hso::reconciler::plan::PodInfo)},
              {"service_bytes", packed_sizes(services)},
              {"slice_bytes", packed_sizes(slices)},
              {"heap", ledger.figures()}});
  return 0;
}

}  // namespace bench
