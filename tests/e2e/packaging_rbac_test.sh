#!/usr/bin/env bash
# Issue 6: manifests/rbac.yaml grants enough and no more. The operator runs with nothing but a
# token minted for the ServiceAccount of rbac.yaml (TokenRequest API) against the RBAC-enforcing
# API server, does its main work with no 403, and reports clearly when a right is missing.
#
# The Event recorder reads an Event before creating it (so a restart writes nothing), which is why
# rbac.yaml grants get on events.k8s.io events.
pkg_lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && if [[ -d lib ]]; then echo "${PWD}/lib"; else echo "${PWD}/../lib"; fi)
# shellcheck source=lib/common.sh
source "${pkg_lib_dir}/common.sh"
# shellcheck source=lib/packaging.sh
source "${pkg_lib_dir}/packaging.sh"

pkg_init pkgrbac
suffix=$(pkg_unique_suffix)
# The operator's own namespace (ServiceAccount, Lease); it watches $ns.
opns=$(new_namespace pkgrbacop)
sa="${PKG_NAME}-${suffix}"
cluster_role="${PKG_NAME}-${suffix}"
rbac_file="${E2E_STATE}/rbac.yaml"
token_kubeconfig="${E2E_STATE}/token.kubeconfig"
pkg_install_rbac "${opns}" "${suffix}" "${rbac_file}"
wait_for "ServiceAccount ${opns}/${sa}" 30 k -n "${opns}" get serviceaccount "${sa}"
pkg_token_kubeconfig "${sa}" "${opns}" "${token_kubeconfig}"

# Case 1: the token is the ServiceAccount's and nothing more: it may read pods, may not write
# them, may not read Secrets, and may touch no Lease but its own.
case_1() {
  local who
  who=$(KUBECONFIG=${token_kubeconfig} kubectl --request-timeout=20s auth whoami -o 'jsonpath={.status.userInfo.username}')
  assert_eq "system:serviceaccount:${opns}:${sa}" "${who}" "identity of the token"
  tk() { KUBECONFIG=${token_kubeconfig} kubectl --request-timeout=20s "$@" 2>/dev/null; }
  assert_eq yes "$(tk auth can-i -n "${ns}" watch pods)" "watch pods"
  assert_eq no "$(tk auth can-i -n "${ns}" update pods)" "update pods"
  assert_eq no "$(tk auth can-i -n "${ns}" get secrets)" "get secrets"
  assert_eq yes "$(tk auth can-i -n "${ns}" create endpointslices.discovery.k8s.io)" "create endpointslices"
  assert_eq yes "$(tk auth can-i -n "${ns}" delete endpoints)" "delete endpoints (adopt-legacy)"
  assert_eq no "$(tk auth can-i -n "${ns}" create endpoints)" "create endpoints (no legacy endpoints)"
  assert_eq yes "$(tk auth can-i -n "${ns}" create events.events.k8s.io)" "create events"
  assert_eq yes "$(tk auth can-i -n "${opns}" update "leases.coordination.k8s.io/${PKG_NAME}")" "update its Lease"
  assert_eq no "$(tk auth can-i -n "${opns}" update leases.coordination.k8s.io/someone-else)" "update another Lease"
  assert_eq no "$(tk auth can-i -n "${ns}" create leases.coordination.k8s.io)" "create a Lease outside its namespace"
  assert_eq yes "$(tk auth can-i create tokenreviews.authentication.k8s.io)" "create tokenreviews"
  assert_eq yes "$(tk auth can-i create subjectaccessreviews.authorization.k8s.io)" "create subjectaccessreviews"
}

# Case 2: with only that token the operator elects itself leader, gives an annotated pod its
# Service and EndpointSlice, records an Event, cleans up after the pod, and never meets a 403.
case_2() {
  pkg_start_operator main "${token_kubeconfig}" --leader-election-namespace "${opns}"
  pkg_wait_ready main
  wait_for "Lease ${opns}/${PKG_NAME} held" 40 \
    bash -c "[[ -n \"\$(kubectl -n '${opns}' get lease '${PKG_NAME}' -o jsonpath='{.spec.holderIdentity}' 2>/dev/null)\" ]]"
  make_pod rbac-web
  local ip
  ip=$(wait_pod_ip rbac-web)
  wait_for "Service rbac-web" 30 exists service rbac-web
  wait_for "EndpointSlice of rbac-web with ${ip}" 30 equals "${ip}" slice_ips_line rbac-web
  wait_for "an Event on pod rbac-web" 30 bash -c "[[ -n \"\$(kubectl -n '${ns}' get events.events.k8s.io -o jsonpath='{.items[?(@.regarding.name==\"rbac-web\")].reason}')\" ]]"
  delete_pod rbac-web
  wait_for "Service rbac-web deleted" 30 gone service rbac-web
  wait_for "EndpointSlices of rbac-web deleted" 30 equals 0 slice_count rbac-web
  local forbidden
  forbidden=$(forbidden_lines main)
  [[ -z "${forbidden}" ]] || fail "the operator met 403s with the manifests' RBAC: ${forbidden:0:800}"
  forbidden=$(metric_403_samples main)
  [[ -z "${forbidden}" ]] || fail "the operator counted 403s with the manifests' RBAC: ${forbidden}"
  is_ready main || fail "operator main is not ready after the work"
  stop_operator main
}

