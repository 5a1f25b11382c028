#!/usr/bin/env bash
# Issue 13, §4: --namespace-selector. One operator watches every namespace with the selector
# hso-test=on; namespaces start and stop matching by their labels, with no restart: a matching
# namespace's annotated pods get their Services (asked of the local CoreDNS with dig), a namespace
# that stops matching loses the operator's own Services and EndpointSlices and nothing else.
# Last, the manifests' RBAC with manifests/namespace-selector-rbac.yaml is enough for it.
e2e_dir=$(dirname "${BASH_SOURCE[0]}")
[[ -f "${e2e_dir}/lib/common.sh" ]] || e2e_dir="${e2e_dir}/.."
# shellcheck source=lib/common.sh
source "${e2e_dir}/lib/common.sh"
# shellcheck source=lib/packaging.sh
source "${e2e_dir}/lib/packaging.sh"

readonly SELECTOR_LABEL=hso-test
readonly NAMESPACE_WATCH_EVENTS=headless_service_operator_watch_events_total

pkg_init nssel
# Namespace A starts labelled, B does not; the operator's Lease stays in $ns (never labelled).
ns_a=$(new_namespace nssel-a)
ns_b=$(new_namespace nssel-b)
k label namespace "${ns_a}" "${SELECTOR_LABEL}=on" >/dev/null
# An empty --namespace (every namespace; the selector needs them all) keeps start_operator from
# adding --namespace $ns. A separate empty argument: CLI11 would take the next one for
# "--namespace=".
start_operator main --namespace "" --namespace-selector "${SELECTOR_LABEL}=on"
wait_for_leader main
printf '%s\n' "$(operator_pid main)" >"${E2E_STATE}/main.pid"

# same_operator: predicate, the operator of the first start is still the one running.
same_operator() {
  operator_alive main && [[ "$(operator_pid main)" == "$(cat "${E2E_STATE}/main.pid")" ]] || {
    echo "operator main was restarted or is gone"
    return 1
  }
}

# identity KIND NAME NAMESPACE: "uid resourceVersion" of an object ('' when it is gone).
identity() { field "$1" "$2" '{.metadata.uid} {.metadata.resourceVersion}' "$3"; }

# Case 1: a pod in the labelled namespace gets its Service and slice, and its name resolves.
case_1() {
  local ip
  make_pod -n "${ns_a}" web-a
  ip=$(wait_pod_ip web-a "${ns_a}")
  wait_for "Service web-a in ${ns_a}" 30 exists service web-a "${ns_a}"
  wait_for "slice for web-a with ${ip}" 30 equals "${ip}" slice_ips_line web-a "" "${ns_a}"
  wait_for "$(fqdn web-a "${ns_a}") A ${ip}" 30 dns_answers A "$(fqdn web-a "${ns_a}")" "${ip}"
}

# Case 2: a pod in the unlabelled namespace gets nothing. A pod made in A after it is handled
# first: by then the operator has long seen B's pod, had it been going to act on it.
case_2() {
  local ip
  make_pod -n "${ns_b}" web-b
  wait_pod_ip web-b "${ns_b}" >/dev/null
  make_pod -n "${ns_a}" web-a2
  ip=$(wait_pod_ip web-a2 "${ns_a}")
  wait_for "slice for web-a2 with ${ip}" 30 equals "${ip}" slice_ips_line web-a2 "" "${ns_a}"
  holds_for "no Service in ${ns_b}" 3 holds_no_service "${ns_b}"
  assert_eq 0 "$(k -n "${ns_b}" get endpointslices -o name | grep -c . || true)" "EndpointSlices in ${ns_b}"
  assert_eq "" "$(dig_a "$(fqdn web-b "${ns_b}")")" "A answers for $(fqdn web-b "${ns_b}")"
}

# label_and_expect_published POD NAMESPACE: labels NAMESPACE to match the selector, then waits for
# POD's Service, its slice with the pod's IP and the DNS answer for its name.
label_and_expect_published() {
  local pod=$1 namespace=$2 ip
  ip=$(pod_ip "${pod}" "${namespace}")
  k label namespace "${namespace}" "${SELECTOR_LABEL}=on" >/dev/null
  wait_for "Service ${pod} in ${namespace} after the label" 30 exists service "${pod}" "${namespace}"
  wait_for "slice for ${pod} with ${ip}" 30 equals "${ip}" slice_ips_line "${pod}" "" "${namespace}"
  wait_for "$(fqdn "${pod}" "${namespace}") A ${ip}" 30 \
    dns_answers A "$(fqdn "${pod}" "${namespace}")" "${ip}"
}

# Case 3: labelling B brings its pod's Service and name, without a restart; the operator watches
# Namespaces (its watch events count them).
case_3() {
  label_and_expect_published web-b "${ns_b}"
  same_operator || fail "the operator was restarted"
  local events
  events=$(metric "${NAMESPACE_WATCH_EVENTS}" 'resource="namespaces"')
  awk -v n="${events}" 'BEGIN { exit !(n > 0) }' || fail "no Namespace watch events counted (${events})"
}

