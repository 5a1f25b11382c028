# shellcheck shell=bash
# Shared helpers for the end-to-end tests (tests/e2e/*_test.sh).
#
# A test script does:
#   source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
#   e2e_init <short-name>          # checks the environment, makes namespace $ns, installs the trap
#   start_operator main            # the real binary, watching $ns, ready when this returns
#   run_case 1 "what it proves" case_1_function
#   ...
#   e2e_finish                     # prints the summary; exit status 0 only if every case passed
#
# Each case runs in a subshell with `set -e`: the first failing command or `fail` ends that case
# only, the next case still runs. State that must outlive a case (operators, namespaces) is kept in
# files under $E2E_STATE, never in shell variables.
#
# Environment (set by ctest or by `eval "$(hack/local-cluster.sh env)"`):
#   KUBECONFIG, PATH (kubectl, freeport), CLUSTER_DNS=127.0.0.1:<port>,
#   HSO_OPERATOR_BINARY (the operator), HSO_SOURCE_DIR (the repository; optional)
# Knobs: E2E_OPERATOR_LOG_LEVEL (default debug), E2E_KEEP=1 keeps the namespaces and the state
# folder after the run.

set -euo pipefail
shopt -s inherit_errexit

E2E_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HSO_SOURCE_DIR=${HSO_SOURCE_DIR:-$(cd "${E2E_LIB_DIR}/../../.." && pwd)}
export HSO_SOURCE_DIR
# From this checkout, not HSO_SOURCE_DIR (which may name an older one: tests/e2e/image_run.sh).
# shellcheck source=../../../hack/lib/operator.sh
source "${E2E_LIB_DIR}/../../../hack/lib/operator.sh"

# The namespace of the test (set by e2e_init); helpers default to it.
ns=""
DNS_HOST=""
DNS_PORT=""

# The operator's interface, as the tests rely on it. (Used by the test scripts.)
# shellcheck disable=SC2034
readonly HSO_ANNOTATION=srcd.host/create-headless-service
# Ownership labels (include/hso/reconciler/plan/ownership.hpp). Only ownership cases assert on them.
# shellcheck disable=SC2034
readonly HSO_MANAGED_BY_LABEL=app.kubernetes.io/managed-by
# shellcheck disable=SC2034
readonly HSO_MANAGED_BY_VALUE=k8s-pod-headless-service-operator
# shellcheck disable=SC2034
readonly HSO_SLICE_MANAGED_BY=k8s-pod-headless-service-operator.srcd.host
readonly CLUSTER_DOMAIN=cluster.local
# Metric names (METRICS.md): API requests by verb/resource/code, and finished reconciles.
HSO_METRIC_API_REQUESTS=${HSO_METRIC_API_REQUESTS:-headless_service_operator_api_requests_total}
HSO_METRIC_RECONCILES=${HSO_METRIC_RECONCILES:-headless_service_operator_reconciles_total}
# Addresses the tests write into pod status themselves (documentation ranges: never kwok's).
# shellcheck disable=SC2034
readonly TEST_NET4=192.0.2
# shellcheck disable=SC2034
readonly TEST_NET6=2001:db8:e2e

E2E_NAME=${E2E_NAME:-$(basename "${0%.sh}")}
E2E_STARTED=${SECONDS}
E2E_CASE=""
E2E_PASSED=()
E2E_FAILED=()

# ---------------------------------------------------------------------------
# Output and failure.

say() { printf '[%s +%3ds]%s %s\n' "${E2E_NAME}" "$((SECONDS - E2E_STARTED))" \
  "${E2E_CASE:+ case ${E2E_CASE}:}" "$*" >&2; }

# Ends the current case (or the script, outside a case) with a message.
fail() {
  printf '[%s +%3ds] FAIL%s: %s\n' "${E2E_NAME}" "$((SECONDS - E2E_STARTED))" \
    "${E2E_CASE:+ case ${E2E_CASE}}" "$*" >&2
  exit 1
}

k() { kubectl --request-timeout=20s "$@"; }

# ---------------------------------------------------------------------------
# Environment and set-up.

require_cluster_env() {
  local hint="run: export LOCAL_CLUSTER_DIR=/tmp/e2e-cluster; eval \"\$(hack/local-cluster.sh up)\""
  [[ -n "${KUBECONFIG:-}" && -r "${KUBECONFIG}" ]] || fail "KUBECONFIG is not set or not readable; ${hint}"
  [[ -n "${CLUSTER_DNS:-}" ]] || fail "CLUSTER_DNS is not set; ${hint}"
  [[ "${CLUSTER_DNS}" =~ ^([0-9.]+):([0-9]+)$ ]] || fail "CLUSTER_DNS must be <ip>:<port>, got '${CLUSTER_DNS}'"
  DNS_HOST=${BASH_REMATCH[1]}
  DNS_PORT=${BASH_REMATCH[2]}
  [[ -n "${HSO_OPERATOR_BINARY:-}" && -x "${HSO_OPERATOR_BINARY}" ]] \
    || fail "HSO_OPERATOR_BINARY='${HSO_OPERATOR_BINARY:-}' is not an executable (build the operator)"
  local tool
  for tool in kubectl dig curl freeport awk; do
    command -v "${tool}" >/dev/null || fail "${tool} is not on PATH; ${hint}"
  done
  k get --raw /readyz >/dev/null 2>&1 || fail "the API server in ${KUBECONFIG} is not ready; ${hint}"
}

