#!/usr/bin/env bash
# `make test`: install what is missing, build with ASan+UBSan (the Go tools build beside it), run
# the unit tier, then bring up a private local control plane and run the integration and
# end-to-end tiers against it (the chaos soak's short round among them). Beside those tiers, which
# mostly wait on the control plane, the other checks build and run at the lowest CPU priority: the
# ThreadSanitizer build in one chain, the container image (whose build stage is the -O3 -Werror
# `make build`) and the fuzz corpora replay in another. The TSan build then runs the unit,
# integration and end-to-end tiers again (TESTING.md, "Data races") while the second chain may
# still be going; the image then runs against the same control plane (tests/e2e/image_run.sh).
# clang-tidy is `make tidy` (CI runs it after this): about 14 CPU-minutes that would take make
# test on a fresh machine over its hour; HSO_TEST_TIDY=1 puts it beside the tests again.
# For a quicker local run, HSO_TEST_TSAN=0 leaves the TSan tiers out, HSO_TEST_IMAGE=0 the image
# (then the -O3 -Werror build runs on the host instead); CI keeps both.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build_dir=${HSO_TEST_BUILD_DIR:-build-asan}
jobs=${HSO_JOBS:-$(nproc)}
tsan=${HSO_TEST_TSAN:-1}
tidy=${HSO_TEST_TIDY:-0}
image=${HSO_TEST_IMAGE:-1}
# The end-to-end scripts that run again with the TSan operator: every one (TESTING.md, "Data
# races"; about 3 minutes more than the HA and reconciler ones alone).
tsan_e2e=${HSO_TSAN_E2E:-'^e2e\.'}

# shellcheck source=hack/lib/test-build.sh
source hack/lib/test-build.sh

step "dependencies"
# The image's tools too, now: an apt-get of hack/image.sh beside the tests could meet another's lock.
image_tools=()
((image)) && image_tools=(buildah mmdebstrap runc)
hack/install-deps.sh "${image_tools[@]}"
# The control plane's programs and the chart and manifest checkers of
# tests/e2e/packaging_lint_test.sh, built beside the ASan build and the unit tier.
tools_log=$(mktemp "${TMPDIR:-/tmp}/hso-test-tools.XXXXXX.log")
test_tools_start "$tools_log"
trap test_tools_stop EXIT

step "format"
hack/check-format.sh

test_build_asan "$build_dir" "$jobs"
test_build_sanitizer_env

step "unit tests"
ctest --test-dir "$build_dir" -L '^unit$' -j "$jobs" --output-on-failure

test_tools_wait
rm -f "$tools_log"

# The checks that need no control plane, run beside the tiers that do, at the lowest CPU priority
# (the tests keep their CPU), in two chains with a log each; the first failure ends a chain.
# The TSan build comes first in its own chain, so that its tiers can start as soon as the ASan
# ones end, while the other chain (release build, fuzz) goes on beside them.
side_tsan() {
  renice -n 19 "$BASHPID" >/dev/null
  # With the benchmark binary: bench_smoke_test.sh drives the TSan operator with it.
  test_build_tsan build-tsan "$jobs" ON
}
side_other() {
  renice -n 19 "$BASHPID" >/dev/null
  # The shipped build is -O3, where GCC finds warnings that the sanitizer build does not; -Werror
  # there too. The image's build stage is that build (`make build` in the Dockerfile), so the
  # image is built here as users build it, and run once the tests end.
  if ((image)); then
    step "container image (hack/image.sh; its build stage is make build: -O3, -Werror)"
    hack/image.sh >"$image_ref"
  else
    step "release build (-O3, -Werror) in build-release"
    cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DHSO_SANITIZE=OFF \
      -DHSO_BUILD_TESTS=OFF -DHSO_BUILD_BENCH=OFF >/dev/null
    ninja -C build-release -j "$jobs" k8s-pod-headless-service-operator
  fi
  # Every libFuzzer harness of tests/fuzz replays its corpus (each past finding included), then
  # fuzzes for a few seconds: a decoder change that breaks on a known input fails here.
  step "fuzz: replay the corpora, then ${HSO_FUZZ_SECONDS:-5}s per harness (clang, build-fuzz)"
  FUZZ_SECONDS=${HSO_FUZZ_SECONDS:-5} HSO_JOBS="$jobs" hack/run-fuzz.sh
  if ((tidy)); then
    step "clang-tidy (with clang's thread-safety analysis)"
    hack/run-clang-tidy.sh
  fi
}

step "local control plane"
cluster_dir=$(mktemp -d "${TMPDIR:-/tmp}/hso-test-cluster.XXXXXX")
export LOCAL_CLUSTER_DIR="$cluster_dir"
side_pids=()
cleanup() {
  local code=$?
  local pid
  for pid in "${side_pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -- -"$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
    fi
  done
  test_cluster_down "$code"
  exit "$code"
}
trap cleanup EXIT
eval "$(hack/local-cluster.sh up)"

# wait_side NAME PID LOG: waits for a chain of checks and fails with the end of its log.
wait_side() {
  local status=0
  step "waiting for the checks beside the tests: $1"
  wait "$2" || status=$?
  grep -E '^==> ' "$3" >&2 || true
  if ((status != 0)); then
    echo "run-tests: a check beside the tests failed ($1, status $status); its log:" >&2
    tail -n 80 "$3" >&2
    exit "$status"
  fi
}

# Beside the components' logs, so that a failed run keeps them with them.
other_log="$cluster_dir/logs/checks-beside.log"
tsan_log="$cluster_dir/logs/checks-beside-tsan.log"
image_ref="$cluster_dir/image-ref"
step "beside the tests: image (or release build), fuzz replay (log: $other_log)"
# Process groups of their own (set -m), so that cleanup can stop all of each.
set -m
side_other >"$other_log" 2>&1 &
other_pid=$!
side_pids+=("$other_pid")
if ((tsan)); then
  step "beside the tests: TSan build (log: $tsan_log)"
  side_tsan >"$tsan_log" 2>&1 &
  tsan_pid=$!
  side_pids+=("$tsan_pid")
fi
set +m

step "integration and end-to-end tests"
ctest --test-dir "$build_dir" -L '^(integration|e2e)$' --output-on-failure

if ((tsan)); then
  wait_side "TSan build" "$tsan_pid" "$tsan_log"
  test_tsan_env
  step "unit tests (TSan)"
  "${tsan_run[@]}" ctest --test-dir build-tsan -L '^unit$' -j "$jobs" --output-on-failure
  step "integration and end-to-end tests (TSan)"
  "${tsan_run[@]}" ctest --test-dir build-tsan -L '^integration$' --output-on-failure
  "${tsan_run[@]}" ctest --test-dir build-tsan -L '^e2e$' -R "${tsan_e2e}" --output-on-failure
fi

wait_side "image (or release build), fuzz" "$other_pid" "$other_log"
grep -A 14 '^harness ' "$other_log" >&2 || true

if ((image)); then
  step "the image, run as the Deployment runs it (tests/e2e/image_run.sh)"
  HSO_IMAGE=$(tail -n 1 "$image_ref") HSO_SOURCE_DIR="$root" \
    HSO_OPERATOR_BINARY="$root/$build_dir/k8s-pod-headless-service-operator" \
    bash tests/e2e/image_run.sh
fi

step "done"
