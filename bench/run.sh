#!/usr/bin/env bash
# The benchmarks of BENCHMARKS.md (`make bench`): brings up a private local control plane (kwok
# simulates the nodes), runs the Release operator against it, drives the scenarios of hso-bench,
# reads the operator's /proc and both /metrics pages, prints a table and writes
# bench/results/latest.json.
#
# Knobs (environment):
#   HSO_BENCH_BUILD_DIR   where the Release build is (default build/)
#   HSO_BENCH_RESULTS     where latest.json goes (default bench/results)
#   HSO_BENCH_LATENCY_PODS=1000  HSO_BENCH_RATE=10
#   HSO_BENCH_REPEAT=3    throughput/floor and start-up repetitions
#   HSO_BENCH_LIFECYCLE_PODS=100
#   HSO_BENCH_LIMITED_QPS_PODS=200  pods of a throughput run with --kube-api-qps=20 (0: skip)
#   HSO_BENCH_IDLE_RESYNC=5s  HSO_BENCH_IDLE_PASSES=6  resync period and passes of the idle window
#   HSO_BENCH_FAILOVER_REPEAT=3  SIGKILL and SIGTERM failovers each (bench/failover.sh; 0: skip)
#   HSO_BENCH_KEEP=1      keep the work folder (operator logs, raw JSON)
#   and those bench/focus.sh shares (bench_knobs in bench/lib/common.sh): HSO_BENCH_THROUGHPUT_PODS,
#   HSO_BENCH_BIG_PODS, HSO_BENCH_BIG_ANNOTATED, HSO_BENCH_WORKERS, HSO_BENCH_QPS, HSO_BENCH_BURST
set -euo pipefail
shopt -s inherit_errexit

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
latency_pods=${HSO_BENCH_LATENCY_PODS:-1000}
rate=${HSO_BENCH_RATE:-10}
repeat=${HSO_BENCH_REPEAT:-3}
lifecycle_pods=${HSO_BENCH_LIFECYCLE_PODS:-100}
limited_qps_pods=${HSO_BENCH_LIMITED_QPS_PODS:-200}
idle_resync=${HSO_BENCH_IDLE_RESYNC:-5s}
idle_passes=${HSO_BENCH_IDLE_PASSES:-6}
failover_repeat=${HSO_BENCH_FAILOVER_REPEAT:-3}
readonly lease_ns=hso-bench-system managed_label=app.kubernetes.io/managed-by=k8s-pod-headless-service-operator

# shellcheck source=bench/lib/common.sh
source "${root}/bench/lib/common.sh"
bench_knobs
bench_cluster_up "make bench"

# ---------------------------------------------------------------------------

new_namespace "${lease_ns}"
say "operator on an empty cluster"
start_operator
follow_start "${work}/startup-empty.json"
settle 0
memory_sample empty

say "writes per pod: ${lifecycle_pods} pods created, given an IP, IP changed, deleted"
new_namespace bench-writes
"${bench}" lifecycle --namespace=bench-writes --pods="${lifecycle_pods}" \
  --operator-metrics="${metrics_addr}" >"${work}/lifecycle.json"

say "latency: ${latency_pods} pods at ${rate} pods/s"
new_namespace bench-lat-steady
cpu_phase latency-steady "${bench}" latency --namespace=bench-lat-steady --pods="${latency_pods}" \
  --rate="${rate}" --dns="${CLUSTER_DNS}" --dns-every=20 \
  --coredns-metrics="${CLUSTER_DNS_METRICS}" >"${work}/latency-steady.json"

say "latency: ${latency_pods} pods at once"
new_namespace bench-lat-burst
cpu_phase latency-burst "${bench}" latency --namespace=bench-lat-burst --pods="${latency_pods}" \
  --rate=0 --dns="${CLUSTER_DNS}" --dns-every=50 \
  --coredns-metrics="${CLUSTER_DNS_METRICS}" >"${work}/latency-burst.json"

