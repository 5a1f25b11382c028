# shellcheck shell=bash
# Helpers for the packaging tests (tests/e2e/packaging_*_test.sh), on top of lib/common.sh.
#
# Cluster-scoped objects a test makes (ClusterRoles, ClusterRoleBindings, CRDs, the manifests'
# namespace) are recorded with pkg_track and deleted by the EXIT trap that pkg_init installs, in
# front of common.sh's own cleanup (which deletes the test namespaces).

# shellcheck disable=SC2034 # used by the test scripts
PKG_CHART=${HSO_SOURCE_DIR}/helm/k8s-pod-headless-service-operator
PKG_MANIFESTS=${HSO_SOURCE_DIR}/manifests
# The manifests' fixed names (manifests/*.yaml).
# shellcheck disable=SC2034 # used by the test scripts
readonly PKG_NAME=k8s-pod-headless-service-operator

# pkg_init SHORT_NAME: e2e_init plus the cluster-scoped cleanup; checks helm is on PATH.
pkg_init() {
  e2e_init "$1"
  : >"${E2E_STATE}/cluster-objects"
  trap pkg_cleanup EXIT
  command -v helm >/dev/null || fail "helm is not on PATH (eval \"\$(hack/local-cluster.sh env)\")"
}

# pkg_track KIND/NAME: delete this cluster-scoped object at exit.
pkg_track() { printf '%s\n' "$1" >>"${E2E_STATE}/cluster-objects"; }

pkg_cleanup() {
  local rc=$? object
  set +e
  if [[ "${E2E_KEEP:-0}" != 1 && -f "${E2E_STATE}/cluster-objects" ]]; then
    while read -r object; do
      [[ -n "${object}" ]] && k delete "${object}" --ignore-not-found --wait=false >/dev/null 2>&1
    done <"${E2E_STATE}/cluster-objects"
  fi
  (exit "${rc}")
  e2e_cleanup
}

# pkg_unique_suffix: a short suffix that keeps cluster-scoped names apart between runs.
pkg_unique_suffix() { printf '%s%s\n' "$(date +%s | tail -c 4)" "${RANDOM}"; }

# pkg_dry_run_server ARGS...: kubectl apply --dry-run=server ARGS; fails on an error or on any
# warning the API server sends back (deprecated APIs, Pod Security violations, unknown fields).
pkg_dry_run_server() {
  local out err rc=0
  err=$(mktemp "${E2E_STATE}/dry-run.XXXXXX")
  out=$(k apply --dry-run=server --validate=strict "$@" 2>"${err}") || rc=$?
  if ((rc != 0)) || grep -qi 'warning' "${err}"; then
    cat "${err}" >&2
    rm -f "${err}"
    fail "kubectl apply --dry-run=server $* failed (rc ${rc}) or warned"
  fi
  rm -f "${err}"
  say "server dry run: $(grep -c . <<<"${out}") objects accepted"
}

# pkg_field FILE KIND TEMPLATE: TEMPLATE (kubectl JSONPath, no range over fields that may be
# missing) evaluated on every object of KIND in a rendered file, one line per object. kubectl
# evaluates JSONPath per object here, never over a List.
pkg_field() {
  local file=$1 kind=$2 template=$3
  k create --dry-run=client -f "${file}" -o "jsonpath={.kind}{\"\\t\"}${template}{\"\\n\"}" \
    | awk -F '\t' -v kind="${kind}" '$1 == kind { sub(/^[^\t]*\t/, ""); print }'
}

# pkg_objects FILE: "Kind/namespace/name" of every object in a rendered file, one per line
# (kubectl fills in "default" for a namespaced object that names no namespace).
pkg_objects() {
  k create --dry-run=client -f "$1" -o 'jsonpath={.kind}/{.metadata.namespace}/{.metadata.name}{"\n"}'
}

