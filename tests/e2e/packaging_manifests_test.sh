#!/usr/bin/env bash
# Issue 6: what we ship applies cleanly to the real API server.
#  - manifests/ (the README's kubectl apply lines) and the namespaced variant;
#  - the Helm chart: helm lint --strict, and helm template with default and non-default values
#    piped to kubectl apply --dry-run=server (strict field validation, no warnings);
#  - the rendered Deployments' args are accepted by the operator binary;
#  - the chart's alerts pass promtool.
# ServiceMonitor and PrometheusRule: the test cluster has no Prometheus Operator, so minimal CRDs
# written for this test (lib/packaging.sh) are installed for the dry run and removed afterwards.
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/packaging.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/packaging.sh"

pkg_init pkgman
suffix=$(pkg_unique_suffix)

# Case 1: the README's lines for manifests/: namespace.yaml is applied for real (if the namespace
# is not there yet; it is removed at exit), then rbac.yaml and deployment.yaml pass a server dry
# run, and so does kubectl apply -k manifests/.
case_1() {
  if [[ -z "$(k get namespace "${PKG_NAME}" -o name --ignore-not-found)" ]]; then
    k apply -f "${PKG_MANIFESTS}/namespace.yaml" >/dev/null
    pkg_track "namespace/${PKG_NAME}"
  else
    say "namespace ${PKG_NAME} exists already: dry run only"
    pkg_dry_run_server -f "${PKG_MANIFESTS}/namespace.yaml"
  fi
  pkg_dry_run_server -f "${PKG_MANIFESTS}/rbac.yaml" -f "${PKG_MANIFESTS}/deployment.yaml"
  pkg_dry_run_server -k "${PKG_MANIFESTS}"
  local objects
  objects=$(cat "${PKG_MANIFESTS}/rbac.yaml" "${PKG_MANIFESTS}/deployment.yaml" >"${E2E_STATE}/static.yaml" && pkg_objects "${E2E_STATE}/static.yaml")
  for want in ServiceAccount ClusterRole ClusterRoleBinding Role RoleBinding Deployment PodDisruptionBudget Service; do
    grep -q "^${want}/" <<<"${objects}" || fail "manifests/ has no ${want}"
  done
  assert_eq 2 "$(pkg_field "${E2E_STATE}/static.yaml" Deployment '{.spec.replicas}')" "replicas"
  assert_eq '["get","list","watch","delete"]' \
    "$(pkg_field "${E2E_STATE}/static.yaml" ClusterRole '{.rules[?(@.resources[0]=="endpoints")].verbs}' | grep .)" \
    "endpoints verbs of rbac.yaml"
  pkg_check_operator_args "${E2E_STATE}/static.yaml"
}