for ((r = 1; r <= repeat; r++)); do
  say "throughput ${r}/${repeat}: ${throughput_pods} pods ask at once; then the write floors"
  new_namespace "bench-tput-${r}"
  cpu_phase throughput "${bench}" throughput --namespace="bench-tput-${r}" \
    --pods="${throughput_pods}" >>"${work}/throughput.jsonl"
  new_namespace "bench-floor-${r}"
  "${bench}" write-floor --namespace="bench-floor-${r}" --count="${throughput_pods}" \
    --threads="${workers}" >>"${work}/floor.jsonl"
  # The like-for-like floor: the same creates beside the driver's own pod patches, which the
  # throughput window holds too (BENCHMARKS.md, Session 7).
  new_namespace "bench-floor-patched-${r}"
  "${bench}" write-floor --namespace="bench-floor-patched-${r}" --count="${throughput_pods}" \
    --threads="${workers}" --patch-pods="${throughput_pods}" >>"${work}/floor-patched.jsonl"
done

say "restart: SIGTERM, start again with --resync-period=${idle_resync}; writes until settled"
settle 0
keys=$(owned_services)
"${bench}" snapshot >"${work}/restart-before.json"
stop_operator
start_operator --resync-period="${idle_resync}"
follow_start "${work}/startup-restart.json"
settle "${keys}"
"${bench}" snapshot >"${work}/restart-after.json"
"${bench}" diff --before="${work}/restart-before.json" --after="${work}/restart-after.json" \
  >"${work}/restart.json"

idle_seconds=$(awk -v p="${idle_resync%s}" -v n="${idle_passes}" 'BEGIN {print p * n}')
say "idle: ${idle_passes} resync passes over ${keys} keys (${idle_seconds}s = $((idle_passes * 10)) min at the default period)"
reconciles() { curl -fsS "http://${metrics_addr}/metrics" | awk '/^headless_service_operator_reconciles_total/ {s += $NF} END {print s + 0}'; }
reconciles0=$(reconciles)
"${bench}" snapshot >"${work}/idle-before.json"
sleep "${idle_seconds}" # the observation window is the measured quantity, not a synchronisation
"${bench}" snapshot >"${work}/idle-after.json"
reconciles1=$(reconciles)
"${bench}" diff --before="${work}/idle-before.json" --after="${work}/idle-after.json" \
  | sed "s/}\$/,\"keys\":${keys},\"reconciles\":$((reconciles1 - reconciles0))}/" \
    >"${work}/idle.json"
stop_operator

for ((r = 1; r <= repeat; r++)); do
  say "takeover ${r}/${repeat}: ${throughput_pods} annotated pods wait while the bench holds the Lease"
  new_namespace "bench-takeover-${r}"
  "${bench}" takeover --phase=prepare --namespace="bench-takeover-${r}" \
    --pods="${throughput_pods}" --lease-namespace="${lease_ns}" >/dev/null
  start_operator
  "${bench}" startup --pid="${op_pid}" --probes="${probes_addr}" >/dev/null
  cpu_phase takeover "${bench}" takeover --phase=measure --namespace="bench-takeover-${r}" \
    --pods="${throughput_pods}" --lease-namespace="${lease_ns}" >>"${work}/takeover.jsonl"
  stop_operator
done

if ((limited_qps_pods > 0)); then
  say "throughput with a client-side limit (--kube-api-qps=20 --kube-api-burst=30): ${limited_qps_pods} pods"
  start_operator --kube-api-qps=20 --kube-api-burst=30
  follow_start "${work}/startup-limited-qps.json"
  new_namespace bench-tput-limited
  "${bench}" throughput --namespace=bench-tput-limited --pods="${limited_qps_pods}" \
    >"${work}/throughput-limited-qps.json"
  stop_operator
fi