# pkg_json_strings '["a","b,c"]': the strings of a flat JSON array, one per line.
pkg_json_strings() {
  local text=$1
  text=${text#[}
  text=${text%]}
  [[ -n "${text}" ]] || return 0
  text=${text#\"}
  text=${text%\"}
  printf '%s\n' "${text//\",\"/$'\n'}"
}

# pkg_check_operator_args FILE: the operator binary accepts the `args` of every Deployment in a
# rendered file (exit status 2 means a flag or value it refuses). The binary is started with a
# kubeconfig that does not exist, so it stops at once after parsing (or is stopped after 10 s).
pkg_check_operator_args() {
  local file=$1 line args tls rc out i
  tls=$(mktemp -d "${E2E_STATE}/tls.XXXXXX")
  openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=metrics -days 1 \
    -keyout "${tls}/tls.key" -out "${tls}/tls.crt" >/dev/null 2>&1 || fail "openssl could not make a test certificate"
  line=$(pkg_field "${file}" Deployment '{.spec.template.spec.containers[0].args}')
  [[ -n "${line}" ]] || fail "no Deployment args in ${file}"
  mapfile -t args < <(pkg_json_strings "${line}")
  # Files the pod would mount: point them at the test certificate.
  args=("${args[@]//\/etc\/metrics-tls\//${tls}/}")
  # Loopback ports, so that nothing listens on a public address during the check.
  for i in "${!args[@]}"; do
    case "${args[i]}" in
      --metrics-bind-address=:*) args[i]="--metrics-bind-address=127.0.0.1:0" ;;
      --health-probe-bind-address=:*) args[i]="--health-probe-bind-address=127.0.0.1:0" ;;
    esac
  done
  # The downward API's namespace variables, as the pod would have them.
  local env=() var namespace
  namespace=$(pkg_field "${file}" Deployment '{.metadata.namespace}')
  for var in $(pkg_field "${file}" Deployment '{.spec.template.spec.containers[0].env[?(@.valueFrom.fieldRef.fieldPath=="metadata.namespace")].name}'); do
    env+=("${var}=${namespace:-default}")
  done
  rc=0
  out=$(env "${env[@]}" timeout -s TERM 10 "${HSO_OPERATOR_BINARY}" "${args[@]}" \
    --kubeconfig="${E2E_STATE}/no-such-kubeconfig" 2>&1) || rc=$?
  # 2: a flag, value or setting the operator refuses (it exits 1 on the missing kubeconfig).
  if ((rc == 2)); then
    fail "the operator refuses the rendered args (${env[*]} ${args[*]}): ${out:0:600}"
  fi
  say "operator accepts: ${env[*]} ${args[*]} (exit ${rc})"
}

# pkg_wait_rollout NAMESPACE DEPLOYMENT REPLICAS: the Deployment's pods are all Ready (kwok runs
# them) and no two share a node.
pkg_wait_rollout() {
  local namespace=$1 deployment=$2 replicas=$3 nodes
  wait_for "deployment ${namespace}/${deployment}: ${replicas} ready replicas" 90 \
    equals "${replicas}" k -n "${namespace}" get deployment "${deployment}" -o 'jsonpath={.status.readyReplicas}'
  nodes=$(k -n "${namespace}" get pods -l app.kubernetes.io/component=operator \
    --field-selector=status.phase=Running -o jsonpath='{range .items[*]}{.spec.nodeName}{"\n"}{end}' | sort)
  [[ "$(grep -c . <<<"${nodes}")" == "${replicas}" ]] || fail "expected ${replicas} running pods, nodes: ${nodes}"
  [[ -z "$(uniq -d <<<"${nodes}")" ]] || fail "replicas share a node: $(paste -sd ' ' <<<"${nodes}")"
  say "${replicas} replicas on nodes $(paste -sd ' ' <<<"${nodes}")"
}