# Case 2: the namespaced variant, exactly as the README says (kubectl apply -n NS -f
# manifests/namespaced/), for real into a namespace that enforces Pod Security "restricted": it
# holds nothing cluster-scoped, its two replicas run on two nodes, and its rights stop at the
# namespace.
case_2() {
  local target
  target=$(new_namespace pkgns)
  k label namespace "${target}" pod-security.kubernetes.io/enforce=restricted >/dev/null
  cat "${PKG_MANIFESTS}"/namespaced/*.yaml >"${E2E_STATE}/namespaced.yaml"
  local objects
  objects=$(pkg_objects "${E2E_STATE}/namespaced.yaml")
  if grep -Eq '^(Namespace|ClusterRole|ClusterRoleBinding)/' <<<"${objects}"; then
    fail "manifests/namespaced/ holds cluster-scoped objects: ${objects}"
  fi
  if grep -Eq '^[[:space:]]*namespace:' "${E2E_STATE}/namespaced.yaml"; then
    fail "manifests/namespaced/ names a namespace itself: $(grep -n 'namespace:' "${E2E_STATE}/namespaced.yaml")"
  fi
  pkg_dry_run_server -n "${target}" -f "${PKG_MANIFESTS}/namespaced/"
  k apply -n "${target}" -f "${PKG_MANIFESTS}/namespaced/" >/dev/null
  pkg_wait_rollout "${target}" "${PKG_NAME}" 2
  local sa="system:serviceaccount:${target}:${PKG_NAME}"
  assert_eq yes "$(k auth can-i --as="${sa}" -n "${target}" create endpointslices.discovery.k8s.io)" "create endpointslices in ${target}"
  assert_eq yes "$(k auth can-i --as="${sa}" -n "${target}" update "leases.coordination.k8s.io/${PKG_NAME}")" "update its Lease"
  assert_eq no "$(k auth can-i --as="${sa}" -n "${target}" update leases.coordination.k8s.io/another-lease)" "update another Lease"
  assert_eq no "$(k auth can-i --as="${sa}" -n default list pods)" "list pods in another namespace"
  assert_eq no "$(k auth can-i --as="${sa}" -n "${target}" create pods)" "create pods"
  pkg_check_operator_args "${E2E_STATE}/namespaced.yaml"
}

# Case 3: helm lint --strict with the default values and each ci/ values file; the values schema
# refuses what the operator would.
case_3() {
  local values out
  out=$(helm lint --strict "${PKG_CHART}" 2>&1) || fail "helm lint --strict (default values): ${out}"
  for values in "${PKG_CHART}"/ci/*-values.yaml; do
    out=$(helm lint --strict "${PKG_CHART}" -f "${values}" 2>&1) || fail "helm lint --strict -f ${values}: ${out}"
  done
  # values.schema.json refuses a misspelt key and an out-of-range value.
  if helm lint --strict "${PKG_CHART}" --set replicas=3 >/dev/null 2>&1; then
    fail "helm lint accepts the unknown value key 'replicas'"
  fi
  if helm template t "${PKG_CHART}" --set workers=0 >/dev/null 2>&1; then
    fail "helm template accepts workers=0"
  fi
  say "helm lint --strict passes with default values and $(ls "${PKG_CHART}"/ci/*-values.yaml | wc -l) ci values files"
}

# Case 4: the chart with default values: server dry run, then applied for real into a namespace
# enforcing Pod Security "restricted": two replicas on two nodes, args the operator accepts.
case_4() {
  local release="hso-def-${suffix}" target file="${E2E_STATE}/default.yaml"
  target=$(new_namespace pkgdef)
  k label namespace "${target}" pod-security.kubernetes.io/enforce=restricted >/dev/null
  helm template "${release}" "${PKG_CHART}" --namespace "${target}" >"${file}"
  pkg_dry_run_server -f "${file}"
  local object
  for object in $(pkg_objects "${file}" | awk -F / '$1 == "ClusterRole" || $1 == "ClusterRoleBinding" { print tolower($1) "/" $3 }'); do
    pkg_track "${object}"
  done
  k apply -f "${file}" >/dev/null
  pkg_wait_rollout "${target}" "${release}-k8s-pod-headless-service-operator" 2
  # Endpoints rights by default (adoptLegacy on, legacyEndpoints off): get/list/watch/delete.
  local sa="system:serviceaccount:${target}:${release}-k8s-pod-headless-service-operator"
  assert_eq yes "$(k auth can-i --as="${sa}" -n default delete endpoints)" "delete endpoints (adopt-legacy)"
  assert_eq no "$(k auth can-i --as="${sa}" -n default create endpoints)" "create endpoints (no legacy endpoints)"
  assert_eq yes "$(k auth can-i --as="${sa}" create tokenreviews.authentication.k8s.io 2>/dev/null)" "create tokenreviews (secure metrics)"
  assert_eq yes "$(k auth can-i --as="${sa}" -n "${target}" update leases.coordination.k8s.io/k8s-pod-headless-service-operator)" "update its Lease"
  assert_eq no "$(k auth can-i --as="${sa}" -n default create leases.coordination.k8s.io)" "create a Lease outside its namespace"
  pkg_check_operator_args "${file}"
}

# Case 5: the chart with every optional part on (ci/nondefault-values.yaml, watching two
# namespaces of this test): server dry run with ServiceMonitor and PrometheusRule against the
# minimal CRDs, alerts through promtool, RBAC per watched namespace with legacy endpoints rights.
case_5() {
  local release="hso-nd-${suffix}" target apps_a apps_b file="${E2E_STATE}/nondefault.yaml"
  target=$(new_namespace pkgnd)
  apps_a=$(new_namespace pkgnda)
  apps_b=$(new_namespace pkgndb)
  helm template "${release}" "${PKG_CHART}" --namespace "${target}" \
    -f "${PKG_CHART}/ci/nondefault-values.yaml" --set "watchNamespaces={${apps_a},${apps_b}}" >"${file}"
  pkg_install_monitoring_crds
  pkg_dry_run_server -f "${file}"
  local objects
  objects=$(pkg_objects "${file}")
  grep -q "^ServiceMonitor/${target}/" <<<"${objects}" || fail "no ServiceMonitor rendered"
  grep -q "^PrometheusRule/${target}/" <<<"${objects}" || fail "no PrometheusRule rendered"
  grep -q "^Role/${apps_a}/" <<<"${objects}" || fail "no Role in watched namespace ${apps_a}"
  grep -q "^RoleBinding/${apps_b}/" <<<"${objects}" || fail "no RoleBinding in watched namespace ${apps_b}"
  grep -q '^ClusterRole//hso-nondefault$' <<<"${objects}" && fail "a ClusterRole for the work rules although namespaces are listed"
  local endpoint_verbs
  endpoint_verbs=$(pkg_field "${file}" Role '{.metadata.namespace}{" "}{.rules[?(@.resources[0]=="endpoints")].verbs}' | grep "^${apps_a} ")
  assert_contains "${endpoint_verbs}" '"create"' "endpoints verbs with legacyEndpoints"
  # The alerts are valid Prometheus rules.
  pkg_field "${file}" PrometheusRule '{.spec}' >"${E2E_STATE}/rules.json"
  local out
  out=$(promtool check rules "${E2E_STATE}/rules.json" 2>&1) || fail "promtool check rules: ${out}"
  say "promtool: $(tr '\n' ' ' <<<"${out}")"
  # Every example alert of METRICS.md is in the chart.
  if [[ -r "${HSO_SOURCE_DIR}/METRICS.md" ]]; then
    local alert rendered
    rendered=$(pkg_field "${file}" PrometheusRule '{.spec.groups[*].rules[*].alert}')
    for alert in $(sed -n 's/^ *- alert: *\([A-Za-z0-9_]*\).*/\1/p' "${HSO_SOURCE_DIR}/METRICS.md"); do
      [[ " ${rendered} " == *" ${alert} "* ]] || fail "METRICS.md's alert ${alert} is not in the chart's PrometheusRule"
    done
  fi
  local args
  args=$(pkg_field "${file}" Deployment '{.spec.template.spec.containers[0].args}')
  assert_contains "${args}" "--namespace=${apps_a},${apps_b}" "rendered args"
  assert_contains "${args}" "--legacy-endpoints=true" "rendered args"
  pkg_check_operator_args "${file}"
}

