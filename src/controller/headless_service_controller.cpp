#include "hso/controller/headless_service_controller.hpp"

#include <spdlog/spdlog.h>

#include <memory>
#include <utility>

#include "hso/reconciler/event_recorder.hpp"

namespace hso::controller {
HeadlessServiceController::HeadlessServiceController(kube::ApiClient& reader,
                                                     kube::ApiClient& writer,
                                                     const ControllerOptions& options,
                                                     ControllerMetrics metrics,
                                                     std::string instance_id, const Clock& clock)
    : watches_(reader, options, metrics.watch, clock),
      // Events go out beside the reconciles, not inside them: a new pod's Service and slice are
      // written back to back and its Event follows (as client-go's recorder does).
      events_(std::make_unique<reconciler::ApiEventRecorder>(writer, metrics.reconcile, clock,
                                                             std::move(instance_id))),
      reconciler_(writer, watches_.pods(), watches_.directory(), events_, metrics.reconcile, clock,
                  options.reconcile),
      key_reconciler_(reconciler_),
      runtime_(watches_, key_reconciler_, options.worker_options, clock, &metrics.queue) {
  watches_.enqueue_changes(runtime_.queue());
}

HeadlessServiceController::~HeadlessServiceController() {
  stop();
}

void HeadlessServiceController::stop_workers() {
  runtime_.stop_workers();
  spdlog::info("reconcile workers stopped; caches kept");
}

void HeadlessServiceController::stop() {
  runtime_.stop();
  events_.stop();
  watches_.stop();
}

}  // namespace hso::controller
