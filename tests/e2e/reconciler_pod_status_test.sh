#!/usr/bin/env bash
# Reconciler cases 2, 12 and 13 of issue 4: the operator follows what pod status says (IP changes,
# dual-stack podIPs, terminal phases).
#
# How the status is changed: kwok (hack/local-cluster.sh) manages every node, and its only pod stage
# that writes status fires on Pending pods. So a pod is first made Running by kwok, and from then on
# the test owns status.podIP/podIPs/phase and writes them through the status subresource; kwok does
# not write them back. Test addresses come from documentation ranges (192.0.2.0/24, 2001:db8::/32),
# never from kwok's pod CIDR.
# tests/e2e/lib, also from tests/e2e/pending/ (scripts parked until the operator passes them).
e2e_dir=$(dirname "${BASH_SOURCE[0]}")
[[ -f "${e2e_dir}/lib/common.sh" ]] || e2e_dir="${e2e_dir}/.."
# shellcheck source=lib/common.sh
source "${e2e_dir}/lib/common.sh"

e2e_init podstatus
start_operator main

# Case 2: the pod's IP changes: the slice follows and DNS answers the new IP.
case_2() {
  make_pod c2-moving
  local first second="${TEST_NET4}.21"
  first=$(wait_pod_ip c2-moving)
  wait_for "slice for c2-moving with ${first}" 30 equals "${first}" slice_ips_line c2-moving
  wait_for "$(fqdn c2-moving) A ${first}" 30 dns_answers A "$(fqdn c2-moving)" "${first}"
  set_pod_ips c2-moving "${second}"
  assert_eq "${second}" "$(pod_ip c2-moving)" "pod status after the patch (kwok must not rewrite it)"
  wait_for "slice for c2-moving following to ${second}" 30 equals "${second}" slice_ips_line c2-moving
  # TTL is 5 s: the old answer may be served from cache for a few seconds.
  wait_for "$(fqdn c2-moving) A ${second}" 30 dns_answers A "$(fqdn c2-moving)" "${second}"
  assert_eq "${second}" "$(pod_ip c2-moving)" "pod status stays as written"
}

# Case 12: a dual-stack pod (podIPs IPv4 + IPv6): one slice per family, A and AAAA answer.
case_12() {
  make_pod c12-dual
  local ip4="${TEST_NET4}.112" ip6="${TEST_NET6}::112"
  wait_pod_ip c12-dual >/dev/null
  set_pod_ips c12-dual "${ip4}" "${ip6}"
  wait_for "Service c12-dual" 30 exists service c12-dual
  say "Service c12-dual: ipFamilyPolicy=$(field service c12-dual '{.spec.ipFamilyPolicy}') ipFamilies=$(field service c12-dual '{.spec.ipFamilies}')"
  wait_for "an IPv4 slice for c12-dual with ${ip4}" 30 equals "${ip4}" slice_ips_line c12-dual IPv4
  wait_for "an IPv6 slice for c12-dual with ${ip6}" 30 equals "${ip6}" slice_ips_line c12-dual IPv6
  local summary
  summary=$(slice_summary c12-dual)
  assert_eq 1 "$(grep -c ' IPv4 ' <<<"${summary}")" "IPv4 slices of c12-dual (${summary//$'\n'/; })"
  assert_eq 1 "$(grep -c ' IPv6 ' <<<"${summary}")" "IPv6 slices of c12-dual (${summary//$'\n'/; })"
  wait_for "$(fqdn c12-dual) A ${ip4}" 30 dns_answers A "$(fqdn c12-dual)" "${ip4}"
  wait_for "$(fqdn c12-dual) AAAA ${ip6}" 30 dns_answers AAAA "$(fqdn c12-dual)" "${ip6}"
}

# Case 13: pods in phase Succeeded or Failed: their address is withdrawn (slices and DNS).
case_13() {
  local name phase ip
  for name in c13-succeeded c13-failed; do make_pod "${name}"; done
  for name in c13-succeeded c13-failed; do
    ip=$(wait_pod_ip "${name}")
    wait_for "slice for ${name} with ${ip}" 30 equals "${ip}" slice_ips_line "${name}"
    wait_for "$(fqdn "${name}") A ${ip}" 30 dns_answers A "$(fqdn "${name}")" "${ip}"
  done
  for name in c13-succeeded c13-failed; do
    phase=Succeeded
    [[ "${name}" == *failed ]] && phase=Failed
    set_pod_phase "${name}" "${phase}"
    assert_eq "${phase}" "$(field pod "${name}" '{.status.phase}')" "phase of ${name} after the patch"
  done
  for name in c13-succeeded c13-failed; do
    ip=$(pod_ip "${name}")
    wait_for "address ${ip} of ${name} withdrawn from the slices" 30 equals "" slice_ips_line "${name}"
    wait_for "$(fqdn "${name}") no longer answering" 30 dns_answers A "$(fqdn "${name}")" ""
    say "${name}: Service $(if exists service "${name}"; then echo kept; else echo deleted; fi), slices: $(slice_count "${name}")"
  done
}

run_case 2 "pod IP changes: slice and DNS follow" case_2
run_case 12 "dual-stack pod: one slice per family, A and AAAA" case_12
run_case 13 "pod Succeeded/Failed: address withdrawn" case_13
e2e_finish
