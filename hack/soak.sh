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
build_dir=${HSO_TEST_BUILD_DIR:-build-asan}
jobs=${HSO_JOBS:-$(nproc)}

step() { printf '\n==> %s\n' "$*" >&2; }

step "dependencies"
hack/install-deps.sh
hack/build-tools.sh >/dev/null

if [[ -z "${HSO_OPERATOR_BINARY:-}" ]]; then
  # The configuration `make test` builds and tests (hack/run-tests.sh): sanitizer reports in the
  # replicas' logs are violations.
  step "build (ASan+UBSan) in ${build_dir}"
  cmake -S . -B "${build_dir}" -G Ninja -DHSO_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  ninja -C "${build_dir}" -j "${jobs}" k8s-pod-headless-service-operator
  HSO_OPERATOR_BINARY="${root}/${build_dir}/k8s-pod-headless-service-operator"
fi
export HSO_OPERATOR_BINARY HSO_SOURCE_DIR="${root}"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export SOAK_MINUTES=${SOAK_MINUTES:-10}
mkdir -p "${root}/soak-results"
export SOAK_RESULTS=${SOAK_RESULTS:-${root}/soak-results/soak-$(date -u +%Y%m%dT%H%M%SZ).md}

step "chaos soak for ${SOAK_MINUTES} minutes (results: ${SOAK_RESULTS})"
rc=0
bash tests/e2e/soak_test.sh || rc=$?
printf '\nsoak: results in %s (exit status %s)\n' "${SOAK_RESULTS}" "${rc}" >&2
exit "${rc}"
