#!/usr/bin/env bash
# Reconciler cases 1, 3, 4, 5 and 6 of issue 4, against the real control plane and the real binary:
# the lifecycle of one annotated pod's headless Service, EndpointSlice and DNS name.
# tests/e2e/lib, also from tests/e2e/pending/ (scripts parked until the operator passes them).
e2e_dir=$(dirname "${BASH_SOURCE[0]}")
[[ -f "${e2e_dir}/lib/common.sh" ]] || e2e_dir="${e2e_dir}/.."
# shellcheck source=lib/common.sh
source "${e2e_dir}/lib/common.sh"

e2e_init basic
start_operator main

# Case 1: an annotated pod that gets an IP gets a headless, selector-less Service owned by the pod,
# an EndpointSlice with its IP, and <hostname>.<ns>.svc.cluster.local resolves to it.
case_1() {
  make_pod c1-web
  local ip uid
  ip=$(wait_pod_ip c1-web)
  uid=$(pod_uid c1-web)
  wait_for "Service c1-web" 30 exists service c1-web
  assert_eq None "$(field service c1-web '{.spec.clusterIP}')" "Service c1-web spec.clusterIP"
  assert_eq "" "$(field service c1-web '{.spec.selector}')" "Service c1-web spec.selector"
  assert_eq "Pod/c1-web/${uid}" "$(service_owner c1-web)" "Service c1-web owner references"
  wait_for "an EndpointSlice for c1-web with ${ip}" 30 equals "${ip}" slice_ips_line c1-web IPv4
  wait_for "$(fqdn c1-web) A ${ip}" 30 dns_answers A "$(fqdn c1-web)" "${ip}"
  say "$(fqdn c1-web) -> ${ip}"
}

# Case 3: the pod is deleted: its Service and slices go, and the name stops resolving.
case_3() {
  make_pod c3-gone
  local ip
  ip=$(wait_pod_ip c3-gone)
  wait_for "slice for c3-gone with ${ip}" 30 equals "${ip}" slice_ips_line c3-gone
  delete_pod c3-gone
  wait_for "Service c3-gone deleted" 30 gone service c3-gone
  wait_for "EndpointSlices of c3-gone deleted" 30 equals 0 slice_count c3-gone
  wait_for "$(fqdn c3-gone) no longer resolving" 30 dns_answers A "$(fqdn c3-gone)" ""
}

# Case 4: the annotation is removed, or set to anything but "true": Service and slices go, the pod
# stays. A pod annotated "false" from the start never gets one.
case_4() {
  make_pod c4-removed
  make_pod c4-false
  make_pod c4-never false
  wait_pod_ip c4-removed >/dev/null
  wait_pod_ip c4-false >/dev/null
  wait_pod_ip c4-never >/dev/null
  wait_for "Service c4-removed" 30 exists service c4-removed
  wait_for "Service c4-false" 30 exists service c4-false
  k annotate pod -n "${ns}" c4-removed "${HSO_ANNOTATION}-" >/dev/null
  k annotate pod -n "${ns}" c4-false --overwrite "${HSO_ANNOTATION}=false" >/dev/null
  wait_for "Service c4-removed deleted after the annotation was removed" 30 gone service c4-removed
  wait_for "Service c4-false deleted after the annotation became \"false\"" 30 gone service c4-false
  wait_for "EndpointSlices of c4-removed deleted" 30 equals 0 slice_count c4-removed
  wait_for "EndpointSlices of c4-false deleted" 30 equals 0 slice_count c4-false
  assert_present pod c4-removed
  assert_present pod c4-false
  assert_absent service c4-never
  assert_eq 0 "$(slice_count c4-never)" "EndpointSlices of c4-never"
}

# Case 5: spec.hostname names the Service (not the pod name).
case_5() {
  make_pod c5-pod true "hostname: c5-host"
  local ip
  ip=$(wait_pod_ip c5-pod)
  wait_for "Service c5-host" 30 exists service c5-host
  wait_for "slice for c5-host with ${ip}" 30 equals "${ip}" slice_ips_line c5-host
  wait_for "$(fqdn c5-host) A ${ip}" 30 dns_answers A "$(fqdn c5-host)" "${ip}"
  assert_absent service c5-pod
  assert_eq "Pod/c5-pod/$(pod_uid c5-pod)" "$(service_owner c5-host)" "Service c5-host owner references"
}

# Case 6: a pod name over 63 characters: the Service takes the kubelet's hostname, cut to 63 and
# trailing '-'/'.' trimmed. Here character 63 is a '-', so the name is cut to 62.
case_6() {
  local base="c6-a-rather-long-pod-name-for-the-truncation-case-0123456789ab"
  local name="${base}-zz-tail"
  ((${#base} == 62 && ${#name} > 63)) || fail "test bug: base is ${#base} long"
  [[ "${name:0:63}" == "${base}-" ]] || fail "test bug: character 63 is not '-'"
  make_pod "${name}"
  local ip
  ip=$(wait_pod_ip "${name}")
  wait_for "Service ${base} (the truncated hostname)" 30 exists service "${base}"
  wait_for "slice for ${base} with ${ip}" 30 equals "${ip}" slice_ips_line "${base}"
  wait_for "$(fqdn "${base}") A ${ip}" 30 dns_answers A "$(fqdn "${base}")" "${ip}"
  assert_eq "Pod/${name}/$(pod_uid "${name}")" "$(service_owner "${base}")" "Service ${base} owner references"
}

run_case 1 "annotated pod with an IP: headless Service, EndpointSlice, DNS" case_1
run_case 3 "pod deleted: Service and slices go" case_3
run_case 4 "annotation removed or not \"true\": Service and slices go, pod stays" case_4
run_case 5 "spec.hostname names the Service" case_5
run_case 6 "pod name over 63 characters: truncated hostname" case_6
e2e_finish
