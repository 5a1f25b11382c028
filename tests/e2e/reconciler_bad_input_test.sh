#!/usr/bin/env bash
# Issue 11 §4: pods and Leases a user (or another controller) can get wrong. Each input gets a
# clear answer, and nothing the operator does not own is lost: 253-character dotted pod names,
# hostNetwork pods sharing the node's IP, an IPv6-only pod, a pod that loses its IP, annotation
# values that are not "true", a namespace deleted under annotated pods, a Lease edited by hand
# into nonsense. (A Service created by someone else between the operator's read and its create is
# reconciler_conflicts_test.sh case 9 and ReconcilerTest.AForeignServiceIsLeftExactlyAsItWas:
# the caches never hold foreign Services, so every create of a taken name is that race.)
e2e_dir=$(dirname "${BASH_SOURCE[0]}")
[[ -f "${e2e_dir}/lib/common.sh" ]] || e2e_dir="${e2e_dir}/.."
# shellcheck source=lib/common.sh
source "${e2e_dir}/lib/common.sh"

e2e_init badinput
# A second namespace, deleted by case 6 while the operator serves it.
doomed=$(new_namespace badinput-doomed)
start_operator main --namespace "${ns},${doomed}"
wait_for_leader main

# repeat_char CHAR N
repeat_char() { printf "%${2}s" "" | tr ' ' "$1"; }

# Case 1: pod names of 253 characters with dots. The hostname is the first 63 characters, trimmed
# of trailing '-' and '.' (kubelet): a valid label gets its Service under that name; one with a dot
# gets a Warning Event and nothing else.
case_long_names() {
  local valid invalid hostname
  valid="b2-$(repeat_char a 60).$(repeat_char c 63).$(repeat_char d 63).$(repeat_char e 61)"
  invalid="b1.$(repeat_char x 63).$(repeat_char y 63).$(repeat_char z 63).$(repeat_char w 58)"
  assert_eq "253 253" "${#valid} ${#invalid}" "lengths of the test's pod names"
  hostname=${valid:0:63}
  make_pod "${valid}"
  make_pod "${invalid}"
  local ip
  ip=$(wait_pod_ip "${valid}")
  wait_for "Service ${hostname} (the 63-character hostname)" 30 exists service "${hostname}"
  wait_for "slice of ${hostname} with ${ip}" 30 equals "${ip}" slice_ips_line "${hostname}"
  wait_for "$(fqdn "${hostname}") A ${ip}" 30 dns_answers A "$(fqdn "${hostname}")" "${ip}"
  wait_for "a Warning Event on the dotted pod" 30 has_warning_event "${invalid}"
  assert_contains "$(pod_events "${invalid}")" InvalidHostname "events of the dotted pod"
  assert_eq 1 "$(k -n "${ns}" get services -o name | grep -c .)" \
    "Services in ${ns} (only the valid name's)"
}

# Case 2: hostNetwork pods share their node's IP: each hostname still gets its own Service, and
# both names answer that IP.
case_host_network() {
  local name ip node_ip=""
  for name in hn-a hn-b; do
    make_pod "${name}" true "hostNetwork: true"$'\n'"nodeName: kwok-node-0"
  done
  for name in hn-a hn-b; do
    ip=$(wait_pod_ip "${name}")
    [[ -z "${node_ip}" ]] || assert_eq "${node_ip}" "${ip}" "hostNetwork pods' IPs (the node's)"
    node_ip=${ip}
  done
  for name in hn-a hn-b; do
    wait_for "slice of ${name} with the node's IP ${node_ip}" 30 equals "${node_ip}" slice_ips_line "${name}"
    wait_for "$(fqdn "${name}") A ${node_ip}" 30 dns_answers A "$(fqdn "${name}")" "${node_ip}"
  done
  for name in hn-a hn-b; do
    if has_warning_event "${name}"; then fail "pod ${name} got a Warning Event: $(pod_events "${name}")"; fi
  done
}

# Case 3: an IPv6-only pod: its Service is IPv6, its one slice IPv6, AAAA answers and A does not.
case_ipv6_only() {
  local ip6="${TEST_NET6}::3"
  make_pod v6-only
  wait_pod_ip v6-only >/dev/null
  set_pod_ips v6-only "${ip6}"
  wait_for "an IPv6 slice for v6-only with ${ip6}" 30 equals "${ip6}" slice_ips_line v6-only IPv6
  wait_for "no IPv4 slice left for v6-only" 30 equals "" slice_ips_line v6-only IPv4
  wait_for "$(fqdn v6-only) AAAA ${ip6}" 30 dns_answers AAAA "$(fqdn v6-only)" "${ip6}"
  wait_for "$(fqdn v6-only) answers no A record" 30 equals "" dig_a "$(fqdn v6-only)"
  say "Service v6-only: ipFamilies=$(field service v6-only '{.spec.ipFamilies}')"
}