# e2e_init SHORT_NAME: checks the environment, creates the test's namespace ($ns) and installs the
# EXIT trap (stops operators, dumps diagnostics on failure, deletes namespaces).
e2e_init() {
  local short=$1
  require_cluster_env
  E2E_STATE=$(mktemp -d "${TMPDIR:-/tmp}/hso-e2e-${short}.XXXXXX")
  mkdir -p "${E2E_STATE}/operators"
  : >"${E2E_STATE}/namespaces"
  trap e2e_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  ns=$(new_namespace "${short}")
  say "namespace ${ns}, state ${E2E_STATE}, operator ${HSO_OPERATOR_BINARY}"
}

# new_namespace PREFIX: creates a uniquely named namespace (deleted at exit) and prints its name.
new_namespace() {
  local prefix=$1 name
  name="e2e-${prefix:0:30}-$(date +%s | tail -c 5)${RANDOM}"
  k create namespace "${name}" >/dev/null || fail "cannot create namespace ${name}"
  printf '%s\n' "${name}" >>"${E2E_STATE}/namespaces"
  # Pods are refused until kube-controller-manager made the default service account.
  wait_for "service account default in ${name}" 60 k -n "${name}" get serviceaccount default
  printf '%s\n' "${name}"
}

e2e_namespaces() { cat "${E2E_STATE}/namespaces"; }

e2e_cleanup() {
  local rc=$? name
  E2E_CASE=""
  trap - EXIT INT TERM
  set +e
  for name in $(operator_names); do
    if operator_alive "${name}"; then
      say "stopping operator ${name}"
      stop_operator_quietly "${name}" >/dev/null
    fi
  done
  for name in $(operator_names); do
    if ! sanitizer_clean "${name}"; then
      say "operator ${name}: sanitizer report in its log:"
      grep -n -A 30 -E "${SANITIZER_REPORT_PATTERN}" \
        "${E2E_STATE}/operators/${name}/log" | head -n 80 >&2 || true
      rc=1
    fi
  done
  if ((rc != 0)) && [[ ! -e "${E2E_STATE}/dumped" ]]; then
    dump_diagnostics
  fi
  if [[ "${E2E_KEEP:-0}" == 1 ]]; then
    say "E2E_KEEP=1: keeping namespaces $(e2e_namespaces | tr '\n' ' ')and ${E2E_STATE}"
  else
    while read -r name; do
      [[ -n "${name}" ]] && k delete namespace "${name}" --wait=false >/dev/null 2>&1
    done <"${E2E_STATE}/namespaces"
    if ((rc == 0)); then rm -rf "${E2E_STATE}"; else say "operator logs kept in ${E2E_STATE}/operators"; fi
  fi
  say "finished in $((SECONDS - E2E_STARTED))s with status ${rc}"
  exit "${rc}"
}

# ---------------------------------------------------------------------------
# Cases.

# run_case NUMBER DESCRIPTION FUNCTION: runs FUNCTION in a subshell with errexit; records the result.
run_case() {
  local number=$1 description=$2 fn=$3 rc started=${SECONDS}
  E2E_CASE=${number}
  say "=== RUN  ${description}"
  set +e
  (
    set -e
    "${fn}"
  )
  rc=$?
  set -e
  if ((rc == 0)); then
    E2E_PASSED+=("${number}")
    say "--- PASS (${number}: ${description}) in $((SECONDS - started))s"
  else
    E2E_FAILED+=("${number}")
    say "--- FAIL (${number}: ${description}) in $((SECONDS - started))s"
    dump_diagnostics
    rm -f "${E2E_STATE}/dumped"
  fi
  E2E_CASE=""
}