# Case 6: the smallest install (ci/plain-values.yaml): one replica, no leader election, plain
# metrics, an existing ServiceAccount.
case_6() {
  local release="hso-pl-${suffix}" target file="${E2E_STATE}/plain.yaml"
  target=$(new_namespace pkgpl)
  helm template "${release}" "${PKG_CHART}" --namespace "${target}" -f "${PKG_CHART}/ci/plain-values.yaml" >"${file}"
  pkg_dry_run_server -f "${file}"
  local objects
  objects=$(pkg_objects "${file}")
  grep -Eq '^(ServiceAccount|PodDisruptionBudget|Service)/' <<<"${objects}" && fail "unexpected objects: ${objects}"
  grep -q 'leader-election' <<<"${objects}" && fail "leader election RBAC without leader election: ${objects}"
  grep -q 'metrics-auth' <<<"${objects}" && fail "metrics auth RBAC without secure metrics: ${objects}"
  pkg_check_operator_args "${file}"
}

# Case 7: the README's helm install line, for real (a release and namespace of this test's own),
# then helm uninstall removes every object it made, cluster-scoped ones included.
case_7() {
  local release="hso-inst-${suffix}" target="e2e-pkginst-${suffix}"
  printf '%s\n' "${target}" >>"${E2E_STATE}/namespaces"
  helm install "${release}" "${PKG_CHART}" \
    --namespace "${target}" --create-namespace \
    --set image.repository=example-org/k8s-pod-headless-service-operator >"${E2E_STATE}/install.out" 2>&1 \
    || fail "helm install: $(cat "${E2E_STATE}/install.out")"
  grep -q 'annotate pod' "${E2E_STATE}/install.out" || fail "NOTES.txt does not tell how to annotate a pod: $(cat "${E2E_STATE}/install.out")"
  pkg_track "clusterrole/${release}-k8s-pod-headless-service-operator"
  pkg_track "clusterrolebinding/${release}-k8s-pod-headless-service-operator"
  pkg_wait_rollout "${target}" "${release}-k8s-pod-headless-service-operator" 2
  assert_eq "example-org/k8s-pod-headless-service-operator:0.1.0" \
    "$(k -n "${target}" get deployment "${release}-k8s-pod-headless-service-operator" -o 'jsonpath={.spec.template.spec.containers[0].image}')" "image"
  helm uninstall "${release}" --namespace "${target}" >/dev/null || fail "helm uninstall failed"
  local left
  left=$(k get clusterroles,clusterrolebindings -l "app.kubernetes.io/instance=${release}" -o name)
  [[ -z "${left}" ]] || fail "helm uninstall left cluster-scoped objects: ${left}"
}

run_case 1 "manifests/: README lines pass a server dry run" case_1
run_case 2 "manifests/namespaced/: applies into one namespace, confined rights, spread replicas" case_2
run_case 3 "helm lint --strict" case_3
run_case 4 "chart, default values: server dry run and a real rollout" case_4
run_case 5 "chart, non-default values: server dry run incl. ServiceMonitor and PrometheusRule" case_5
run_case 6 "chart, smallest values: server dry run" case_6
run_case 7 "helm install as in the README, then helm uninstall" case_7
e2e_finish
