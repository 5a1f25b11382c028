#pragma once

#include <string>
#include <vector>

#include "hso/reconciler/plan/options.hpp"
#include "hso/runtime/worker_options.hpp"

namespace hso::controller {

// What the controller is told; app/ fills it in from the command line
// (app/component_options.hpp), so the controller never sees the command line.
struct ControllerOptions {
  // Empty: all namespaces; else one set of caches per namespace. Also reconcile.namespaces.
  std::vector<std::string> namespaces;
  // The annotation a pod asks for its Service with.
  std::string pod_annotation;
  // The label selector of the pod watch, applied server-side (empty: every pod).
  std::string pod_selector;
  // A label selector over Namespaces (namespace_selection.hpp); empty: every namespace, and no
  // Namespace watch. Only with `namespaces` empty.
  std::string namespace_selector;
  runtime::WorkerOptions worker_options;
  reconciler::plan::ReconcileOptions reconcile;
};

}  // namespace hso::controller
