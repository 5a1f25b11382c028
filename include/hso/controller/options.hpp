#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "hso/reconciler/options.hpp"

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
  int workers = 4;
  // A pass over every key this often.
  std::chrono::milliseconds resync_period{600'000};
  reconciler::ReconcileOptions reconcile;
};

}  // namespace hso::controller