# e2e_finish: prints the summary and exits 0 only if every case passed.
e2e_finish() {
  say "passed cases: ${E2E_PASSED[*]:-none}"
  if ((${#E2E_FAILED[@]} > 0)); then
    say "FAILED cases: ${E2E_FAILED[*]}"
    touch "${E2E_STATE}/dumped"
    exit 1
  fi
  say "PASS: all ${#E2E_PASSED[@]} cases"
  exit 0
}

# ---------------------------------------------------------------------------
# Waiting. Never sleep to synchronise: poll a condition against a deadline.

# wait_for DESCRIPTION TIMEOUT_SECONDS COMMAND...: polls COMMAND until it succeeds; fails the case
# with DESCRIPTION and the command's last output when the deadline passes.
wait_for() {
  local description=$1 timeout=$2 deadline out=""
  shift 2
  deadline=$((SECONDS + timeout))
  while :; do
    if out=$("$@" 2>&1); then
      return 0
    fi
    if ((SECONDS >= deadline)); then
      fail "timed out after ${timeout}s waiting for: ${description}${out:+ (last output: ${out:0:600})}"
    fi
    sleep 0.3
  done
}

# holds_for DESCRIPTION SECONDS COMMAND...: COMMAND must succeed at every poll for SECONDS.
# A bounded observation window, checked continuously (for "stays absent", "stays flat").
holds_for() {
  local description=$1 window=$2 end out=""
  shift 2
  end=$((SECONDS + window))
  while ((SECONDS < end)); do
    out=$("$@" 2>&1) || fail "${description} stopped holding within ${window}s${out:+: ${out:0:600}}"
    sleep 0.5
  done
}

# unchanged_for DESCRIPTION SECONDS COMMAND...: COMMAND's output must stay what it is now for SECONDS.
unchanged_for() {
  local description=$1 window=$2 end first now
  shift 2
  first=$("$@" 2>&1) || fail "${description}: the observed command failed: ${first:0:400}"
  end=$((SECONDS + window))
  while ((SECONDS < end)); do
    sleep 0.5
    now=$("$@" 2>&1) || fail "${description}: the observed command failed: ${now:0:400}"
    [[ "${now}" == "${first}" ]] || fail "${description}: changed within ${window}s from '${first}' to '${now}'"
  done
}

# wait_stable DESCRIPTION TIMEOUT QUIET_SECONDS COMMAND...: waits until COMMAND's output has not
# changed for QUIET_SECONDS (e.g. a reconcile counter that stopped moving), within TIMEOUT.
wait_stable() {
  local description=$1 timeout=$2 quiet=$3 deadline last now since
  shift 3
  deadline=$((SECONDS + timeout))
  last=$("$@" 2>&1) || fail "${description}: the observed command failed: ${last:0:400}"
  since=${SECONDS}
  while ((SECONDS - since < quiet)); do
    ((SECONDS < deadline)) || fail "timed out after ${timeout}s waiting for ${description} to settle (still moving: '${last}')"
    sleep 0.5
    now=$("$@" 2>&1) || fail "${description}: the observed command failed: ${now:0:400}"
    if [[ "${now}" != "${last}" ]]; then
      last=${now}
      since=${SECONDS}
    fi
  done
}

# ---------------------------------------------------------------------------
# Assertions.

assert_eq() { # EXPECTED ACTUAL DESCRIPTION
  [[ "$1" == "$2" ]] || fail "$3: expected '$1', got '$2'"
}

assert_ne() { # UNEXPECTED ACTUAL DESCRIPTION
  [[ "$1" != "$2" ]] || fail "$3: did not expect '$2'"
}

assert_contains() { # HAYSTACK NEEDLE DESCRIPTION
  [[ "$1" == *"$2"* ]] || fail "$3: '$2' not found in '$1'"
}

# assert_absent KIND NAME [NAMESPACE]
assert_absent() {
  local out
  out=$(k -n "${3:-${ns}}" get "$1" "$2" -o name --ignore-not-found 2>&1) || fail "cannot read $1 $2: ${out}"
  [[ -z "${out}" ]] || fail "$1 $2 exists in ${3:-${ns}} but should not"
}

# assert_present KIND NAME [NAMESPACE]
assert_present() {
  k -n "${3:-${ns}}" get "$1" "$2" -o name >/dev/null 2>&1 || fail "$1 $2 does not exist in ${3:-${ns}}"
}

# Predicates for wait_for / holds_for.
exists() { [[ -n "$(k -n "${3:-${ns}}" get "$1" "$2" -o name --ignore-not-found)" ]]; }
gone() { [[ -z "$(k -n "${3:-${ns}}" get "$1" "$2" -o name --ignore-not-found)" ]]; }
# equals EXPECTED COMMAND...: the command's output is EXPECTED.
equals() {
  local expected=$1 out
  shift
  out=$("$@")
  [[ "${out}" == "${expected}" ]] || {
    printf 'expected %s, got %s\n' "'${expected}'" "'${out}'"
    return 1
  }
}
# holds_no_service NAMESPACE: predicate, no Service at all in NAMESPACE.
holds_no_service() {
  local services
  services=$(k -n "$1" get services -o name)
  [[ -z "${services}" ]] || {
    echo "Services in $1: ${services}"
    return 1
  }
}

# ---------------------------------------------------------------------------
# Objects.

# field KIND NAME JSONPATH [NAMESPACE]: one field ('' if the object or field is missing).
field() {
  k -n "${4:-${ns}}" get "$1" "$2" -o "jsonpath=$3" --ignore-not-found
}

# make_pod [-n NS] [-l KEY=VALUE]... [-a ANNOTATION_KEY] NAME [ANNOTATION_VALUE|-] [SPEC_YAML]
# Applies a pod; ANNOTATION_VALUE defaults to "true", "-" leaves the annotation off; SPEC_YAML is
# extra lines for the pod's spec (written at spec level, indented for you).
make_pod() {
  local namespace=${ns} labels="" annotation_key=${HSO_ANNOTATION}
  while [[ "${1:-}" == -* ]]; do
    case "$1" in
      -n) namespace=$2 ;;
      -l) labels+="    ${2%%=*}: \"${2#*=}\""$'\n' ;;
      -a) annotation_key=$2 ;;
      *) fail "make_pod: unknown option $1" ;;
    esac
    shift 2
  done
  local name=$1 value=${2:-true} extra=${3:-} annotations=""
  [[ "${value}" == - ]] || annotations="    ${annotation_key}: \"${value}\""$'\n'
  [[ -z "${extra}" ]] || extra=$(sed 's/^/  /' <<<"${extra}")
  k apply -f - >/dev/null <<EOF || fail "cannot apply pod ${namespace}/${name}"
apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: ${namespace}
  labels:
    e2e.hso/test: "${E2E_NAME//_/-}"
${labels}  annotations:
    e2e.hso/case: "${E2E_CASE:-none}"
${annotations}$(pod_spec_yaml)
${extra}
EOF
}

# pod_spec_yaml: the spec of every test pod (kwok runs it; its image is never pulled).
pod_spec_yaml() {
  printf '%s\n' "spec:" "  terminationGracePeriodSeconds: 1" "  tolerations:" \
    "  - operator: Exists" "  containers:" "  - name: app" \
    "    image: registry.invalid/hso-e2e/app:1"
}

# make_burst PREFIX N: N annotated pods PREFIX-0 … PREFIX-(N-1) in one request (a job's burst).
make_burst() {
  local i docs=""
  for ((i = 0; i < $2; i++)); do
    docs+="---
apiVersion: v1
kind: Pod
metadata:
  name: $1-${i}
  namespace: ${ns}
  labels:
    e2e.hso/test: \"${E2E_NAME//_/-}\"
  annotations:
    ${HSO_ANNOTATION}: \"true\"
$(pod_spec_yaml)
"
  done
  k apply -f - >/dev/null <<<"${docs}" || fail "cannot create the burst of pods $1-N"
}

# pod_ip NAME [NAMESPACE]
pod_ip() { field pod "$1" '{.status.podIP}' "${2:-${ns}}"; }
pod_uid() { field pod "$1" '{.metadata.uid}' "${2:-${ns}}"; }

# wait_pod_ip NAME [NAMESPACE]: waits for the pod to be Running with an IP (kwok) and prints it.
wait_pod_ip() {
  local namespace=${2:-${ns}}
  wait_for "pod ${namespace}/$1 Running with an IP" 60 pod_running_with_ip "$1" "${namespace}"
  pod_ip "$1" "${namespace}"
}
pod_running_with_ip() {
  [[ "$(field pod "$1" '{.status.phase} {.status.podIP}' "$2")" =~ ^Running\ [0-9a-f.:]+$ ]]
}

# set_pod_ips NAME IP [IP6] [NAMESPACE=$ns]: writes status.podIP/podIPs through the status
# subresource. kwok only acts on Pending pods (see hack/local-cluster.sh), so once kwok has made
# the pod Running it leaves these fields alone. A JSON merge patch replaces the podIPs list (a
# strategic merge patch would merge it by ip).
set_pod_ips() {
  local name=$1 ip=$2 ip6=${3:-} namespace=${4:-${ns}} ips
  ips="{\"ip\":\"${ip}\"}"
  [[ -z "${ip6}" ]] || ips+=",{\"ip\":\"${ip6}\"}"
  k -n "${namespace}" patch pod "${name}" --subresource=status --type=merge \
    -p "{\"status\":{\"podIP\":\"${ip}\",\"podIPs\":[${ips}]}}" >/dev/null \
    || fail "cannot patch the status of pod ${namespace}/${name}"
}

# set_pod_phase NAME PHASE [NAMESPACE]
set_pod_phase() {
  k -n "${3:-${ns}}" patch pod "$1" --subresource=status --type=merge \
    -p "{\"status\":{\"phase\":\"$2\"}}" >/dev/null || fail "cannot set phase $2 on pod $1"
}

# delete_pod NAME [NAMESPACE]: deletes and waits until it is gone (kwok finishes deletions).
delete_pod() {
  local namespace=${2:-${ns}}
  k -n "${namespace}" delete pod "$1" --wait=false >/dev/null
  wait_for "pod ${namespace}/$1 to be gone" 60 gone pod "$1" "${namespace}"
}

