#!/usr/bin/env bash
# `make soak`: the chaos soak of issue 11 §3 for SOAK_MINUTES (default 10). Installs what is
# missing, builds the ASan+UBSan operator into build-asan (unless HSO_OPERATOR_BINARY names one),
# then runs tests/e2e/soak_test.sh, which brings up a control plane of its own in a temporary
# folder (it kills etcd and the API server), starts rounds of every fault until SOAK_MINUTES have
# passed, and tears the control plane down. The results table goes to SOAK_RESULTS (default
# soak-results/soak-<time>.md in the repository; the path is printed); the exit status is 0 only
# if no invariant was violated.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
# shellcheck source=hack/lib/test-build.sh
source hack/lib/test-build.sh

test_build_deps
if [[ -z "${HSO_OPERATOR_BINARY:-}" ]]; then
  # The build `make test` tests: a sanitizer report in a replica's log is a violation.
  test_build_asan "${HSO_TEST_BUILD_DIR:-build-asan}" "${HSO_JOBS:-$(nproc)}" k8s-pod-headless-service-operator
  HSO_OPERATOR_BINARY="${root}/${HSO_TEST_BUILD_DIR:-build-asan}/k8s-pod-headless-service-operator"
fi
export HSO_OPERATOR_BINARY HSO_SOURCE_DIR="${root}"
test_build_sanitizer_env
export SOAK_MINUTES=${SOAK_MINUTES:-10}
mkdir -p "${root}/soak-results"
export SOAK_RESULTS=${SOAK_RESULTS:-${root}/soak-results/soak-$(date -u +%Y%m%dT%H%M%SZ).md}

step "chaos soak for ${SOAK_MINUTES} minutes (results: ${SOAK_RESULTS})"
rc=0
bash tests/e2e/soak_test.sh || rc=$?
printf '\nsoak: results in %s (exit status %s)\n' "${SOAK_RESULTS}" "${rc}" >&2
exit "${rc}"
