#!/usr/bin/env bash
# `make test`: install what is missing, build with ASan+UBSan, run the unit tier, then bring up a
# private local control plane and run the integration and end-to-end tiers against it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build_dir=${HSO_TEST_BUILD_DIR:-build-asan}
jobs=${HSO_JOBS:-$(nproc)}

# shellcheck source=hack/lib/test-build.sh
source hack/lib/test-build.sh

test_build_deps
# The chart and manifest checkers of tests/e2e/packaging_lint_test.sh (a cache of their own).
hack/build-lint-tools.sh >/dev/null

step "format"
hack/check-format.sh

test_build_asan "$build_dir" "$jobs"
test_build_sanitizer_env

step "unit tests"
ctest --test-dir "$build_dir" -L '^unit$' -j "$jobs" --output-on-failure

# The shipped build (Dockerfile, make build) is -O3, where GCC finds warnings that the sanitizer
# build does not; -Werror there too.
step "release build (-O3, -Werror) in build-release"
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DHSO_SANITIZE=OFF \
  -DHSO_BUILD_TESTS=OFF -DHSO_BUILD_BENCH=ON >/dev/null
ninja -C build-release -j "$jobs" k8s-pod-headless-service-operator hso-bench

step "local control plane"
cluster_dir=$(mktemp -d "${TMPDIR:-/tmp}/hso-test-cluster.XXXXXX")
export LOCAL_CLUSTER_DIR="$cluster_dir"
cleanup() {
  local code=$?
  if ((code != 0)); then
    echo "run-tests: failed; component logs are kept in $cluster_dir/logs" >&2
    LOCAL_CLUSTER_KEEP_LOGS=1 hack/local-cluster.sh down >&2 || true
  else
    hack/local-cluster.sh down >&2 || true
    rm -rf "$cluster_dir"
  fi
  exit "$code"
}
trap cleanup EXIT
eval "$(hack/local-cluster.sh up)"

step "integration and end-to-end tests"
ctest --test-dir "$build_dir" -L '^(integration|e2e)$' --output-on-failure