# Service and EndpointSlice views.
svc_uid() { field service "$1" '{.metadata.uid}' "${2:-${ns}}"; }

# slice_ips SERVICE [ADDRESS_TYPE] [NAMESPACE]: sorted addresses of every EndpointSlice labelled
# for SERVICE (optionally of one address type), one per line.
slice_ips() {
  local type=${2:-} namespace=${3:-${ns}}
  k -n "${namespace}" get endpointslices -l "kubernetes.io/service-name=$1" \
    -o jsonpath='{range .items[*]}{.addressType}{" "}{range .endpoints[*]}{.addresses[*]}{" "}{end}{"\n"}{end}' \
    | awk -v want="${type}" '{ if (want == "" || $1 == want) for (i = 2; i <= NF; i++) print $i }' | sort -u
}
# slice_ips_line: the same on one line, space-separated (for equals/assert_eq).
slice_ips_line() { slice_ips "$@" | paste -sd ' ' -; }

# slice_summary SERVICE [NAMESPACE]: "name addressType managed-by ownerKind/ownerName" per slice.
slice_summary() {
  k -n "${2:-${ns}}" get endpointslices -l "kubernetes.io/service-name=$1" \
    -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.addressType}{" "}{.metadata.labels.endpointslice\.kubernetes\.io/managed-by}{" "}{.metadata.ownerReferences[*].kind}/{.metadata.ownerReferences[*].name}{"\n"}{end}'
}
slice_count() { slice_summary "$@" | grep -c . || true; }

# service_owner NAME [NAMESPACE]: "Kind/name/uid" of each owner reference.
service_owner() {
  field service "$1" '{range .metadata.ownerReferences[*]}{.kind}/{.name}/{.uid}{" "}{end}' "${2:-${ns}}" | sed 's/ $//'
}

# ---------------------------------------------------------------------------
# DNS, through the cluster's CoreDNS.

fqdn() { printf '%s.%s.svc.%s\n' "$1" "${2:-${ns}}" "${CLUSTER_DOMAIN}"; }

# dig_a NAME / dig_aaaa NAME: the sorted answers, space-separated ('' for none).
dig_a() { dig_type A "$1"; }
dig_aaaa() { dig_type AAAA "$1"; }
dig_type() {
  dig +short +time=1 +tries=2 @"${DNS_HOST}" -p "${DNS_PORT}" "$2" "$1" \
    | grep -E '^[0-9a-fA-F.:]+$' | sort | paste -sd ' ' - || true
}

# dns_answers TYPE NAME EXPECTED: predicate for wait_for.
dns_answers() {
  local got
  got=$(dig_type "$1" "$2")
  [[ "${got}" == "$3" ]] || {
    printf '%s %s answered %s, want %s\n' "$2" "$1" "'${got}'" "'$3'"
    return 1
  }
}

# ---------------------------------------------------------------------------
# Events (events.k8s.io/v1).

# pod_events POD [NAMESPACE]: "type reason note" of each Event regarding the pod, one per line.
pod_events() {
  k -n "${2:-${ns}}" get events.events.k8s.io \
    -o jsonpath='{range .items[*]}{.regarding.kind}{"\t"}{.regarding.name}{"\t"}{.type}{"\t"}{.reason}{"\t"}{.note}{"\n"}{end}' \
    | awk -F '\t' -v pod="$1" '$1 == "Pod" && $2 == pod { print $3 " " $4 " " $5 }'
}
# has_warning_event POD [NAMESPACE]: predicate.
has_warning_event() { pod_events "$@" | grep -q '^Warning '; }
# warning_count POD [NAMESPACE]: Warning Events regarding the pod.
warning_count() { pod_events "$@" | grep -c '^Warning ' || true; }

# ---------------------------------------------------------------------------
# The operator.

operator_dir() { printf '%s/operators/%s\n' "${E2E_STATE}" "$1"; }
operator_names() { ls "${E2E_STATE}/operators" 2>/dev/null || true; }
operator_pid() { cat "$(operator_dir "$1")/pid" 2>/dev/null; }
operator_alive() {
  local dir
  dir=$(operator_dir "$1")
  [[ -f "${dir}/pid" && ! -f "${dir}/rc" ]] && kill -0 "$(cat "${dir}/pid")" 2>/dev/null
}
operator_log() { printf '%s/log\n' "$(operator_dir "$1")"; }

