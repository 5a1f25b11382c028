#pragma once

#include "hso/controller/caches.hpp"
#include "hso/runtime/key_reconciler.hpp"
#include "hso/workqueue/work_queue.hpp"

// How the caches of a scope turn into work: the keys their changes enqueue, and the keys a pass
// over everything visits. Both speak reconcile keys, "<namespace>/<service name>".
namespace hso::controller {

// Connects the handlers by which a change in one of the scope's stores adds the key it concerns
// to `queue`: a pod that asks (or asked) for a Service its Service key, under each side of an
// update; an owned object the key worked out when it entered its store. Call before the stores
// are fed.
void enqueue_changes(ScopeCaches& scope, workqueue::WorkQueue& queue);

// Hands `add` every key the scope's caches know: those of the pods that ask for a Service, of
// the owned Services and of the owned EndpointSlices.
void list_keys(const ScopeCaches& scope, const runtime::KeySink& add);

}  // namespace hso::controller
