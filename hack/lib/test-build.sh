# shellcheck shell=bash
# What hack/run-tests.sh (`make test`) and hack/soak.sh (`make soak`) share: the progress lines,
# the dependencies, the ASan+UBSan build that both test, and the sanitizer options. Sourced from
# the repository's root.

step() { printf '\n==> %s\n' "$*" >&2; }

# test_build_deps: Debian packages, and the control-plane tools into their cache.
test_build_deps() {
  step "dependencies"
  hack/install-deps.sh
  hack/build-tools.sh >/dev/null
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