# launch_operator NAME KUBECONFIG_FILE [FLAGS...]: the one way the tests start the binary
# ($HSO_OPERATOR_BINARY), through hack/lib/operator.sh's operator_spawn: in the background, with
# that kubeconfig, free loopback metrics and probe ports and FLAGS; its folder (operator_dir NAME)
# gets the pid, the ports, the command line, the log and, once it exits, its status. Returns once
# the process runs; does not wait for readiness.
launch_operator() {
  local name=$1 kubeconfig=$2
  shift 2
  if operator_alive "${name}"; then fail "operator ${name} is already running"; fi
  local dir
  dir=$(operator_dir "${name}")
  operator_spawn "${dir}" "${HSO_OPERATOR_BINARY}" "${kubeconfig}" \
    "${E2E_OPERATOR_LOG_LEVEL:-debug}" "$@" || fail "operator ${name} did not start (or no free ports)"
  say "started operator ${name}: $(cat "${dir}/cmdline")"
}

# start_operator NAME [FLAGS...]: starts the binary in the background with --kubeconfig, free
# loopback metrics/probe ports and, unless FLAGS give them, --namespace $ns and
# --leader-election-namespace $ns; returns once /readyz answers 200.
start_operator() {
  local name=$1 dir arg have_ns=0 have_lens=0
  shift
  dir=$(operator_dir "${name}")
  if operator_alive "${name}"; then fail "operator ${name} is already running"; fi
  local lease_ns=${ns} lease_id=k8s-pod-headless-service-operator elect=true prev=""
  for arg in "$@"; do
    case "${prev}" in
      --leader-election-namespace) lease_ns=${arg} ;;
      --leader-election-id) lease_id=${arg} ;;
    esac
    case "${arg}" in
      --namespace | --namespace=*) have_ns=1 ;;
      --leader-election-namespace=*) have_lens=1 lease_ns=${arg#*=} ;;
      --leader-election-namespace) have_lens=1 ;;
      --leader-election-id=*) lease_id=${arg#*=} ;;
      --leader-elect=false) elect=false ;;
    esac
    prev=${arg}
  done
  # Who held the Lease before, so that wait_for_leader can tell a new acquisition.
  mkdir -p "${dir}"
  printf '%s %s %s\n' "${elect}" "${lease_ns}" "${lease_id}" >"${dir}/lease"
  lease_acquire_time "${lease_ns}" "${lease_id}" >"${dir}/lease_before"
  local defaults=()
  ((have_ns)) || defaults+=(--namespace "${ns}")
  ((have_lens)) || defaults+=(--leader-election-namespace "${ns}")
  launch_operator "${name}" "${KUBECONFIG}" ${defaults[@]+"${defaults[@]}"} "$@"
  local ports=("$(cat "${dir}/metrics_port")" "$(cat "${dir}/probe_port")") deadline
  local started=${SECONDS}
  deadline=$((SECONDS + 90))
  until curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:${ports[1]}/readyz" 2>/dev/null; do
    if [[ -f "${dir}/rc" ]]; then
      tail -n 40 "${dir}/log" >&2
      fail "operator ${name} exited with status $(cat "${dir}/rc") before it was ready"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 40 "${dir}/log" >&2
      fail "operator ${name} did not answer 200 on /readyz within 90s"
    fi
    sleep 0.2
  done
  say "operator ${name} ready in $((SECONDS - started))s (pid $(operator_pid "${name}"), metrics :${ports[0]})"
}

# stop_operator NAME: SIGTERM, then waits (with a deadline) for it to exit; fails on a non-zero exit
# status or a sanitizer report.
stop_operator() {
  local name=$1 rc
  operator_alive "${name}" || fail "operator ${name} is not running"
  say "stopping operator ${name} (SIGTERM)"
  rc=$(stop_operator_quietly "${name}") || fail "operator ${name} did not exit within 45s of SIGTERM (killed)"
  sanitizer_clean "${name}" || fail "operator ${name}: sanitizer report in $(operator_log "${name}")"
  [[ "${rc}" == 0 ]] || {
    tail -n 30 "$(operator_log "${name}")" >&2
    fail "operator ${name} exited with status ${rc} after SIGTERM (want 0)"
  }
}

# terminate_process DIR SECONDS: SIGTERM to the process whose pid is in DIR/pid, waits for the
# exit status its launcher writes to DIR/rc and prints it; SIGKILL after SECONDS, then returns 1.
terminate_process() {
  local dir=$1 pid deadline
  pid=$(cat "${dir}/pid")
  kill -TERM "${pid}" 2>/dev/null || true
  deadline=$((SECONDS + $2))
  until [[ -f "${dir}/rc" ]]; do
    if ((SECONDS >= deadline)); then
      kill -KILL "${pid}" 2>/dev/null || true
      until [[ -f "${dir}/rc" ]]; do sleep 0.1; done
      cat "${dir}/rc"
      return 1
    fi
    sleep 0.1
  done
  cat "${dir}/rc"
}

# stop_operator_quietly NAME: prints the exit status; returns 1 if it had to be killed.
stop_operator_quietly() { terminate_process "$(operator_dir "$1")" 45; }