# pkg_monitoring_crds: minimal CustomResourceDefinitions for monitoring.coreos.com/v1
# ServiceMonitor and PrometheusRule, written for these tests (not the Prometheus Operator's own):
# structural schemas for the fields the chart renders, nothing else, so that a server-side dry run
# with strict field validation rejects a misspelt or misplaced field.
pkg_monitoring_crds() {
  cat <<'EOF'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: servicemonitors.monitoring.coreos.com
  labels:
    e2e.srcd.host/minimal-crd: "true"
spec:
  group: monitoring.coreos.com
  scope: Namespaced
  names:
    kind: ServiceMonitor
    listKind: ServiceMonitorList
    plural: servicemonitors
    singular: servicemonitor
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          required: [spec]
          properties:
            apiVersion: {type: string}
            kind: {type: string}
            metadata: {type: object}
            spec:
              type: object
              required: [selector, endpoints]
              properties:
                jobLabel: {type: string}
                namespaceSelector:
                  type: object
                  properties:
                    any: {type: boolean}
                    matchNames: {type: array, items: {type: string}}
                selector:
                  type: object
                  properties:
                    matchLabels: {type: object, additionalProperties: {type: string}}
                endpoints:
                  type: array
                  minItems: 1
                  items:
                    type: object
                    required: [port]
                    properties:
                      port: {type: string}
                      path: {type: string}
                      scheme: {type: string, enum: [http, https]}
                      interval: {type: string, pattern: '^[0-9]+(ms|s|m|h)$'}
                      scrapeTimeout: {type: string, pattern: '^[0-9]+(ms|s|m|h)$'}
                      bearerTokenFile: {type: string}
                      tlsConfig:
                        type: object
                        properties:
                          insecureSkipVerify: {type: boolean}
                          serverName: {type: string}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: prometheusrules.monitoring.coreos.com
  labels:
    e2e.srcd.host/minimal-crd: "true"
spec:
  group: monitoring.coreos.com
  scope: Namespaced
  names:
    kind: PrometheusRule
    listKind: PrometheusRuleList
    plural: prometheusrules
    singular: prometheusrule
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          required: [spec]
          properties:
            apiVersion: {type: string}
            kind: {type: string}
            metadata: {type: object}
            spec:
              type: object
              required: [groups]
              properties:
                groups:
                  type: array
                  items:
                    type: object
                    required: [name, rules]
                    properties:
                      name: {type: string, minLength: 1}
                      interval: {type: string}
                      rules:
                        type: array
                        items:
                          type: object
                          required: [expr]
                          properties:
                            alert: {type: string}
                            record: {type: string}
                            expr: {type: string, minLength: 1}
                            for: {type: string, pattern: '^[0-9]+(ms|s|m|h)$'}
                            labels: {type: object, additionalProperties: {type: string}}
                            annotations: {type: object, additionalProperties: {type: string}}
EOF
}