# Case 4: a published pod whose status loses its IPs (a status writer clearing them): its address is
# withdrawn, its Service kept; when an IP comes back it is published again.
case_ip_lost() {
  local ip second="${TEST_NET4}.44"
  make_pod ip-lost
  ip=$(wait_pod_ip ip-lost)
  wait_for "slice of ip-lost with ${ip}" 30 equals "${ip}" slice_ips_line ip-lost
  k -n "${ns}" patch pod ip-lost --subresource=status --type=merge \
    -p '{"status":{"podIP":null,"podIPs":null}}' >/dev/null || fail "cannot clear the pod's IPs"
  wait_for "no address left in the slices of ip-lost" 30 equals "" slice_ips_line ip-lost
  assert_present service ip-lost
  set_pod_ips ip-lost "${second}"
  wait_for "slice of ip-lost with ${second}" 30 equals "${second}" slice_ips_line ip-lost
}

# Case 5: annotation values that are not "true" get no Service and one Warning Event each saying
# what to write; "false" is a plain no. Fixing the value creates the Service.
case_annotation_values() {
  local pod value
  make_pod val-capital True
  make_pod val-space " true"
  make_pod val-yes yes
  make_pod val-false false
  for pod in val-capital val-space val-yes; do
    wait_for "a Warning Event on ${pod}" 30 has_warning_event "${pod}"
    value=$(pod_events "${pod}" | grep "^Warning ")
    assert_contains "${value}" AnnotationNotUnderstood "events of ${pod}"
    assert_contains "${value}" 'write exactly "true"' "events of ${pod}"
    say "${pod}: ${value}"
  done
  wait_for "pods_skipped{reason=annotation_value} = 3" 30 \
    equals 3 metric headless_service_operator_pods_skipped 'reason="annotation_value"'
  for pod in val-capital val-space val-yes val-false; do
    gone service "${pod}" || fail "pod ${pod} got a Service"
  done
  wait_pod_ip val-false >/dev/null
  if has_warning_event val-false; then fail "pod val-false got a Warning Event: $(pod_events val-false)"; fi
  k -n "${ns}" annotate pod val-capital --overwrite "${HSO_ANNOTATION}=true" >/dev/null
  wait_for "Service val-capital once the value is \"true\"" 30 exists service val-capital
  wait_for "pods_skipped{reason=annotation_value} = 2" 30 \
    equals 2 metric headless_service_operator_pods_skipped 'reason="annotation_value"'
}

# Case 6: a namespace deleted while its pods are annotated: the namespace goes away (the operator
# holds nothing up), the operator keeps serving the other namespace, and it does not hammer the
# API server with writes the terminating namespace refuses.
case_namespace_deleted() {
  local name writes_before writes_after
  for name in gone-0 gone-1 gone-2; do make_pod -n "${doomed}" "${name}"; done
  for name in gone-0 gone-1 gone-2; do
    wait_for "Service ${doomed}/${name}" 30 exists service "${name}" "${doomed}"
  done
  writes_before=$(api_writes main)
  k delete namespace "${doomed}" --wait=false >/dev/null
  wait_for "namespace ${doomed} to be gone" 120 gone namespace "${doomed}"
  writes_after=$(api_writes main)
  say "writes while the namespace was deleted: $((writes_after - writes_before)) ($(api_writes_breakdown main))"
  # Three Services' worth of writes at most per pod (slice updates for terminating, deletes),
  # not a retry storm against a namespace that refuses creates.
  ((writes_after - writes_before <= 30)) \
    || fail "$((writes_after - writes_before)) writes while ${doomed} was deleted"
  operator_alive main || fail "the operator exited"
  make_pod after-doomed
  wait_for "Service after-doomed (the operator still serves ${ns})" 30 exists service after-doomed
}

# lease_holder: the holder of the operator's Lease in $ns.
lease_holder() { field lease k8s-pod-headless-service-operator '{.spec.holderIdentity}'; }

# Case 7: the Lease edited by hand into nonsense (another holder, a one-second duration, a renew
# time centuries ahead, a huge transition count): the leader steps down without exiting, judges
# expiry by its own clock (not the record's timestamps) and leads again; pods are served after.
case_lease_nonsense() {
  local me
  me=$(lease_holder)
  [[ -n "${me}" ]] || fail "the Lease has no holder before the edit"
  k -n "${ns}" patch lease k8s-pod-headless-service-operator --type=merge -p '{"spec":{
    "holderIdentity":"nobody-runs-this","leaseDurationSeconds":1,
    "renewTime":"2999-01-01T00:00:00.000000Z","acquireTime":"1970-01-01T00:00:00.000000Z",
    "leaseTransitions":2147483647}}' >/dev/null || fail "cannot edit the Lease"
  wait_for "the operator to lead again" 40 equals "${me}" lease_holder
  operator_alive main || fail "the operator exited after the Lease was edited"
  wait_for "a log line saying the lease was lost" 10 grep -q -i 'lost\|stopped leading' "$(operator_log main)"
  say "Lease after: $(k -n "${ns}" get lease k8s-pod-headless-service-operator -o jsonpath='{.spec}')"
  make_pod after-lease
  wait_for "Service after-lease" 30 exists service after-lease
}

run_case 1 "253-character dotted pod names" case_long_names
run_case 2 "hostNetwork pods sharing the node's IP" case_host_network
run_case 3 "an IPv6-only pod" case_ipv6_only
run_case 4 "a pod that loses its IP and gets another" case_ip_lost
run_case 5 "annotation values True, ' true', yes, false" case_annotation_values
run_case 6 "a namespace deleted under annotated pods" case_namespace_deleted
run_case 7 "a Lease edited into nonsense" case_lease_nonsense
e2e_finish
