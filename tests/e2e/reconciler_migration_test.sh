#!/usr/bin/env bash
# Reconciler case 17 of issue 4 (migration from the original Go operator) and --legacy-endpoints.
#
# The original made, for an annotated pod, a Service named after the pod (clusterIP None, no
# selector, no ports, no labels, the pod's annotations copied) and a core/v1 Endpoints of the same
# name with the pod IP (no ports, no labels). kube-controller-manager mirrors such Endpoints into an
# EndpointSlice managed by endpointslicemirroring-controller.k8s.io.
# tests/e2e/lib, also from tests/e2e/pending/ (scripts parked until the operator passes them).
e2e_dir=$(dirname "${BASH_SOURCE[0]}")
[[ -f "${e2e_dir}/lib/common.sh" ]] || e2e_dir="${e2e_dir}/.."
# shellcheck source=lib/common.sh
source "${e2e_dir}/lib/common.sh"

e2e_init migration

# legacy_objects NAMESPACE NAME IP: what the original operator left behind.
legacy_objects() {
  k create -f - >/dev/null 2>&1 <<EOF || fail "cannot create the original operator's objects $1/$2"
apiVersion: v1
kind: Service
metadata:
  name: $2
  namespace: $1
  annotations:
    ${HSO_ANNOTATION}: "true"
spec:
  clusterIP: None
---
apiVersion: v1
kind: Endpoints
metadata:
  name: $2
  namespace: $1
  annotations:
    ${HSO_ANNOTATION}: "true"
subsets:
- addresses:
  - ip: $3
EOF
}

# only_operator_slices NAMESPACE SERVICE IP: every slice of SERVICE is the operator's, with IP.
only_operator_slices() {
  local summary
  summary=$(slice_summary "$2" "$1")
  [[ -n "${summary}" ]] || {
    echo "no slices"
    return 1
  }
  if grep -v -q " ${HSO_SLICE_MANAGED_BY} " <<<"${summary}"; then
    echo "slices not managed by the operator: ${summary}"
    return 1
  fi
  [[ "$(slice_ips_line "$2" "" "$1")" == "$3" ]] || {
    echo "addresses '$(slice_ips_line "$2" "" "$1")', want '$3'"
    return 1
  }
}

# Case 17a: with --adopt-legacy (the default) the Service is adopted, not reported as a conflict,
# and the legacy Endpoints (and so their mirrored slice) are deleted.
case_17a() {
  make_pod c17-legacy
  local ip svc_uid
  ip=$(wait_pod_ip c17-legacy)
  legacy_objects "${ns}" c17-legacy "${ip}"
  svc_uid=$(svc_uid c17-legacy)
  # The mirroring controller copies the unlabelled Endpoints; wait for that so the starting state is
  # what a real cluster migrating from the original has.
  wait_for "the mirrored EndpointSlice of the legacy Endpoints" 30 mirrored_slice_present "${ns}" c17-legacy
  start_operator main
  wait_for "Service c17-legacy labelled ${HSO_MANAGED_BY_LABEL}=${HSO_MANAGED_BY_VALUE}" 30 \
    equals "${HSO_MANAGED_BY_VALUE}" field service c17-legacy "{.metadata.labels.app\.kubernetes\.io/managed-by}"
  wait_for "Service c17-legacy owned by the pod" 30 equals "Pod/c17-legacy/$(pod_uid c17-legacy)" service_owner c17-legacy
  assert_eq "${svc_uid}" "$(svc_uid c17-legacy)" "uid of Service c17-legacy (adopted in place, not recreated)"
  wait_for "legacy Endpoints c17-legacy deleted" 30 gone endpoints c17-legacy
  wait_for "only the operator's slices, with ${ip}" 30 only_operator_slices "${ns}" c17-legacy "${ip}"
  wait_for "$(fqdn c17-legacy) A ${ip}" 30 dns_answers A "$(fqdn c17-legacy)" "${ip}"
  assert_eq 0 "$(warning_count c17-legacy)" "Warning Events regarding c17-legacy ($(pod_events c17-legacy | paste -sd ';' -))"
  say "events for c17-legacy: $(pod_events c17-legacy | paste -sd ';' -)"
  stop_operator main
}

mirrored_slice_present() {
  slice_summary "$2" "$1" | grep -q ' endpointslicemirroring-controller.k8s.io '
}

# Case 17b: with --adopt-legacy=false the Service is left alone and reported as foreign.
case_17b() {
  local other ip before
  other=$(new_namespace migration-noadopt)
  make_pod -n "${other}" c17-kept
  ip=$(wait_pod_ip c17-kept "${other}")
  legacy_objects "${other}" c17-kept "${ip}"
  before=$(legacy_state "${other}" c17-kept)
  start_operator noadopt --namespace "${other}" --leader-election-namespace "${other}" --adopt-legacy=false
  wait_for "a Warning Event regarding pod c17-kept" 30 has_warning_event c17-kept "${other}"
  say "events for c17-kept: $(pod_events c17-kept "${other}" | paste -sd ';' -)"
  holds_for "the original's Service and Endpoints untouched" 4 equals "${before}" legacy_state "${other}" c17-kept
  assert_eq "" "$(k -n "${other}" get endpointslices -o name -l "endpointslice.kubernetes.io/managed-by=${HSO_SLICE_MANAGED_BY}")" \
    "the operator's EndpointSlices in ${other}"
  stop_operator noadopt
}

legacy_state() {
  printf '%s|%s\n' \
    "$(field service "$2" '{.metadata.resourceVersion}|{.metadata.labels}|{.metadata.ownerReferences}|{.spec.selector}' "$1")" \
    "$(field endpoints "$2" '{.metadata.resourceVersion}' "$1" 2>/dev/null)"
}

# --legacy-endpoints: core/v1 Endpoints are written too, labelled skip-mirror so that
# kube-controller-manager does not mirror them into a second set of slices.
case_legacy_endpoints() {
  local other ip
  other=$(new_namespace migration-endpoints)
  start_operator endpoints --namespace "${other}" --leader-election-namespace "${other}" --legacy-endpoints
  make_pod -n "${other}" c17-endpoints
  ip=$(wait_pod_ip c17-endpoints "${other}")
  wait_for "Endpoints c17-endpoints with ${ip}" 30 equals "${ip}" \
    field endpoints c17-endpoints '{.subsets[*].addresses[*].ip}' "${other}"
  assert_eq true "$(field endpoints c17-endpoints '{.metadata.labels.endpointslice\.kubernetes\.io/skip-mirror}' "${other}")" \
    "label endpointslice.kubernetes.io/skip-mirror on Endpoints c17-endpoints"
  wait_for "only the operator's slices, with ${ip}" 30 only_operator_slices "${other}" c17-endpoints "${ip}"
  # The mirroring controller must not add a slice of its own later either.
  holds_for "no mirrored slice for c17-endpoints" 4 only_operator_slices "${other}" c17-endpoints "${ip}"
  wait_for "$(fqdn c17-endpoints "${other}") A ${ip}" 30 dns_answers A "$(fqdn c17-endpoints "${other}")" "${ip}"
  stop_operator endpoints
}

run_case 17a "original operator's Service adopted, legacy Endpoints deleted" case_17a
run_case 17b "--adopt-legacy=false: original's Service left alone, reported foreign" case_17b
run_case 17-legacy-endpoints "--legacy-endpoints: Endpoints labelled skip-mirror" case_legacy_endpoints
e2e_finish
