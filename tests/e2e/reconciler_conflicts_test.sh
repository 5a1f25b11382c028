#!/usr/bin/env bash
# Reconciler cases 8 and 9 of issue 4: two pods that want one hostname, and a Service of that name
# that belongs to someone else.
# tests/e2e/lib, also from tests/e2e/pending/ (scripts parked until the operator passes them).
e2e_dir=$(dirname "${BASH_SOURCE[0]}")
[[ -f "${e2e_dir}/lib/common.sh" ]] || e2e_dir="${e2e_dir}/.."
# shellcheck source=lib/common.sh
source "${e2e_dir}/lib/common.sh"

e2e_init conflicts
start_operator main

# Case 8: two annotated pods with the same spec.hostname: the oldest wins, the other gets a Warning
# Event; when the winner is deleted the other takes over.
case_8() {
  make_pod c8-older true "hostname: c8-shared"
  local older_ip younger_ip created
  older_ip=$(wait_pod_ip c8-older)
  wait_for "slice for c8-shared with the older pod's ${older_ip}" 30 equals "${older_ip}" slice_ips_line c8-shared
  # creationTimestamp has a resolution of one second: make sure the second pod is strictly younger.
  created=$(date -d "$(field pod c8-older '{.metadata.creationTimestamp}')" +%s)
  wait_for "the clock to pass the older pod's creation second" 5 clock_past "${created}"
  make_pod c8-younger true "hostname: c8-shared"
  younger_ip=$(wait_pod_ip c8-younger)
  assert_ne "${older_ip}" "${younger_ip}" "the two pods' IPs"
  wait_for "a Warning Event regarding the younger pod c8-younger" 30 has_warning_event c8-younger
  say "events for c8-younger: $(pod_events c8-younger | paste -sd ';' -)"
  # The winner does not flap: the slice keeps the older pod's IP while we watch.
  holds_for "slice of c8-shared pointing at the older pod only" 5 equals "${older_ip}" slice_ips_line c8-shared
  assert_eq "Pod/c8-older/$(pod_uid c8-older)" "$(service_owner c8-shared)" "owner of Service c8-shared"
  wait_for "$(fqdn c8-shared) A ${older_ip}" 30 dns_answers A "$(fqdn c8-shared)" "${older_ip}"
  assert_eq 0 "$(warning_count c8-older)" "Warning Events regarding the winner c8-older"

  delete_pod c8-older
  wait_for "slice of c8-shared taken over by c8-younger (${younger_ip})" 30 equals "${younger_ip}" slice_ips_line c8-shared
  wait_for "Service c8-shared owned by c8-younger" 30 equals "Pod/c8-younger/$(pod_uid c8-younger)" service_owner c8-shared
  wait_for "$(fqdn c8-shared) A ${younger_ip}" 30 dns_answers A "$(fqdn c8-shared)" "${younger_ip}"
  holds_for "Service c8-shared staying (the garbage collector must not take it with the old owner)" 5 exists service c8-shared
}

# Case 9: a Service with the pod's name that the operator did not make (it has a selector and a
# port): left exactly as it was, a Warning Event on the pod, no EndpointSlice from the operator.
case_9() {
  k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Service
metadata:
  name: c9-taken
  namespace: ${ns}
  labels:
    owner: somebody-else
spec:
  selector:
    app: c9-nothing-matches
  ports:
  - name: http
    port: 80
    targetPort: 8080
EOF
  local before
  before=$(foreign_service_state)
  make_pod c9-taken
  make_pod c9-control
  local ip
  ip=$(wait_pod_ip c9-taken)
  wait_pod_ip c9-control >/dev/null
  wait_for "Service c9-control (the operator is working)" 30 exists service c9-control
  wait_for "a Warning Event regarding pod c9-taken" 30 has_warning_event c9-taken
  say "events for c9-taken: $(pod_events c9-taken | paste -sd ';' -)"
  assert_eq "${before}" "$(foreign_service_state)" "the foreign Service c9-taken (spec, labels, owners, resourceVersion)"
  holds_for "the foreign Service c9-taken untouched" 5 equals "${before}" foreign_service_state
  local mine
  mine=$(k -n "${ns}" get endpointslices -l "kubernetes.io/service-name=c9-taken,endpointslice.kubernetes.io/managed-by=${HSO_SLICE_MANAGED_BY}" -o name)
  assert_eq "" "${mine}" "the operator's EndpointSlices for c9-taken"
  if slice_ips c9-taken | grep -qxF "${ip}"; then
    fail "some EndpointSlice of c9-taken carries the pod's IP ${ip}: $(slice_summary c9-taken)"
  fi
}

foreign_service_state() {
  field service c9-taken '{.metadata.resourceVersion}|{.metadata.labels}|{.metadata.ownerReferences}|{.spec.selector}|{.spec.ports}|{.spec.clusterIP}|{.spec.type}'
}

run_case 8 "two pods, one hostname: oldest wins, Warning on the other, takeover on deletion" case_8
run_case 9 "foreign Service with the name: untouched, Warning Event, no slices" case_9
e2e_finish
