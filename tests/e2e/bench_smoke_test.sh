#!/usr/bin/env bash
# The benchmark scenarios (bench/, `make bench`) on a few dozen pods, so that they keep working.
# Correctness only, never speed: every pod gets its Service and an EndpointSlice with its IP (and a
# CoreDNS answer for a sample), the operator's writes over a pod's life are the design's minimum,
# and a restarted operator writes nothing.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

[[ -n "${HSO_BENCH_BINARY:-}" && -x "${HSO_BENCH_BINARY}" ]] \
  || fail "HSO_BENCH_BINARY='${HSO_BENCH_BINARY:-}' is not an executable (build hso-bench)"
e2e_init bench
# Every namespace exists before the operator starts: it watches exactly these.
ns_lat=$(new_namespace bench-lat)
ns_burst=$(new_namespace bench-burst)
ns_tput=$(new_namespace bench-tput)

# The operator's write requests to Services, EndpointSlices, Endpoints and Events so far.
operator_writes() { api_write_samples main | awk '{ s += $NF } END { print s + 0 }'; }
operator_metrics() { printf '127.0.0.1:%s\n' "$(cat "$(operator_dir main)/metrics_port")"; }

case_lifecycle() {
  "${HSO_BENCH_BINARY}" lifecycle --namespace="${ns}" --pods=24 --operator-metrics="$(operator_metrics)" \
    --check=true >"${E2E_STATE}/lifecycle.json" || fail "writes over a pod's life: $(cat "${E2E_STATE}/lifecycle.json")"
}

case_latency() {
  "${HSO_BENCH_BINARY}" latency --namespace="${ns_lat}" --pods=20 --rate=40 --dns="${CLUSTER_DNS}" \
    --dns-every=5 --timeout=120 >"${E2E_STATE}/latency.json"
  grep -q '"dns_failures":0' "${E2E_STATE}/latency.json" \
    || fail "CoreDNS did not answer for every sampled pod: $(cat "${E2E_STATE}/latency.json")"
  "${HSO_BENCH_BINARY}" latency --namespace="${ns_burst}" --pods=20 --rate=0 --timeout=120 >/dev/null
}

case_throughput() {
  "${HSO_BENCH_BINARY}" throughput --namespace="${ns_tput}" --pods=20 --timeout=120 >/dev/null
  "${HSO_BENCH_BINARY}" write-floor --namespace="${ns_tput}" --count=20 >/dev/null
}

case_restart() {
  local keys=0 name
  for name in $(e2e_namespaces); do
    keys=$((keys + $(k -n "${name}" get services -l "${HSO_MANAGED_BY_LABEL}=${HSO_MANAGED_BY_VALUE}" --no-headers | wc -l)))
  done
  ((keys >= 40)) || fail "expected the Services of the earlier cases, found ${keys}"
  stop_operator main
  start_operator main --namespace "$(e2e_namespaces | paste -sd, -)"
  wait_for_leader main
  "${HSO_BENCH_BINARY}" wait-settled --operator-metrics="$(operator_metrics)" --reconciles="${keys}" \
    --timeout=120 >/dev/null
  assert_eq 0 "$(operator_writes)" "writes of a restarted operator over an unchanged world"
}

start_operator main --namespace "$(e2e_namespaces | paste -sd, -)" --kube-api-qps 500 --kube-api-burst 1000
wait_for_leader main
run_case 1 "writes over 24 pods' lives are the design's minimum" case_lifecycle
run_case 2 "latency scenario: every IP reaches a slice and CoreDNS (steady and burst)" case_latency
run_case 3 "throughput scenario and write floor complete" case_throughput
run_case 4 "a restarted operator writes nothing" case_restart
e2e_finish
