#!/usr/bin/env bash
# `make test`: install what is missing, build with ASan+UBSan, run the unit tier, then bring up a
# private local control plane and run the integration and end-to-end tiers against it.
# The ThreadSanitizer build runs the unit, integration and end-to-end tiers again (TESTING.md,
# "Data races"), and clang-tidy runs with clang's thread-safety analysis ("Static analysis").
# For a quicker local run, HSO_TEST_TSAN=0 and HSO_TEST_TIDY=0 leave them out; CI keeps both.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build_dir=${HSO_TEST_BUILD_DIR:-build-asan}
jobs=${HSO_JOBS:-$(nproc)}
tsan=${HSO_TEST_TSAN:-1}
tidy=${HSO_TEST_TIDY:-1}
# The end-to-end scripts run again with the TSan operator: every one whose operator threads
# matter (TESTING.md says which are left out and why).
tsan_e2e=${HSO_TSAN_E2E:-'^e2e\.(ha|reconciler)_'}

step() { printf '\n==> %s\n' "$*" >&2; }

step "dependencies"
hack/install-deps.sh
hack/build-tools.sh >/dev/null
# The chart and manifest checkers of tests/e2e/packaging_lint_test.sh (a cache of their own).
hack/build-lint-tools.sh >/dev/null

step "format"
hack/check-format.sh

step "build (ASan+UBSan) in $build_dir"
cmake -S . -B "$build_dir" -G Ninja -DHSO_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C "$build_dir" -j "$jobs"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

step "unit tests"
ctest --test-dir "$build_dir" -L '^unit$' -j "$jobs" --output-on-failure

# The shipped build (Dockerfile, make build) is -O3, where GCC finds warnings that the sanitizer
# build does not; -Werror there too.
step "release build (-O3, -Werror) in build-release"
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DHSO_SANITIZE=OFF \
  -DHSO_BUILD_TESTS=OFF -DHSO_BUILD_BENCH=ON >/dev/null
ninja -C build-release -j "$jobs" k8s-pod-headless-service-operator hso-bench

# Data races: the unit, integration, HA and reconciler tiers again, built with ThreadSanitizer
# (it excludes ASan, hence a build of its own). -O1 -g1 (line tables for the reports) builds
# faster than -O2 -g and is what TSan is made for. No benchmark binary: no TSan test runs it.
# Any report fails: the process exits with status 66 at the first one, and the e2e scripts also
# look for a report in each operator's log. tsan.supp says what is suppressed and why.
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:exitcode=66:second_deadlock_stack=1:suppressions=$root/tsan.supp}
# GCC 12's TSan runtime cannot place its shadow memory when the kernel randomises mmap with more
# than 28 bits; without address randomisation (setarch -R, inherited by every child) it can.
tsan_run=()
if (($(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null || echo 0) > 28)); then
  tsan_run=(setarch "$(uname -m)" -R)
fi
if ((tsan)); then
  step "build (TSan) in build-tsan"
  cmake -S . -B build-tsan -G Ninja -DHSO_TSAN=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DHSO_BUILD_BENCH=OFF >/dev/null
  ninja -C build-tsan -j "$jobs"
  step "unit tests (TSan)"
  "${tsan_run[@]}" ctest --test-dir build-tsan -L '^unit$' -j "$jobs" --output-on-failure
fi

if ((tidy)); then
  step "clang-tidy (with clang's thread-safety analysis)"
  hack/run-clang-tidy.sh
fi

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

if ((tsan)); then
  step "integration and end-to-end tests (TSan)"
  "${tsan_run[@]}" ctest --test-dir build-tsan -L '^integration$' --output-on-failure
  "${tsan_run[@]}" ctest --test-dir build-tsan -L '^e2e$' -R "${tsan_e2e}" --output-on-failure
fi