# pkg_install_monitoring_crds: installs the minimal CRDs unless the cluster already serves
# ServiceMonitor and PrometheusRule (then the real ones validate); removes them at exit.
pkg_install_monitoring_crds() {
  local crd missing=()
  for crd in servicemonitors.monitoring.coreos.com prometheusrules.monitoring.coreos.com; do
    if [[ -n "$(k get crd "${crd}" -o name --ignore-not-found)" ]]; then
      say "CRD ${crd} already exists: validating against it"
    else
      missing+=("${crd}")
      pkg_track "customresourcedefinition/${crd}"
    fi
  done
  if ((${#missing[@]} > 0)); then
    say "installing minimal CRDs ${missing[*]}"
    # AlreadyExists for a CRD that was there is expected; the wait below checks the result.
    pkg_monitoring_crds | k create -f - >/dev/null 2>&1 || true
  fi
  for crd in servicemonitors.monitoring.coreos.com prometheusrules.monitoring.coreos.com; do
    wait_for "CRD ${crd} established" 30 equals True \
      k get crd "${crd}" -o 'jsonpath={.status.conditions[?(@.type=="Established")].status}'
  done
}

# ---------------------------------------------------------------------------
# The operator with a ServiceAccount's token instead of the admin kubeconfig.

# pkg_install_rbac OPERATOR_NAMESPACE SUFFIX FILE: applies manifests/rbac.yaml through a
# kustomize overlay that moves it into OPERATOR_NAMESPACE (the ClusterRoleBinding's subject too)
# and appends -SUFFIX to every name, so runs never share cluster-scoped objects. Writes the
# applied objects to FILE and records the cluster-scoped ones for deletion.
pkg_install_rbac() {
  local namespace=$1 suffix=$2 file=$3 overlay object
  overlay=$(mktemp -d "${E2E_STATE}/overlay.XXXXXX")
  cp "${PKG_MANIFESTS}/rbac.yaml" "${overlay}/rbac.yaml"
  cat >"${overlay}/kustomization.yaml" <<KUSTOMIZATION
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [rbac.yaml]
namespace: ${namespace}
nameSuffix: "-${suffix}"
KUSTOMIZATION
  k kustomize "${overlay}" >"${file}"
  for object in $(pkg_objects "${file}" | awk -F / '$1 == "ClusterRole" || $1 == "ClusterRoleBinding" { print tolower($1) "/" $3 }'); do
    pkg_track "${object}"
  done
  k apply -f "${file}" >/dev/null
}

# pkg_token_kubeconfig SERVICE_ACCOUNT NAMESPACE FILE: a kubeconfig holding only a token minted
# for the ServiceAccount with the TokenRequest API, and the cluster's CA and address. The token
# lasts PKG_TOKEN_DURATION (default 1h; the soak runs longer).
pkg_token_kubeconfig() {
  local sa=$1 namespace=$2 file=$3 token server ca
  token=$(k -n "${namespace}" create token "${sa}" --duration="${PKG_TOKEN_DURATION:-1h}") || fail "cannot mint a token for ${namespace}/${sa}"
  server=$(k config view --raw --minify -o 'jsonpath={.clusters[0].cluster.server}')
  ca=$(k config view --raw --minify --flatten -o 'jsonpath={.clusters[0].cluster.certificate-authority-data}')
  [[ -n "${server}" && -n "${ca}" ]] || fail "cannot read the API server's address and CA from ${KUBECONFIG}"
  : >"${file}"
  chmod 600 "${file}"
  cat >"${file}" <<KUBECONFIG_FILE
apiVersion: v1
kind: Config
clusters:
  - name: cluster
    cluster:
      server: ${server}
      certificate-authority-data: ${ca}
users:
  - name: ${sa}
    user:
      token: ${token}
contexts:
  - name: ${sa}
    context:
      cluster: cluster
      user: ${sa}
current-context: ${sa}
KUBECONFIG_FILE
}

# pkg_start_operator NAME KUBECONFIG_FILE [FLAGS...]: lib/common.sh's launch_operator with
# --namespace $ns; does not wait for readiness.
pkg_start_operator() {
  local name=$1 kubeconfig=$2
  shift 2
  launch_operator "${name}" "${kubeconfig}" --namespace "${ns}" "$@"
}

# readyz_code NAME: the HTTP status of the operator's /readyz ("000" when it does not answer).
readyz_code() {
  curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
    "http://127.0.0.1:$(cat "$(operator_dir "$1")/probe_port")/readyz" 2>/dev/null || true
}
# is_ready NAME: predicate, /readyz answers 200 and the operator is running.
is_ready() {
  operator_alive "$1" || {
    echo "operator $1 exited: $(tail -n 5 "$(operator_log "$1")")"
    return 1
  }
  [[ "$(readyz_code "$1")" == 200 ]]
}

# forbidden_lines NAME: log lines of the operator that report a 403 / Forbidden.
# (403 only as a status code: ' 403 ' or '(403)', never a timestamp's milliseconds, '.403+00:00'.)
forbidden_lines() { grep -Ei 'forbid|[ (]403[ )]' "$(operator_log "$1")" || true; }

# metric_403_samples NAME: /metrics samples with code="403" and a non-zero value.
metric_403_samples() {
  metrics_text "$1" | awk '/^#/ { next } $1 ~ /code="403"/ && $NF + 0 > 0 { print }'
}

# pkg_wait_ready NAME [TIMEOUT]: waits for /readyz 200; fails at once if the operator exits.
pkg_wait_ready() {
  local name=$1 deadline=$((SECONDS + ${2:-90}))
  until [[ "$(readyz_code "${name}")" == 200 ]]; do
    if ! operator_alive "${name}"; then
      tail -n 20 "$(operator_log "${name}")" >&2
      fail "operator ${name} exited before it was ready"
    fi
    ((SECONDS < deadline)) || fail "operator ${name} did not answer 200 on /readyz within ${2:-90}s"
    sleep 0.3
  done
  say "operator ${name} ready"
}
