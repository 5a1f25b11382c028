#pragma once

#include "hso/config/operator_config.hpp"
#include "hso/controller/headless_service_controller.hpp"
#include "hso/reconciler/plan/options.hpp"
#include "hso/runtime/worker_options.hpp"

// The command line turned into each component's own options. Only app/ sees config/; the
// components below it are told what they need in structs of their own.
namespace hso::app {

reconciler::plan::ReconcileOptions reconcile_options(const config::OperatorConfig& config);
runtime::WorkerOptions worker_options(const config::OperatorConfig& config);
controller::ControllerOptions controller_options(const config::OperatorConfig& config);

}  // namespace hso::app
