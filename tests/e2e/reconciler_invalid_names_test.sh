#!/usr/bin/env bash
# Reconciler case 7 of issue 4: hostnames that cannot be a Service name (a DNS-1035 label) are
# reported once with a Warning Event on the pod, get no Service, and cause no retry storm.
# tests/e2e/lib, also from tests/e2e/pending/ (scripts parked until the operator passes them).
e2e_dir=$(dirname "${BASH_SOURCE[0]}")
[[ -f "${e2e_dir}/lib/common.sh" ]] || e2e_dir="${e2e_dir}/.."
# shellcheck source=lib/common.sh
source "${e2e_dir}/lib/common.sh"

e2e_init invalid
start_operator main

# Case 7.
case_7() {
  # A pod name may start with a digit or contain a dot (DNS-1123 subdomain); a spec.hostname may
  # start with a digit (DNS-1123 label). None of these can be a Service name.
  make_pod 7c-digit-first
  make_pod c7.with-dot
  make_pod c7-hostname true "hostname: 7host"
  # A valid pod created afterwards proves the operator is working through this namespace.
  make_pod c7-control
  local pod
  for pod in 7c-digit-first c7.with-dot c7-hostname c7-control; do wait_pod_ip "${pod}" >/dev/null; done
  wait_for "Service c7-control" 30 exists service c7-control
  for pod in 7c-digit-first c7.with-dot c7-hostname; do
    wait_for "a Warning Event regarding pod ${pod}" 30 has_warning_event "${pod}"
    say "events for ${pod}: $(pod_events "${pod}" | paste -sd ';' -)"
  done
  local services
  services=$(k -n "${ns}" get services -o jsonpath='{.items[*].metadata.name}')
  assert_eq c7-control "${services}" "Services in the namespace"
  assert_eq "" "$(k -n "${ns}" get endpointslices -o name -l "endpointslice.kubernetes.io/managed-by=${HSO_SLICE_MANAGED_BY}" \
    | grep -v c7-control || true)" "operator EndpointSlices other than c7-control's"

  # No retry storm: the operator's API writes and the Events stay flat while we watch.
  wait_stable "the operator's API writes" 30 3 api_writes main
  local writes
  writes=$(api_writes main)
  say "API writes so far: ${writes} ($(api_writes_breakdown main))"
  # At least c7-control's Service and slice were written: the counter counts.
  awk -v n="${writes}" 'BEGIN { exit !(n >= 2) }' || fail "only ${writes} API writes counted; the write counter does not count"
  unchanged_for "the operator's API writes (services, endpointslices, endpoints, events)" 8 api_writes main
  unchanged_for "the Events regarding the invalid pods" 2 invalid_pod_events
}

invalid_pod_events() {
  local pod
  for pod in 7c-digit-first c7.with-dot c7-hostname; do
    k -n "${ns}" get events.events.k8s.io \
      -o jsonpath='{range .items[*]}{.regarding.name}{" "}{.metadata.resourceVersion}{" "}{.series.count}{"\n"}{end}' \
      | awk -v pod="${pod}" '$1 == pod'
  done
}

run_case 7 "hostname that cannot be a Service name: Warning Event, no Service, no retry storm" case_7
e2e_finish
