#!/usr/bin/env bash
# Reconciler cases 14 and 15 of issue 4: what changed while the operator was down is caught up on
# start, and a restart with nothing changed writes nothing.
# tests/e2e/lib, also from tests/e2e/pending/ (scripts parked until the operator passes them).
e2e_dir=$(dirname "${BASH_SOURCE[0]}")
[[ -f "${e2e_dir}/lib/common.sh" ]] || e2e_dir="${e2e_dir}/.."
# shellcheck source=lib/common.sh
source "${e2e_dir}/lib/common.sh"

e2e_init restart
start_operator main

# Case 14: operator stopped, an annotated pod deleted (and another one's annotation removed),
# operator started: no orphan Service or slices are left; the untouched pod keeps its Service.
case_14() {
  local name ip ip_keep
  for name in c14-deleted c14-unannotated c14-kept; do make_pod "${name}"; done
  for name in c14-deleted c14-unannotated c14-kept; do
    ip=$(wait_pod_ip "${name}")
    wait_for "slice for ${name} with ${ip}" 30 equals "${ip}" slice_ips_line "${name}"
  done
  ip_keep=$(pod_ip c14-kept)
  stop_operator main
  delete_pod c14-deleted
  k annotate pod -n "${ns}" c14-unannotated "${HSO_ANNOTATION}-" >/dev/null
  start_operator main
  wait_for_leader main
  wait_for "Service c14-deleted gone" 45 gone service c14-deleted
  wait_for "EndpointSlices of c14-deleted gone" 30 equals 0 slice_count c14-deleted
  wait_for "Service c14-unannotated gone" 45 gone service c14-unannotated
  wait_for "EndpointSlices of c14-unannotated gone" 30 equals 0 slice_count c14-unannotated
  assert_present service c14-kept
  assert_eq "${ip_keep}" "$(slice_ips_line c14-kept)" "slice of c14-kept"
  assert_present pod c14-unannotated
}

# Case 15: operator restarted with nothing changed: zero writes to services, endpointslices and
# endpoints once the new process has processed everything.
case_15() {
  make_pod c15-steady
  make_pod c15-hostname true "hostname: c15-alias"
  local ip ip_alias
  ip=$(wait_pod_ip c15-steady)
  ip_alias=$(wait_pod_ip c15-hostname)
  wait_for "slice for c15-steady with ${ip}" 30 equals "${ip}" slice_ips_line c15-steady
  wait_for "slice for c15-alias with ${ip_alias}" 30 equals "${ip_alias}" slice_ips_line c15-alias
  # The counter works: this operator has written (at least the two Services).
  local old_writes
  old_writes=$(api_writes main)
  awk -v n="${old_writes}" 'BEGIN { exit !(n >= 2) }' \
    || fail "the operator that made the Services reports ${old_writes} API writes; the write counter does not count"
  assert_restart_writes_nothing main
}

run_case 14 "pod deleted / annotation removed while the operator was down: no orphans" case_14
run_case 15 "restart with nothing changed: zero writes" case_15
e2e_finish