say "clean up before the memory runs"
mapfile -t doomed < <(k get namespaces -o name | grep '^namespace/bench-' || true)
if ((${#doomed[@]} > 0)); then
  k delete --wait=false "${doomed[@]}" >/dev/null
  k wait --for=delete "${doomed[@]}" --timeout=600s >/dev/null 2>&1 || true
  ! k get namespaces -o name | grep -q "^namespace/bench-" || die "bench namespaces still there after 600 s"
fi
start_operator
follow_start "${work}/startup-clean.json"
settle 0

say "memory: ${big_pods} pods (${big_annotated} annotated) created while the operator runs"
new_namespace bench-memory
cpu_phase populate "${bench}" populate --namespace=bench-memory --pods="${big_pods}" \
  --annotated="${big_annotated}" >"${work}/populate.json"
settle "${big_annotated}"
memory_sample grown
for ((r = 1; r <= repeat; r++)); do
  say "start-up ${r}/${repeat} with ${big_pods} pods"
  settle 0
  "${bench}" snapshot >"${work}/big-restart-before.json"
  stop_operator
  start_operator
  follow_start "${work}/startup-big-${r}.json"
  settle "${big_annotated}"
  "${bench}" snapshot >"${work}/big-restart-after.json"
  "${bench}" diff --before="${work}/big-restart-before.json" \
    --after="${work}/big-restart-after.json" >>"${work}/big-restart.jsonl"
  memory_sample "steady-${r}"
done
"${bench}" list --path=/api/v1/pods --repeat=5 >"${work}/list.json"

stop_operator

if ((failover_repeat > 0)); then
  say "failover: ${failover_repeat} x SIGKILL and SIGTERM of the leader of two replicas (tests/e2e/lib/ha.sh)"
  HSO_OPERATOR_BINARY=${operator} "${root}/bench/failover.sh" "${failover_repeat}" \
    >"${work}/failover.jsonl" 2>"${work}/failover.log" \
    || say "failover measurement failed (kept: ${work}/failover.log): $(tail -n 3 "${work}/failover.log")"
fi

{
  printf '{"date":"%s","nproc":%s,"mem_total_kib":%s,"os":"%s","kernel":"%s",' \
    "$(date -u +%FT%TZ)" "$(nproc)" "$(awk '/MemTotal/ {print $2}' /proc/meminfo)" \
    "$(awk -F= '$1 == "PRETTY_NAME" {gsub(/"/, "", $2); print $2}' /etc/os-release)" "$(uname -r)"
  printf '"operator_commit":"%s","operator_version":"%s",' \
    "$(git -C "${root}" rev-parse --short=12 HEAD)$(git -C "${root}" diff --quiet HEAD -- src include || printf '+dirty')" \
    "$("${operator}" version 2>/dev/null | head -n 1)"
  printf '"kube_apiserver":"%s","etcd":"%s","kwok":"%s","coredns":"%s",' \
    "$(kube-apiserver --version 2>/dev/null)" "$(etcd --version 2>/dev/null | head -n 1)" \
    "$(kwok --version 2>/dev/null | head -n 1)" "$(coredns -version 2>/dev/null | head -n 1)"
  printf '"settings":{"latency_pods":%s,"rate":%s,"throughput_pods":%s,"repeat":%s,"lifecycle_pods":%s,"big_pods":%s,"big_annotated":%s,"qps":%s,"burst":%s,"workers":%s,"idle_resync":"%s","idle_passes":%s},' \
    "${latency_pods}" "${rate}" "${throughput_pods}" "${repeat}" "${lifecycle_pods}" "${big_pods}" \
    "${big_annotated}" "\"${qps:-default}\"" "\"${burst:-default}\"" "${workers}" "${idle_resync}" "${idle_passes}"
  printf '"wall_seconds":%s}\n' "$((SECONDS - started))"
} >"${work}/meta.json"
mkdir -p "${results_dir}"
"${bench}" report --dir="${work}" --out="${results_dir}/latest.json"
say "results: ${results_dir}/latest.json (wall time $((SECONDS - started)) s)"