# Case 3: a ClusterRole without "create" on endpointslices: the operator names the verb and the
# resource of the 403 in its log, counts it on /metrics and is not ready until the right is back.
case_3() {
  if operator_alive main; then stop_operator_quietly main >/dev/null || true; fi
  local index
  index=$(k get clusterrole "${cluster_role}" -o 'jsonpath={range .rules[*]}{.resources[0]}{"\n"}{end}' | grep -n '^endpointslices$' | cut -d: -f1)
  [[ -n "${index}" ]] || fail "no endpointslices rule in ClusterRole ${cluster_role}"
  k patch clusterrole "${cluster_role}" --type=json \
    -p "[{\"op\":\"replace\",\"path\":\"/rules/$((index - 1))/verbs\",\"value\":[\"get\",\"list\",\"watch\",\"update\",\"patch\",\"delete\"]}]" >/dev/null
  assert_eq no "$(KUBECONFIG=${token_kubeconfig} kubectl auth can-i -n "${ns}" create endpointslices.discovery.k8s.io 2>/dev/null)" "create endpointslices after the patch"
  pkg_start_operator denied "${token_kubeconfig}" --leader-election-namespace "${opns}"
  pkg_wait_ready denied
  make_pod rbac-denied
  wait_pod_ip rbac-denied >/dev/null
  wait_for "a log line naming the forbidden create of endpointslices" 60 \
    bash -c "grep -Ei 'forbid|[ (]403[ )]' '$(operator_log denied)' | grep -i 'create' | grep -qi 'endpointslices'"
  say "log: $(forbidden_lines denied | grep -i endpointslices | head -n 1)"
  shows_403() {
    local samples code
    samples=$(metric_403_samples denied | grep -i 'endpointslices' || true)
    code=$(readyz_code denied)
    [[ -n "${samples}" && "${code}" != 200 ]] || {
      echo "403 samples for endpointslices on /metrics: '${samples}'; /readyz answers ${code} (want not 200)"
      return 1
    }
    say "metrics: ${samples:-none}; /readyz: ${code}"
  }
  wait_for "the 403 on /metrics and a failing /readyz" 60 shows_403
  say "/metrics: $(metric_403_samples denied | grep -i endpointslices | paste -sd ';' -); /readyz: $(readyz_code denied)"
  assert_eq 0 "$(slice_count rbac-denied)" "EndpointSlices of rbac-denied"
  # Give the right back: the operator creates the slice and becomes ready again by itself.
  k patch clusterrole "${cluster_role}" --type=json \
    -p "[{\"op\":\"replace\",\"path\":\"/rules/$((index - 1))/verbs\",\"value\":[\"get\",\"list\",\"watch\",\"create\",\"update\",\"patch\",\"delete\"]}]" >/dev/null
  wait_for "EndpointSlice of rbac-denied once create is granted again" 60 equals 1 slice_count rbac-denied
  wait_for "/readyz 200 once create is granted again" 60 equals 200 readyz_code denied
}

# Case 4: secure metrics with the same token: the operator asks the API server (TokenReview,
# SubjectAccessReview, both allowed by rbac.yaml) who scrapes; a ServiceAccount bound to the
# metrics-reader ClusterRole gets /metrics, one without it gets 403, no token gets 401.
case_4() {
  for name in main denied; do
    if operator_alive "${name}"; then stop_operator_quietly "${name}" >/dev/null || true; fi
  done
  local scraper="scraper-${suffix}" reader="${PKG_NAME}-metrics-reader-${suffix}" token other port code
  k -n "${opns}" create serviceaccount "${scraper}" >/dev/null
  k create clusterrolebinding "${scraper}" --clusterrole="${reader}" --serviceaccount="${opns}:${scraper}" >/dev/null
  pkg_track "clusterrolebinding/${scraper}"
  pkg_start_operator secure "${token_kubeconfig}" --leader-election-namespace "${opns}" --metrics-secure
  pkg_wait_ready secure
  port=$(cat "$(operator_dir secure)/metrics_port")
  token=$(k -n "${opns}" create token "${scraper}" --duration=10m)
  other=$(k -n "${opns}" create token "${sa}" --duration=10m)
  scrape() { curl -sk -o /dev/null -w '%{http_code}' --max-time 5 "$@" "https://127.0.0.1:${port}/metrics" || true; }
  wait_for "/metrics answers 200 to the metrics reader" 30 equals 200 scrape -H "Authorization: Bearer ${token}"
  assert_eq 403 "$(scrape -H "Authorization: Bearer ${other}")" "/metrics for a token without the metrics-reader role"
  assert_eq 401 "$(scrape)" "/metrics without a token"
  local forbidden
  forbidden=$(forbidden_lines secure | grep -Ei 'tokenreviews|subjectaccessreviews' || true)
  [[ -z "${forbidden}" ]] || fail "the operator may not review scrapers: ${forbidden:0:600}"
}

run_case 1 "the minted token carries exactly the ServiceAccount's rights" case_1
run_case 2 "operator with only the ServiceAccount token: main work, no 403" case_2
run_case 3 "endpointslices create removed: the 403 is reported by verb and resource" case_3
run_case 4 "secure metrics: TokenReview and SubjectAccessReview with the ServiceAccount token" case_4
e2e_finish
