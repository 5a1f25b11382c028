# shellcheck shell=bash
# What hack/run-tests.sh (`make test`), hack/run-tsan.sh (`make tsan`) and hack/soak.sh (`make
# soak`) share: the progress lines, the dependencies, the sanitizer builds and their options, and
# the private control plane's teardown. Sourced from the repository's root.

# Each step says how far in it starts, so a log shows where the time goes (TESTING.md's figures).
step() { printf '\n==> [%dm%02ds] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*" >&2; }

# test_build_deps: Debian packages, and the control-plane tools into their cache.
test_build_deps() {
  step "dependencies"
  hack/install-deps.sh
  hack/build-tools.sh >/dev/null
}

# test_tools_start LOG: builds the Go tools (the control plane, then the chart and manifest
# checkers) into their caches in the background, output to LOG; test_tools_wait waits for them.
# On a fresh machine the Go builds keep the two cores busy only about half of the time (long
# single-package compiles and links), so the C++ build beside them fills the rest: measured in
# TESTING.md, "How long it takes". With the caches warm both return at once.
test_tools_start() {
  test_tools_log=$1
  step "Go tools (control plane, chart checkers) in the background (log: ${test_tools_log})"
  # A process group of its own (set -m), so that test_tools_stop can end all of it.
  set -m
  { hack/build-tools.sh && hack/build-lint-tools.sh; } >"${test_tools_log}" 2>&1 &
  test_tools_pid=$!
  set +m
}

# test_tools_stop: ends the background build if it still runs (for an EXIT trap).
test_tools_stop() {
  if [[ -n "${test_tools_pid:-}" ]] && kill -0 "${test_tools_pid}" 2>/dev/null; then
    kill -- -"${test_tools_pid}" 2>/dev/null || true
  fi
}

test_tools_wait() {
  step "waiting for the Go tools"
  if ! wait "${test_tools_pid}"; then
    echo "run-tests: building the Go tools failed; its log:" >&2
    tail -n 60 "${test_tools_log}" >&2
    return 1
  fi
  test_tools_pid=""
  grep -E 'built|using cached' "${test_tools_log}" >&2 || true
}

# test_build_asan DIR JOBS [TARGET...]: configures DIR for the sanitizer build (RelWithDebInfo)
# and builds TARGETs (everything when none is named).
test_build_asan() {
  local dir=$1 jobs=$2
  shift 2
  step "build (ASan+UBSan) in ${dir}"
  cmake -S . -B "${dir}" -G Ninja -DHSO_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  ninja -C "${dir}" -j "${jobs}" "$@"
}

# test_build_sanitizer_env: leaks are reported and every report ends the process, unless the
# caller set its own options.
test_build_sanitizer_env() {
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
}

# test_build_tsan DIR JOBS [BENCH]: the ThreadSanitizer build (it excludes ASan, hence a folder of
# its own; -O1 -g1 like the other instrumented builds). The benchmark binary only with BENCH=ON:
# of the TSan tests only bench_smoke_test.sh runs it, which make test leaves to make tsan.
test_build_tsan() {
  step "build (TSan) in $1"
  cmake -S . -B "$1" -G Ninja -DHSO_TSAN=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DHSO_BUILD_BENCH="${3:-OFF}" >/dev/null
  ninja -C "$1" -j "$2"
}

# test_tsan_env: any report fails (status 66 at the first one; the e2e scripts also look for one in
# each operator's log); tsan.supp says what is suppressed and why. Sets tsan_run, the prefix for
# commands that start TSan binaries: GCC 12's TSan runtime cannot place its shadow memory when the
# kernel randomises mmap with more than 28 bits, and without address randomisation (setarch -R,
# inherited by every child) it can.
test_tsan_env() {
  export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:exitcode=66:second_deadlock_stack=1:suppressions=$(pwd)/tsan.supp}
  tsan_run=()
  if (($(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null || echo 0) > 28)); then
    tsan_run=(setarch "$(uname -m)" -R)
  fi
}

# test_cluster_down STATUS: stops the private control plane in $LOCAL_CLUSTER_DIR. When STATUS
# (the run's exit status) is a failure the component logs stay there for diagnosis; otherwise the
# folder goes.
test_cluster_down() {
  if (($1 != 0)); then
    echo "$(basename "$0" .sh): failed; component logs are kept in $LOCAL_CLUSTER_DIR/logs" >&2
    LOCAL_CLUSTER_KEEP_LOGS=1 hack/local-cluster.sh down >&2 || true
  else
    hack/local-cluster.sh down >&2 || true
    rm -rf "$LOCAL_CLUSTER_DIR"
  fi
}
