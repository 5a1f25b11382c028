#!/usr/bin/env bash
# clang-tidy over src/ and bench/ with the checks of .clang-tidy (every enabled check is an error),
# plus clang's thread-safety analysis of the HSO_GUARDED_BY/HSO_REQUIRES annotations
# (include/hso/util/thread_annotations.hpp), which GCC cannot check.
#
# The compile commands come from a configure-only build folder (nothing is compiled), so the step
# does not depend on any other build. Usage: hack/run-clang-tidy.sh [FILE-REGEX]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build_dir=${HSO_TIDY_BUILD_DIR:-build-tidy}
jobs=${HSO_TIDY_JOBS:-2}
files=${1:-"^${root}/(src|bench)/"}

command -v run-clang-tidy >/dev/null || {
  echo "run-clang-tidy: not found (hack/install-deps.sh installs Debian's clang-tidy)" >&2
  exit 1
}

cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHSO_SANITIZE=OFF \
  -DHSO_TSAN=OFF -DHSO_BUILD_TESTS=OFF -DHSO_BUILD_BENCH=ON >/dev/null

# -Wthread-safety turns on clang-diagnostic-thread-safety-*; -Werror (from the project's flags)
# makes any of them, and any other clang warning, fail the run like the checks do.
nice -n 10 run-clang-tidy -p "$build_dir" -j "$jobs" -quiet \
  -extra-arg=-Wthread-safety "$files"
