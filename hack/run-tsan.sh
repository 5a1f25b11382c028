#!/usr/bin/env bash
# `make tsan`: every tier with the ThreadSanitizer build, every end-to-end script included (make
# test runs the HA and reconciler ones; TESTING.md, "Data races", says why not all of them fit
# its hour). Installs what is missing, builds build-tsan, runs the unit tier, then brings up a
# private local control plane and runs the integration tier and every e2e script with the TSan
# operator. Any report fails its test (status 66; the e2e helpers also read each operator's log).
#
# Knobs: HSO_TSAN_E2E (a ctest regex over the e2e scripts, default every one), HSO_JOBS.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${HSO_JOBS:-$(nproc)}
e2e=${HSO_TSAN_E2E:-'^e2e\.'}

# shellcheck source=hack/lib/test-build.sh
source hack/lib/test-build.sh

test_build_deps
hack/build-lint-tools.sh >/dev/null
test_build_tsan build-tsan "$jobs" ON
test_tsan_env

step "unit tests (TSan)"
"${tsan_run[@]}" ctest --test-dir build-tsan -L '^unit$' -j "$jobs" --output-on-failure

step "local control plane"
LOCAL_CLUSTER_DIR=$(mktemp -d "${TMPDIR:-/tmp}/hso-tsan-cluster.XXXXXX")
export LOCAL_CLUSTER_DIR
cleanup() {
  local code=$?
  test_cluster_down "$code"
  exit "$code"
}
trap cleanup EXIT
eval "$(hack/local-cluster.sh up)"

step "integration tests (TSan)"
"${tsan_run[@]}" ctest --test-dir build-tsan -L '^integration$' --output-on-failure
step "end-to-end tests (TSan): ${e2e}"
"${tsan_run[@]}" ctest --test-dir build-tsan -L '^e2e$' -R "$e2e" --output-on-failure
step "done"
