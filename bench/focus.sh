#!/usr/bin/env bash
# The memory and burst figures of bench/run.sh alone (BENCHMARKS.md, Session 7), for a change that
# touches only them: about 6 minutes instead of 15, on the same private control plane and with the
# same Release operator at its shipped defaults. Prints JSON lines:
#   memory empty / grown / steady  resident set (VmRSS, VmHWM) as run.sh samples it; steady is after a
#                                  restart over HSO_BENCH_BIG_PODS pods, HSO_BENCH_BIG_ANNOTATED annotated
#   smaps empty                    the empty operator's resident set by mapping, and its threads
#   hso-bench memory               where each annotated pod's bytes go (scenario_memory.cpp)
#   throughput, floor, floor-patched   one run each (HSO_BENCH_THROUGHPUT_PODS; 0 skips them)
#   operator/server over ...       what the operator sent and what the API server answered and sent
#                                  to watchers over each of those (counters before and after: exact)
# Knobs: HSO_BENCH_BUILD_DIR, HSO_BENCH_KEEP=1, and those of run.sh it shares, with the same
# defaults (bench_knobs in bench/lib/common.sh): HSO_BENCH_BIG_PODS, HSO_BENCH_BIG_ANNOTATED,
# HSO_BENCH_THROUGHPUT_PODS (0 skips the throughput runs), HSO_BENCH_WORKERS, HSO_BENCH_QPS,
# HSO_BENCH_BURST.
set -euo pipefail
shopt -s inherit_errexit

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly lease_ns=hso-bench-system

# shellcheck source=bench/lib/common.sh
source "${root}/bench/lib/common.sh"
bench_knobs
bench_cluster_up "bench/focus.sh"
out=${work}/focus.jsonl

# Resident kB by mapping (file name, or [heap], [stack], [anon]), the threads and their stacks.
smaps_summary() {
  awk -v threads="$(status_kib Threads)" '
    /^[0-9a-f]+-[0-9a-f]+ / { name = (NF >= 6) ? $6 : "[anon]"; sub(/.*\//, "", name) }
    /^Size:/ { size = $2 }
    /^Rss:/ {
      rss[name] += $2
      # A thread stack: 8 MiB of anonymous memory less its guard page (a mapping of its own).
      if (name == "[anon]" && size >= 8180 && size <= 8192) { stacks++; stacks_rss += $2 }
    }
    END {
      printf "{\"phase\":\"smaps empty\",\"threads\":%d,\"stacks\":%d,\"stacks_rss_kib\":%d,\"rss_kib\":{", threads, stacks, stacks_rss
      n = 0
      for (m in rss) if (rss[m] > 0) { printf "%s\"%s\":%d", (n++ ? "," : ""), m, rss[m] }
      print "}}"
    }' "/proc/${op_pid}/smaps"
}

operator_requests() { curl -fsS "http://${metrics_addr}/metrics" | grep '^headless_service_operator_api_requests_total' || true; }
# What the API server answered, and the watch events (and their bytes) it sent, by kind.
server_counters() {
  k get --raw /metrics \
    | grep -E '^(apiserver_request_total|apiserver_watch_events_total|apiserver_watch_events_sizes_(sum|count))\{' || true
}
# counter_delta BEFORE AFTER LABEL: the series that grew, as a JSON object.
counter_delta() {
  awk -v label="$3" 'NR == FNR { before[$1] = $2; next }
    { d = $2 - before[$1]; if (d > 0) { s = $1; gsub(/"/, "", s); printf "%s\"%s\":%.0f", (n++ ? "," : "{\"" label "\":{"), s, d } }
    END { print (n ? "}}" : "{\"" label "\":{}}") }' "$1" "$2"
}

new_namespace "${lease_ns}"
say "operator on an empty cluster"
start_operator
follow_start "${work}/startup-empty.json"
settle 0
memory_sample empty
smaps_summary >>"${out}"

# counted NAME COMMAND...: runs COMMAND (its JSON line to the output) and writes what the operator
# sent and what the API server did over it, once the operator has settled.
counted() {
  local name=$1
  shift
  operator_requests >"${work}/op-before"
  server_counters >"${work}/server-before"
  "$@" >>"${out}"
  settle 0
  operator_requests >"${work}/op-after"
  server_counters >"${work}/server-after"
  counter_delta "${work}/op-before" "${work}/op-after" "operator over ${name}" >>"${out}"
  counter_delta "${work}/server-before" "${work}/server-after" "server over ${name}" >>"${out}"
}

if ((throughput_pods > 0)); then
  say "throughput: ${throughput_pods} pods ask at once; then both floors; each with its counters"
  new_namespace bench-tput-1
  counted throughput "${bench}" throughput --namespace=bench-tput-1 --pods="${throughput_pods}"
  new_namespace bench-floor-1
  counted floor "${bench}" write-floor --namespace=bench-floor-1 --count="${throughput_pods}" \
    --threads="${workers}"
  new_namespace bench-floor-patched-1
  counted floor-patched "${bench}" write-floor --namespace=bench-floor-patched-1 \
    --count="${throughput_pods}" --threads="${workers}" --patch-pods="${throughput_pods}"
fi

if ((throughput_pods > 0)); then
  say "clean up before the memory runs (as run.sh)"
  stop_operator
  mapfile -t doomed < <(k get namespaces -o name | grep '^namespace/bench-' || true)
  k delete --wait=false "${doomed[@]}" >/dev/null
  k wait --for=delete "${doomed[@]}" --timeout=600s >/dev/null 2>&1 || true
  start_operator
  follow_start "${work}/startup-clean.json"
  settle 0
fi

say "memory: ${big_pods} pods (${big_annotated} annotated) created while the operator runs"
new_namespace bench-memory
"${bench}" populate --namespace=bench-memory --pods="${big_pods}" --annotated="${big_annotated}" \
  >/dev/null
settle "${big_annotated}"
memory_sample grown
say "restart over them, then the steady figure"
stop_operator
start_operator
follow_start "${work}/startup-big.json"
settle "${big_annotated}"
memory_sample steady
"${bench}" memory --namespace=bench-memory >>"${out}"
stop_operator

cat "${work}/memory.jsonl" "${out}"
