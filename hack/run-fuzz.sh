#!/usr/bin/env bash
# Builds the libFuzzer harnesses of tests/fuzz with clang into build-fuzz/, replays each one's
# corpus (tests/fuzz/corpus/<harness>/), then fuzzes each for FUZZ_SECONDS (default 60) and
# prints executions and findings per harness. New inputs go to a scratch folder, not to the
# repository's corpus; what a harness finds is kept in build-fuzz/findings/.
#   FUZZ_SECONDS=300 hack/run-fuzz.sh      # a longer run
#   FUZZ_HARNESSES="duration watch_decoder" hack/run-fuzz.sh
#   FUZZ_RUNS=10000000 hack/run-fuzz.sh    # stop each harness after this many executions instead
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build_dir=${FUZZ_BUILD_DIR:-build-fuzz}
seconds=${FUZZ_SECONDS:-60}
runs=${FUZZ_RUNS:-}
limit=(-max_total_time="$seconds")
budget="${seconds}s"
[[ -z "$runs" ]] || limit=(-runs="$runs")
[[ -z "$runs" ]] || budget="$runs runs"
jobs=${HSO_JOBS:-$(nproc)}

hack/install-fuzz-deps.sh
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DHSO_FUZZ=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C "$build_dir" -j "$jobs" fuzz-harnesses

dictionary_of() {
  case "$1" in
    kubeconfig) echo tests/fuzz/dict/kubeconfig.dict ;;
    command_line) echo tests/fuzz/dict/command_line.dict ;;
    duration) echo tests/fuzz/dict/duration.dict ;;
    health_query | scrape_authorization) echo "" ;;
    *) echo tests/fuzz/dict/json.dict ;;
  esac
}

harnesses=${FUZZ_HARNESSES:-$(cd tests/fuzz && ls fuzz_*.cpp | sed 's/^fuzz_//; s/\.cpp$//')}
scratch=$(mktemp -d "${TMPDIR:-/tmp}/hso-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
findings_dir="$root/$build_dir/findings"
mkdir -p "$findings_dir"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

summary=()
failed=0
for harness in $harnesses; do
  binary="$build_dir/tests/fuzz/fuzz_$harness"
  corpus="tests/fuzz/corpus/$harness"
  log="$scratch/$harness.log"
  dict=$(dictionary_of "$harness")
  dict_flag=()
  [[ -n "$dict" ]] && dict_flag=(-dict="$dict")
  echo "==> fuzz $harness: replay $(ls "$corpus" | wc -l) seeds, then $budget" >&2
  status=ok
  if ! "$binary" -runs=0 "${dict_flag[@]}" "$corpus" >"$log" 2>&1; then
    status="replay failed"
  else
    mkdir -p "$scratch/$harness"
    if ! "$binary" "${limit[@]}" -timeout=10 -print_final_stats=1 "${dict_flag[@]}" \
      -artifact_prefix="$findings_dir/$harness-" "$scratch/$harness" "$corpus" >"$log" 2>&1; then
      status="finding"
    fi
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  findings=0
  if [[ "$status" != ok ]]; then
    findings=1
    failed=1
    grep -E 'ERROR|property does not hold|runtime error|Test unit written|terminate' "$log" | head -5 >&2 || true
    echo "    full log: $findings_dir/$harness.log" >&2
    cp "$log" "$findings_dir/$harness.log"
  fi
  summary+=("$(printf '%-22s %14s %10s %9s  %s' "$harness" "${execs:-0}" "${rate:-0}" "$findings" "$status")")
done

printf '\n%-22s %14s %10s %9s  %s\n' harness executions execs/s findings status
printf '%s\n' "${summary[@]}"
exit "$failed"