# What a sanitizer prints when it finds something: ASan, LSan and UBSan (the default test build)
# say ERROR or "runtime error:"; ThreadSanitizer (build-tsan) says WARNING for a race and FATAL
# when it cannot run at all.
SANITIZER_REPORT_PATTERN='(ERROR|WARNING|FATAL): (Address|Leak|Undefined|Thread)Sanitizer|runtime error:'

sanitizer_clean() {
  ! grep -q -E "${SANITIZER_REPORT_PATTERN}" "$(operator_log "$1")" 2>/dev/null
}

lease_acquire_time() { # NAMESPACE NAME
  k -n "$1" get lease "$2" -o jsonpath='{.spec.acquireTime}' --ignore-not-found 2>/dev/null || true
}

# wait_for_leader OPERATOR: with leader election on, waits until the Lease was acquired after the
# operator started (a new acquireTime and a holder); without it, returns at once.
wait_for_leader() {
  local dir elect lease_ns lease_id
  dir=$(operator_dir "$1")
  read -r elect lease_ns lease_id <"${dir}/lease"
  [[ "${elect}" == true ]] || return 0
  wait_for "operator $1 to acquire Lease ${lease_ns}/${lease_id}" 40 \
    lease_acquired_since "${lease_ns}" "${lease_id}" "$(cat "${dir}/lease_before")"
  say "operator $1 leads: $(k -n "${lease_ns}" get lease "${lease_id}" -o jsonpath='{.spec.holderIdentity}')"
}
lease_acquired_since() { # NAMESPACE NAME PREVIOUS_ACQUIRE_TIME
  local now holder
  now=$(lease_acquire_time "$1" "$2")
  holder=$(k -n "$1" get lease "$2" -o jsonpath='{.spec.holderIdentity}' 2>/dev/null || true)
  [[ -n "${now}" && "${now}" != "$3" && -n "${holder}" ]] || {
    echo "lease holder '${holder}', acquireTime '${now}' (before start: '$3')"
    return 1
  }
}

# metrics_text [OPERATOR]: the operator's /metrics (default: the one named "main").
metrics_text() {
  local dir
  dir=$(operator_dir "${1:-main}")
  curl -fsS --max-time 5 "http://127.0.0.1:$(cat "${dir}/metrics_port")/metrics"
}

# metric NAME [LABELS] [OPERATOR]: the sum of the samples of NAME whose labels include every
# key="value" pair of LABELS (comma-separated, e.g. 'verb="create",resource="services"').
# Prints 0 when there is no such sample.
metric() {
  local text
  text=$(metrics_text "${3:-main}") || fail "cannot read /metrics of operator ${3:-main}"
  sum_samples "$1" "${2:-}" <<<"${text}"
}

