#include "hso/controller/scope_handlers.hpp"

#include "hso/reconciler/plan/keys.hpp"

namespace hso::controller {
namespace {

// Only pods that ask (or asked) for a Service produce work; status churn of other pods does not.
void enqueue_pod_changes(PodStore& pods, bool subdomain_records, workqueue::WorkQueue& queue) {
  auto enqueue = [&queue, subdomain_records](const PodStore::Ptr& pod) {
    if (!reconciler::plan::needs_attention(*pod))
      return;
    for (const std::string& key : reconciler::plan::keys_for_pod(*pod, subdomain_records))
      queue.add(key);
  };
  pods.on_add([enqueue](const std::string&, const PodStore::Ptr& added) { enqueue(added); });
  pods.on_update(
      [enqueue](const std::string&, const PodStore::Ptr& old_pod, const PodStore::Ptr& new_pod) {
        // Each side under its own key: the Service key follows the projection that asked.
        enqueue(old_pod);
        enqueue(new_pod);
      });
  pods.on_delete([enqueue](const std::string&, const PodStore::Ptr& last) { enqueue(last); });
}

// The key was worked out when the object entered the store (OwnedObject).
void enqueue_object_changes(ObjectStore& store, workqueue::WorkQueue& queue) {
  auto enqueue = [&queue](const ObjectStore::Ptr& object) {
    if (object->reconcile_key)
      queue.add(*object->reconcile_key);
  };
  store.on_add([enqueue](const std::string&, const ObjectStore::Ptr& added) { enqueue(added); });
  store.on_update([enqueue](const std::string&, const ObjectStore::Ptr&,
                            const ObjectStore::Ptr& updated) { enqueue(updated); });
  store.on_delete([enqueue](const std::string&, const ObjectStore::Ptr& last) { enqueue(last); });
}

}  // namespace

void enqueue_changes(ScopeCaches& scope, workqueue::WorkQueue& queue) {
  enqueue_pod_changes(*scope.pods, scope.subdomain_records, queue);
  enqueue_object_changes(*scope.services, queue);
  enqueue_object_changes(*scope.endpoint_slices, queue);
  if (scope.endpoints)
    enqueue_object_changes(*scope.endpoints, queue);
}

void list_keys(const ScopeCaches& scope, const runtime::KeySink& add) {
  for (const auto& pod : scope.pods->list()) {
    if (!reconciler::plan::needs_attention(*pod))
      continue;
    for (const std::string& key : reconciler::plan::keys_for_pod(*pod, scope.subdomain_records))
      add(key);
  }
  for (const auto* store : {scope.services.get(), scope.endpoint_slices.get()}) {
    for (const auto& object : store->list()) {
      if (object->reconcile_key)
        add(*object->reconcile_key);
    }
  }
}

}  // namespace hso::controller