# Case 4: unlabelling A removes the operator's Services and slices there, and leaves a Service
# and an EndpointSlice someone else made in A exactly as they were; B keeps its Service.
case_4() {
  k -n "${ns_a}" apply -f - >/dev/null <<YAML || fail "cannot make the user's objects in ${ns_a}"
apiVersion: v1
kind: Service
metadata:
  name: user-svc
  namespace: ${ns_a}
spec:
  clusterIP: None
  ports: [{name: http, port: 80}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: user-slice
  namespace: ${ns_a}
  labels:
    kubernetes.io/service-name: user-svc
    endpointslice.kubernetes.io/managed-by: e2e.hso.example
addressType: IPv4
endpoints:
- addresses: [${TEST_NET4}.10]
YAML
  local user_svc user_slice b_service
  user_svc=$(identity service user-svc "${ns_a}")
  user_slice=$(identity endpointslice user-slice "${ns_a}")
  b_service=$(identity service web-b "${ns_b}")
  [[ -n "${user_svc}" && -n "${user_slice}" && -n "${b_service}" ]] || fail "objects to watch are missing"
  k label namespace "${ns_a}" "${SELECTOR_LABEL}-" >/dev/null
  wait_for "Service web-a deleted from ${ns_a}" 30 gone service web-a "${ns_a}"
  wait_for "Service web-a2 deleted from ${ns_a}" 30 gone service web-a2 "${ns_a}"
  wait_for "slices of web-a deleted" 30 equals 0 slice_count web-a "${ns_a}"
  wait_for "slices of web-a2 deleted" 30 equals 0 slice_count web-a2 "${ns_a}"
  wait_for "$(fqdn web-a "${ns_a}") answers nothing" 30 dns_answers A "$(fqdn web-a "${ns_a}")" ""
  # The operator's writes are done once its reconciles stop moving; then nothing else changed.
  wait_stable "the operator's reconciles and writes" 30 3 reconcile_activity main
  assert_eq "${user_svc}" "$(identity service user-svc "${ns_a}")" "the user's Service (uid, resourceVersion)"
  assert_eq "${user_slice}" "$(identity endpointslice user-slice "${ns_a}")" "the user's EndpointSlice (uid, resourceVersion)"
  assert_eq "${b_service}" "$(identity service web-b "${ns_b}")" "Service web-b in the still-selected ${ns_b}"
  assert_present pod web-a "${ns_a}"
  same_operator || fail "the operator was restarted"
}

# Case 5: labelling A again brings its Services back.
case_5() {
  label_and_expect_published web-a "${ns_a}"
  assert_present service user-svc "${ns_a}"
}

# Case 6: with nothing but a token of the manifests' ServiceAccount, bound by rbac.yaml and
# namespace-selector-rbac.yaml, the operator is ready (its Namespace watch synced), gives a pod in
# a labelled namespace its Service and meets no 403; the right to list Namespaces comes from
# namespace-selector-rbac.yaml, and it may not change them.
case_6() {
  if operator_alive main; then stop_operator main; fi
  local opns suffix overlay file kubeconfig sa binding ip
  opns=$(new_namespace nssel-op)
  suffix=$(pkg_unique_suffix)
  sa="${PKG_NAME}-${suffix}"
  binding="${PKG_NAME}-namespaces-${suffix}"
  overlay=$(mktemp -d "${E2E_STATE}/overlay.XXXXXX")
  file="${E2E_STATE}/rbac.yaml"
  kubeconfig="${E2E_STATE}/token.kubeconfig"
  cp "${PKG_MANIFESTS}/rbac.yaml" "${PKG_MANIFESTS}/namespace-selector-rbac.yaml" "${overlay}/"
  cat >"${overlay}/kustomization.yaml" <<KUSTOMIZATION
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [rbac.yaml, namespace-selector-rbac.yaml]
namespace: ${opns}
nameSuffix: "-${suffix}"
KUSTOMIZATION
  k kustomize "${overlay}" >"${file}"
  local object
  for object in $(pkg_objects "${file}" | awk -F / '$1 == "ClusterRole" || $1 == "ClusterRoleBinding" { print tolower($1) "/" $3 }'); do
    pkg_track "${object}"
  done
  k apply -f "${file}" >/dev/null
  wait_for "ServiceAccount ${opns}/${sa}" 30 k -n "${opns}" get serviceaccount "${sa}"
  pkg_token_kubeconfig "${sa}" "${opns}" "${kubeconfig}"
  tk() { KUBECONFIG=${kubeconfig} kubectl --request-timeout=20s "$@" 2>/dev/null; }
  assert_eq yes "$(tk auth can-i list namespaces)" "list namespaces"
  assert_eq yes "$(tk auth can-i watch namespaces)" "watch namespaces"
  assert_eq no "$(tk auth can-i update namespaces)" "update namespaces"
  launch_operator rbac "${kubeconfig}" --namespace "" --namespace-selector "${SELECTOR_LABEL}=on" \
    --leader-election-namespace "${opns}"
  pkg_wait_ready rbac
  make_pod -n "${ns_a}" web-rbac
  ip=$(wait_pod_ip web-rbac "${ns_a}")
  wait_for "Service web-rbac in ${ns_a}" 40 exists service web-rbac "${ns_a}"
  wait_for "slice for web-rbac with ${ip}" 30 equals "${ip}" slice_ips_line web-rbac "" "${ns_a}"
  local forbidden
  forbidden=$(forbidden_lines rbac)
  [[ -z "${forbidden}" ]] || fail "403s with the manifests' RBAC: ${forbidden:0:800}"
  forbidden=$(metric_403_samples rbac)
  [[ -z "${forbidden}" ]] || fail "403s counted with the manifests' RBAC: ${forbidden}"
  stop_operator rbac
  k delete clusterrolebinding "${binding}" >/dev/null
  wait_for "list namespaces refused without ${binding}" 30 equals no tk auth can-i list namespaces
}

run_case 1 "a labelled namespace: the annotated pod gets its Service and resolves" case_1
run_case 2 "an unlabelled namespace: no Service, no slice, no name" case_2
run_case 3 "labelling a namespace brings its Services without a restart" case_3
run_case 4 "unlabelling a namespace deletes only what the operator owns there" case_4
run_case 5 "labelling it again brings the Services back" case_5
run_case 6 "the manifests' RBAC with namespace-selector-rbac.yaml is enough" case_6
e2e_finish
