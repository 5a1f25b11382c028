#!/usr/bin/env bash
# Issue 11 §3: the chaos soak (tests/e2e/lib/soak.sh). Three replicas with leader election under
# continuous pod churn; every fault of the schedule once per round (leader SIGKILL and SIGTERM,
# watch streams reset, the leader blackholed, real 429s from Priority and Fairness, etcd killed,
# an etcd compaction that forces 410 relists, the API server frozen for longer than the lease,
# the API server killed); after each, the invariant checker waits for convergence.
#
# It kills etcd and the API server, so it brings up a control plane of its own (about 15 s) and
# tears it down after: the cluster the other e2e scripts share is never touched. In `make test`
# it runs one round (SOAK_ROUNDS, default 1); `make soak` (hack/soak.sh) runs rounds for
# SOAK_MINUTES. Writes the results table to SOAK_RESULTS (default: a file in TMPDIR, printed)
# and fails on any violation.
set -euo pipefail
soak_test_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
soak_source_dir=${HSO_SOURCE_DIR:-$(cd "${soak_test_dir}/../.." && pwd)}

# The outer run: the private control plane around the inner run (this script again).
if [[ -z "${SOAK_PRIVATE_CLUSTER:-}" ]]; then
  cluster_dir=$(mktemp -d "${TMPDIR:-/tmp}/hso-soak-cluster.XXXXXX")
  export LOCAL_CLUSTER_DIR=${cluster_dir}
  soak_down() {
    local rc=$?
    if ((rc != 0)); then
      echo "soak_test: failed; the private control plane's logs are kept in ${cluster_dir}/logs" >&2
      LOCAL_CLUSTER_KEEP_LOGS=1 "${soak_source_dir}/hack/local-cluster.sh" down >&2 || true
    else
      "${soak_source_dir}/hack/local-cluster.sh" down >&2 || true
      rm -rf "${cluster_dir}"
    fi
    exit "${rc}"
  }
  trap soak_down EXIT
  env_lines=$("${soak_source_dir}/hack/local-cluster.sh" up)
  eval "${env_lines}"
  SOAK_PRIVATE_CLUSTER=${cluster_dir} HSO_SOURCE_DIR=${soak_source_dir} bash "${BASH_SOURCE[0]}"
  exit 0
fi

# shellcheck source=lib/common.sh
source "${soak_test_dir}/lib/common.sh"
# shellcheck source=lib/packaging.sh
source "${soak_test_dir}/lib/packaging.sh"
# shellcheck source=lib/ha.sh
source "${soak_test_dir}/lib/ha.sh"
# shellcheck source=lib/apf.sh
source "${soak_test_dir}/lib/apf.sh"
# shellcheck source=lib/soak.sh
source "${soak_test_dir}/lib/soak.sh"

SOAK_ROUNDS=${SOAK_ROUNDS:-1}
# With SOAK_MINUTES, rounds start until that much time has passed (at least one).
SOAK_MINUTES=${SOAK_MINUTES:-}
SOAK_RESULTS=${SOAK_RESULTS:-${TMPDIR:-/tmp}/hso-soak-$(date -u +%Y%m%dT%H%M%SZ).md}
# Tokens for the replicas that outlast the run.
export PKG_TOKEN_DURATION=$((${SOAK_MINUTES:-10} + 60))m
# A small ASan quarantine (freed memory ASan holds back, 256 MiB by default): resident memory then
# levels off within a round, and growth from round to round means memory the operator keeps.
export ASAN_OPTIONS="${ASAN_OPTIONS:+${ASAN_OPTIONS}:}quarantine_size_mb=16"
# Info level: a debug log of every churn event for minutes is large.
export E2E_OPERATOR_LOG_LEVEL=${E2E_OPERATOR_LOG_LEVEL:-info}

ha_init soak
soak_init
trap soak_cleanup EXIT
soak_cleanup() {
  local rc=$?
  set +e
  soak_churn_stop
  (exit "${rc}")
  ha_cleanup
}

soak_main() {
  local round=1 started=${SECONDS}
  soak_setup
  while :; do
    soak_round "${round}"
    if [[ -n "${SOAK_MINUTES}" ]]; then
      ((SECONDS - started < SOAK_MINUTES * 60)) || break
    else
      ((round < SOAK_ROUNDS)) || break
    fi
    round=$((round + 1))
  done
  soak_churn_stop
  local rc=0
  soak_report "${SOAK_RESULTS}" || rc=1
  cat "${SOAK_RESULTS}" >&2
  say "results: ${SOAK_RESULTS}"
  ((rc == 0)) || fail "violations (see ${SOAK_RESULTS})"
}

run_case 1 "chaos soak: every fault, the invariants hold after each, no violation" soak_main
e2e_finish