# sum_samples NAME [LABELS] < exposition: the sum of the samples of NAME in Prometheus text on
# stdin whose labels include every key="value" pair of LABELS (comma-separated); 0 when none.
sum_samples() {
  awk -v name="$1" -v want="${2:-}" '
    BEGIN { n = (want == "") ? 0 : split(want, pairs, ",") }
    /^#/ { next }
    {
      series = $1
      base = series; sub(/\{.*/, "", base)
      if (base != name) next
      for (i = 1; i <= n; i++) if (index(series, pairs[i]) == 0) next
      sum += $NF
    }
    END { printf "%.17g\n", sum + 0 }'
}

# owned_state: name and resourceVersion of every Service and EndpointSlice in the namespace.
owned_state() {
  k -n "${ns}" get services,endpointslices \
    -o jsonpath='{range .items[*]}{.kind}/{.metadata.name}@{.metadata.resourceVersion}{"\n"}{end}' | sort
}

reconcile_activity() { printf '%s %s\n' "$(reconcile_count "$1")" "$(api_writes "$1")"; }

# assert_restart_writes_nothing OPERATOR [FLAGS...]: restarts OPERATOR with FLAGS and, once its
# reconciles and writes have stopped moving, asserts that it wrote no Service, EndpointSlice or
# Endpoints and that every owned object kept its resourceVersion.
assert_restart_writes_nothing() {
  local name=$1 before writes
  shift
  before=$(owned_state)
  stop_operator "${name}"
  start_operator "${name}" "$@"
  wait_for_leader "${name}"
  wait_for "the restarted operator to reconcile" 45 reconciled_at_least "${name}" 1
  wait_stable "the restarted operator's reconciles and writes" 60 4 reconcile_activity "${name}"
  writes=$(API_WRITE_RESOURCES="services|endpointslices|endpoints" api_writes_breakdown "${name}")
  say "restarted operator: $(reconcile_count "${name}") reconciles; Event writes: $(API_WRITE_RESOURCES=events api_writes "${name}")"
  assert_eq 0 "$(API_WRITE_RESOURCES="services|endpointslices|endpoints" api_writes "${name}")" \
    "writes to services/endpointslices/endpoints by the restarted operator (${writes:-none})"
  assert_eq "${before}" "$(owned_state)" "resourceVersions of the Services and EndpointSlices"
}

# api_write_samples [OPERATOR]: the operator's API request counter samples for writes
# (create/update/patch/delete) to the resources in $API_WRITE_RESOURCES (a regex; default services,
# endpointslices, endpoints and events), as "series value" lines. Lease renewals are not counted.
API_WRITE_RESOURCES=${API_WRITE_RESOURCES:-services|endpointslices|endpoints|events}
api_write_samples() {
  local text
  text=$(metrics_text "${1:-main}") || fail "cannot read /metrics of operator ${1:-main}"
  grep -q -E "^(# TYPE )?${HSO_METRIC_API_REQUESTS}[{ ]" <<<"${text}" \
    || fail "operator ${1:-main} does not expose ${HSO_METRIC_API_REQUESTS} (set HSO_METRIC_API_REQUESTS?)"
  awk -v name="${HSO_METRIC_API_REQUESTS}" -v resources="resource=\"(${API_WRITE_RESOURCES})\"" '
    /^#/ { next }
    {
      series = $1
      base = series; sub(/\{.*/, "", base)
      if (base != name) next
      if (series !~ /verb="(create|update|patch|delete)"/) next
      if (series !~ resources) next
      print series, $NF
    }' <<<"${text}"
}

# api_writes [OPERATOR]: how many such writes the operator has made since it started.
api_writes() {
  api_write_samples "$@" | awk '{ sum += $NF } END { printf "%.17g\n", sum + 0 }'
}
# api_writes_breakdown [OPERATOR]: the non-zero samples, on one line.
api_writes_breakdown() { api_write_samples "$@" | awk '$NF != 0' | paste -sd ';' -; }

# reconcile_count [OPERATOR]: reconciles finished since the operator started.
reconcile_count() {
  local text
  text=$(metrics_text "${1:-main}") || fail "cannot read /metrics of operator ${1:-main}"
  grep -q -E "^(# TYPE )?${HSO_METRIC_RECONCILES}[{ ]" <<<"${text}" \
    || fail "operator ${1:-main} does not expose ${HSO_METRIC_RECONCILES} (set HSO_METRIC_RECONCILES?)"
  metric "${HSO_METRIC_RECONCILES}" "" "${1:-main}"
}
# clock_past EPOCH_SECONDS: predicate, the wall clock is past that second.
clock_past() { (($(date +%s) > $1)); }
# reconciled_at_least OPERATOR N: predicate.
reconciled_at_least() {
  local n
  n=$(reconcile_count "$1")
  awk -v n="${n}" -v want="$2" 'BEGIN { exit !(n >= want) }' || {
    echo "${n} reconciles"
    return 1
  }
}

# ---------------------------------------------------------------------------
# Diagnostics, printed when a case or the script fails.

dump_diagnostics() {
  local name namespace
  touch "${E2E_STATE}/dumped"
  {
    printf '\n----- diagnostics (%s%s) -----\n' "${E2E_NAME}" "${E2E_CASE:+, case ${E2E_CASE}}"
    for name in $(operator_names); do
      printf -- '--- operator %s (%s): %s\n' "${name}" \
        "$(if operator_alive "${name}"; then echo running; else echo "exited $(cat "$(operator_dir "${name}")/rc" 2>/dev/null)"; fi)" \
        "$(cat "$(operator_dir "${name}")/cmdline" 2>/dev/null)"
      tail -n 60 "$(operator_log "${name}")" 2>/dev/null
      if operator_alive "${name}"; then
        printf -- '--- operator %s: write and reconcile metrics\n' "${name}"
        metrics_text "${name}" 2>/dev/null | grep -v '^#' \
          | grep -E 'request|write|reconcile|skip|queue_depth|leader|created|updated|deleted' | head -n 60 || true
      fi
    done
    while read -r namespace; do
      [[ -n "${namespace}" ]] || continue
      printf -- '--- namespace %s: pods\n' "${namespace}"
      k -n "${namespace}" get pods -o wide --show-labels 2>&1
      printf -- '--- namespace %s: services, endpointslices, endpoints (yaml)\n' "${namespace}"
      k -n "${namespace}" get services,endpointslices,endpoints -o yaml 2>/dev/null | head -n 400 || true
      printf -- '--- namespace %s: events\n' "${namespace}"
      k -n "${namespace}" get events.events.k8s.io \
        -o custom-columns=TYPE:.type,REASON:.reason,REGARDING:.regarding.name,NOTE:.note 2>&1 | head -n 60 || true
    done <"${E2E_STATE}/namespaces"
    printf -- '----- end of diagnostics -----\n\n'
  } >&2
}
