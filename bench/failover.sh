#!/usr/bin/env bash
# bench/failover.sh REPEAT: figure 7 of BENCHMARKS.md. Failover of the leader, measured by
# tests/e2e/lib/ha.sh's ha_measure_failover (two replicas with the default timings, each behind
# its own proxy and identity; the time from the signal to the new leader's first write landing,
# from the API server's audit log) against the cluster in the environment, REPEAT times for
# SIGKILL and for SIGTERM. Prints one JSON line per run; progress goes to stderr.
# Needs HSO_OPERATOR_BINARY and the environment of `hack/local-cluster.sh env`.
set -euo pipefail
repeat=${1:-3}
e2e_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")/../tests/e2e/lib" && pwd)
export E2E_NAME=bench_failover E2E_OPERATOR_LOG_LEVEL=${E2E_OPERATOR_LOG_LEVEL:-info}
# shellcheck source=../tests/e2e/lib/common.sh
source "${e2e_lib}/common.sh"
# shellcheck source=../tests/e2e/lib/packaging.sh
source "${e2e_lib}/packaging.sh"
# shellcheck source=../tests/e2e/lib/ha.sh
source "${e2e_lib}/ha.sh"

ha_init failover
for ((r = 1; r <= repeat; r++)); do
  for mode in sigkill sigterm; do
    ms=$(ha_measure_failover "${mode}" 2)
    printf '{"mode":"%s","ms":%s}\n' "${mode}" "${ms}"
  done
done
