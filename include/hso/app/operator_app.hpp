#pragma once

#include "hso/config/operator_config.hpp"

namespace hso::app {

// The `run` command: connects to the API server, serves metrics and probes, takes part in leader
// election and runs the controller until a termination signal (exit 0) or a lost lease (exit 1).
// Returns the process exit code; configuration problems are logged as one clear line.
int run_operator(const config::OperatorConfig& config);

}  // namespace hso::app
