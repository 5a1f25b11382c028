#!/usr/bin/env bash
# Reconciler case 16 of issue 4: which pods the operator looks at (--namespace, a list of
# namespaces, --pod-selector).
# tests/e2e/lib, also from tests/e2e/pending/ (scripts parked until the operator passes them).
e2e_dir=$(dirname "${BASH_SOURCE[0]}")
[[ -f "${e2e_dir}/lib/common.sh" ]] || e2e_dir="${e2e_dir}/.."
# shellcheck source=lib/common.sh
source "${e2e_dir}/lib/common.sh"

e2e_init filters

# Case 16a: an annotated pod in a namespace outside --namespace is never touched.
case_16a() {
  local outside
  outside=$(new_namespace filters-outside)
  start_operator main
  make_pod -n "${outside}" c16-outside
  wait_pod_ip c16-outside "${outside}" >/dev/null
  # A pod in the watched namespace, created after the outside one, is handled: by then the outside
  # pod's events have long reached the operator, had it been watching.
  make_pod c16-inside
  local ip
  ip=$(wait_pod_ip c16-inside)
  wait_for "slice for c16-inside with ${ip}" 30 equals "${ip}" slice_ips_line c16-inside
  holds_for "no Service in ${outside}" 3 holds_no_service "${outside}"
  assert_eq 0 "$(k -n "${outside}" get endpointslices -o name | grep -c . || true)" "EndpointSlices in ${outside}"
  stop_operator main
}

# Case 16b: --namespace with a list of two namespaces serves both (and a third is left alone).
case_16b() {
  local first second third
  first=$(new_namespace filters-list-a)
  second=$(new_namespace filters-list-b)
  third=$(new_namespace filters-list-c)
  start_operator list --namespace "${first},${second}" --leader-election-namespace "${first}"
  make_pod -n "${third}" c16-third
  make_pod -n "${first}" c16-first
  make_pod -n "${second}" c16-second
  local ip1 ip2
  ip1=$(wait_pod_ip c16-first "${first}")
  ip2=$(wait_pod_ip c16-second "${second}")
  wait_pod_ip c16-third "${third}" >/dev/null
  wait_for "slice for c16-first in ${first}" 30 equals "${ip1}" slice_ips_line c16-first "" "${first}"
  wait_for "slice for c16-second in ${second}" 30 equals "${ip2}" slice_ips_line c16-second "" "${second}"
  wait_for "$(fqdn c16-first "${first}") A ${ip1}" 30 dns_answers A "$(fqdn c16-first "${first}")" "${ip1}"
  wait_for "$(fqdn c16-second "${second}") A ${ip2}" 30 dns_answers A "$(fqdn c16-second "${second}")" "${ip2}"
  holds_for "no Service in ${third}" 3 holds_no_service "${third}"
  stop_operator list
}

# Case 16c: --pod-selector: an annotated pod that does not match gets no Service.
case_16c() {
  local selns
  selns=$(new_namespace filters-selector)
  start_operator selector --namespace "${selns}" --leader-election-namespace "${selns}" \
    --pod-selector "e2e.hso/dns=yes"
  make_pod -n "${selns}" c16-unlabelled
  make_pod -n "${selns}" -l e2e.hso/dns=no c16-other-value
  make_pod -n "${selns}" -l e2e.hso/dns=yes c16-matching
  wait_pod_ip c16-unlabelled "${selns}" >/dev/null
  wait_pod_ip c16-other-value "${selns}" >/dev/null
  local ip
  ip=$(wait_pod_ip c16-matching "${selns}")
  wait_for "slice for c16-matching with ${ip}" 30 equals "${ip}" slice_ips_line c16-matching "" "${selns}"
  holds_for "only c16-matching has a Service" 3 equals "service/c16-matching" k -n "${selns}" get services -o name
  stop_operator selector
}

run_case 16a "namespace filter: a pod outside --namespace is never touched" case_16a
run_case 16b "namespace filter: a list of two namespaces" case_16b
run_case 16c "--pod-selector: a non-matching annotated pod gets no Service" case_16c
e2e_finish
