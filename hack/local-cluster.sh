#!/usr/bin/env bash
# A real, local Kubernetes control plane on 127.0.0.1 for tests, the demo and
# benchmarks: etcd, kube-apiserver (TLS, RBAC), kube-controller-manager,
# kube-scheduler, kwok (simulated nodes that run pods and give them IPs) and
# CoreDNS serving cluster.local from the cluster.
#
# Usage: hack/local-cluster.sh up|down|status|env
#        hack/local-cluster.sh start|stop|restart NAME
#        hack/local-cluster.sh signal NAME SIGNAL
#
#   up      start everything (building the tools first if needed), wait until
#           every component is healthy, then print the lines to eval:
#             export KUBECONFIG=...  export PATH=...  export CLUSTER_DNS=127.0.0.1:<port>
#             export CLUSTER_AUDIT_LOG=<state>/logs/audit.log
#             export CLUSTER_DNS_METRICS=127.0.0.1:<port>  (CoreDNS's /metrics)
#           A running healthy cluster is reused; stale state is cleaned first.
#   down    stop what `up` started (by recorded pid) and remove the state folder.
#   status  report each component; exit 1 if any is unhealthy or stopped.
#   env     print the export lines of the running cluster again.
#   start NAME    start one component of a cluster that is up (etcd, kube-apiserver,
#           kube-controller-manager, kube-scheduler, kwok, coredns) again, with
#           the same flags, ports, certificates and data; waits until it is healthy.
#   stop NAME     stop one component (SIGTERM, 15 s grace, SIGKILL).
#   restart NAME  stop, then start.
#   signal NAME SIGNAL  send SIGNAL (KILL, TERM, STOP, CONT, ...) to the component's
#           recorded process only; after KILL or TERM, waits until it is gone (up to
#           15 s) and forgets it, so that `start NAME` can follow. For fault
#           injection (tests/e2e/lib/soak.sh): kill etcd or freeze the API server.
#
# Environment:
#   LOCAL_CLUSTER_DIR     state folder (default <repo>/.local-cluster)
#   LOCAL_CLUSTER_NODES   number of kwok nodes (default 3)
#   LOCAL_CLUSTER_ETCD_QUOTA_BYTES  etcd's backend quota (default 2 GiB, etcd's own; make
#                         bench-scale raises it for 150,000 pods)
#   LOCAL_CLUSTER_TIMEOUT seconds to wait for each component (default 120)
#   LOCAL_CLUSTER_KEEP_LOGS=1  `down` keeps <state>/logs (for diagnosing failures)
#
# Every component listens on 127.0.0.1 only, on ports chosen free at start
# (below the kernel's ephemeral port range, so that a component started again
# finds its port free), so two clusters (two state folders) can run side by
# side. Progress goes to stderr.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The control plane's configuration files: kwok's stages, the audit policy, CoreDNS's RBAC, and the
# templates of the Corefile and the kubeconfigs.
config_dir=${repo_root}/hack/local-cluster
state_dir=$(realpath -m "${LOCAL_CLUSTER_DIR:-${repo_root}/.local-cluster}")
node_count="${LOCAL_CLUSTER_NODES:-3}"
wait_timeout="${LOCAL_CLUSTER_TIMEOUT:-120}"

readonly cluster_domain=cluster.local
readonly service_cidr=10.96.0.0/16
readonly kubernetes_service_ip=10.96.0.1
readonly pod_cidr=10.244.0.0/16
readonly fake_node_ip=10.255.0.1
# Start order.
readonly components=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok coredns)

log() { printf 'local-cluster: [%3ds] %s\n' "${SECONDS}" "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# render TEMPLATE NAME VALUE...: TEMPLATE without its leading comment lines, each @NAME@ replaced
# by its VALUE (values are paths, ports and names: no character of them is special to sed's `|`).
render() {
  local template=$1 script=()
  shift
  while (($# >= 2)); do
    script+=(-e "s|@$1@|$2|g")
    shift 2
  done
  sed -e '/^#/d' "${script[@]}" "${template}"
}

# ---------------------------------------------------------------------------
# Process bookkeeping. Each started program has <state>/pids/<name> holding
# "<pid> <start time in clock ticks> <executable path>", so that `down` only
# ever signals the very process `up` started, even if the pid was reused.

proc_start_time() { # pid -> field 22 of /proc/<pid>/stat
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  # The command name (field 2) may contain spaces; cut after its closing paren.
  stat=${stat##*) }
  # Now field 3 is the first word; start time is field 22, i.e. word 20.
  awk '{print $20}' <<<"${stat}"
}

# Prints the pid recorded for a component if that process is still alive and
# still the program we started; fails otherwise.
live_pid() { # name
  local file="${state_dir}/pids/$1" pid start exe now_start now_exe
  [[ -f "${file}" ]] || return 1
  read -r pid start exe <"${file}" || return 1
  [[ "${pid}" =~ ^[0-9]+$ ]] || return 1
  now_start=$(proc_start_time "${pid}") || return 1
  [[ "${now_start}" == "${start}" ]] || return 1
  now_exe=$(readlink "/proc/${pid}/exe" 2>/dev/null) || return 1
  # A rebuilt binary shows as "<path> (deleted)"; it is still ours.
  [[ "${now_exe}" == "${exe}" || "${now_exe}" == "${exe} (deleted)" ]] || return 1
  printf '%s\n' "${pid}"
}

# Starts a program in its own session, stdout/stderr to <state>/logs/<name>.log,
# and records its pid. The caller's descriptors (a pipe of `$(...)`, locks)
# are not inherited.
spawn() { # name binary args...
  local name=$1 bin=$2 pid start deadline
  shift 2
  log "starting ${name}"
  # Appended: a component started again (`start NAME`) keeps the log of its earlier life.
  setsid "${bin}" "$@" </dev/null >>"${state_dir}/logs/${name}.log" 2>&1 9>&- &
  pid=$!
  # setsid execs the program in place (we are not a process group leader);
  # wait until the exec happened so we record the right executable.
  deadline=$((SECONDS + 10))
  until [[ "$(readlink "/proc/${pid}/exe" 2>/dev/null)" == "${bin}" ]]; do
    if ! kill -0 "${pid}" 2>/dev/null; then
      tail -n 20 "${state_dir}/logs/${name}.log" >&2 || true
      die "${name} exited at once; log: ${state_dir}/logs/${name}.log"
    fi
    ((SECONDS < deadline)) || die "${name} (pid ${pid}) did not start"
    sleep 0.05
  done
  start=$(proc_start_time "${pid}")
  printf '%s %s %s\n' "${pid}" "${start}" "${bin}" >"${state_dir}/pids/${name}"
}

# True while the process runs or still holds what it had open. A zombie waiting to be reaped
# counts as gone once it is the last of its threads: a multi-threaded process's main thread can
# turn zombie while its other threads still exit and keep the shared files, listening sockets
# included (the chaos soak once started a killed kube-apiserver again at that moment, under load,
# and the new one failed with "bind: address already in use").
running() { # pid
  local stat threads
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ "${stat:0:1}" == Z ]] || return 0
  threads=$(sed -n 's/^Threads:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null) || return 1
  ((${threads:-0} > 1))
}

# Stops the given components together: SIGTERM, up to 15 s grace, SIGKILL.
stop_components() { # name...
  local name pid deadline
  local -a pids=()
  for name in "$@"; do
    if pid=$(live_pid "${name}"); then
      log "stopping ${name} (pid ${pid})"
      kill -TERM "${pid}" 2>/dev/null || true
      pids+=("${pid}")
    fi
  done
  deadline=$((SECONDS + 15))
  for pid in "${pids[@]}"; do
    while running "${pid}" && ((SECONDS < deadline)); do
      sleep 0.1
    done
    if running "${pid}"; then
      log "pid ${pid} did not stop in 15s; killing it"
      kill -KILL "${pid}" 2>/dev/null || true
    fi
  done
  for name in "$@"; do
    rm -f "${state_dir}/pids/${name}"
  done
}

# Clients first, then the API server, then etcd.
stop_all() {
  stop_components coredns kwok kube-scheduler kube-controller-manager
  stop_components kube-apiserver
  stop_components etcd
}

# Ports: free on loopback and below the kernel's ephemeral range, so that no client connection
# can hold one as its source port while its component is down: `start NAME` brings a component
# back on the same port (with ports from the ephemeral range, a replica's connection to its proxy
# once took the API server's port as its source port and kept the restarted API server from
# binding for two minutes). Falls back to freeport when that range is too narrow.
pick_ports() { # count
  local n=$1 ephemeral low=10000 high file hex p picked=0 tries=0
  local -A used=()
  read -r ephemeral _ </proc/sys/net/ipv4/ip_local_port_range
  high=$((ephemeral - 1))
  if ((high - low < 1000)); then
    "${TOOLS_BIN}/freeport" -n "${n}"
    return
  fi
  # Every local port of a TCP or UDP socket, in any state (the header line does not parse).
  for file in /proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6; do
    [[ -r "${file}" ]] || continue
    while read -r _ p _; do
      hex=${p##*:}
      if [[ "${hex}" =~ ^[0-9A-Fa-f]+$ ]]; then used[$((16#${hex}))]=1; fi
    done <"${file}"
  done
  while ((picked < n)); do
    ((tries++ < 10000)) || die "no free port between ${low} and ${high}"
    p=$((low + (RANDOM * 32768 + RANDOM) % (high - low + 1)))
    [[ -z "${used[${p}]:-}" ]] || continue
    used[${p}]=1
    printf '%s\n' "${p}"
    picked=$((picked + 1))
  done
}

# ---------------------------------------------------------------------------
# Waiting: poll a condition until it holds or a deadline passes.

wait_for() { # description timeout-seconds command...
  local what=$1 timeout=$2 deadline
  shift 2
  deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      log "timed out after ${timeout}s waiting for ${what}"
      return 1
    fi
    sleep 0.2
  done
  log "${what}: ok"
}

# ---------------------------------------------------------------------------
# Health checks (each succeeds only if the component answers as expected).

load_ports() {
  [[ -f "${state_dir}/ports" ]] || return 1
  # shellcheck source=/dev/null
  source "${state_dir}/ports"
}

https_ok() { # url [curl args...] -> body must be "ok"
  local url=$1 body
  shift
  body=$(curl --silent --show-error --fail --max-time 3 --cacert "${state_dir}/pki/ca.crt" "$@" "${url}") || return 1
  [[ "${body}" == ok ]]
}

check_etcd() {
  local body
  body=$(curl --silent --fail --max-time 3 "http://127.0.0.1:${ETCD_PORT}/health") || return 1
  [[ "${body}" == *'"health":"true"'* ]]
}
check_kube-apiserver() {
  https_ok "https://127.0.0.1:${APISERVER_PORT}/readyz" \
    --cert "${state_dir}/pki/admin.crt" --key "${state_dir}/pki/admin.key"
}
# kcm and the scheduler serve with a self-signed certificate made at start-up.
check_kube-controller-manager() { https_ok "https://127.0.0.1:${KCM_PORT}/healthz" --insecure; }
check_kube-scheduler() { https_ok "https://127.0.0.1:${SCHEDULER_PORT}/healthz" --insecure; }
check_kwok() {
  local body ready
  body=$(curl --silent --fail --max-time 3 "http://127.0.0.1:${KWOK_PORT}/healthz") || return 1
  [[ "${body}" == ok ]] || return 1
  ready=$(kubectl_admin get nodes -l type=kwok \
    -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}') || return 1
  [[ "$(grep -c '^True$' <<<"${ready}")" -ge "${node_count}" ]]
}
check_coredns() {
  local answer
  answer=$(dig +short +time=2 +tries=1 @127.0.0.1 -p "${DNS_PORT}" "kubernetes.default.svc.${cluster_domain}" A) || return 1
  [[ "${answer}" == "${kubernetes_service_ip}" ]] || return 1
  answer=$(dig +tcp +short +time=2 +tries=1 @127.0.0.1 -p "${DNS_PORT}" "kubernetes.default.svc.${cluster_domain}" A) || return 1
  [[ "${answer}" == "${kubernetes_service_ip}" ]]
}

check_component() { # name
  "check_$1"
}

kubectl_admin() {
  "${TOOLS_BIN}/kubectl" --kubeconfig "${state_dir}/kubeconfig/admin.kubeconfig" --request-timeout=10s "$@"
}

# ---------------------------------------------------------------------------
# PKI: one CA; a serving certificate for the API server; client certificates.

pki() {
  local dir="${state_dir}/pki"
  mkdir -p "${dir}"
  log "making certificates"
  openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
    -keyout "${dir}/ca.key" -out "${dir}/ca.crt" -days 3650 -subj "/CN=local-cluster-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null

  issue() { # name subject extensions
    openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
      -keyout "${dir}/$1.key" -out "${dir}/$1.csr" -subj "$2" 2>/dev/null
    openssl x509 -req -in "${dir}/$1.csr" -CA "${dir}/ca.crt" -CAkey "${dir}/ca.key" -set_serial "0x$(openssl rand -hex 16)" \
      -days 3650 -out "${dir}/$1.crt" -extfile <(printf '%s\n' "$3") 2>/dev/null
    rm -f "${dir}/$1.csr"
  }
  local client="basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
  # Independent key pairs: make them in parallel.
  local -a jobs=()
  issue apiserver "/CN=kube-apiserver" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:${kubernetes_service_ip},DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.${cluster_domain}" &
  jobs+=($!)
  issue admin "/O=system:masters/CN=local-cluster-admin" "${client}" &
  jobs+=($!)
  # The API server's identity towards aggregated API servers (request headers).
  issue front-proxy-client "/CN=front-proxy-client" "${client}" &
  jobs+=($!)
  issue kube-controller-manager "/CN=system:kube-controller-manager" "${client}" &
  jobs+=($!)
  issue kube-scheduler "/CN=system:kube-scheduler" "${client}" &
  jobs+=($!)
  # kwok plays every kubelet and more (node and pod status, leases, deletes).
  issue kwok "/O=system:masters/CN=kwok" "${client}" &
  jobs+=($!)
  # CoreDNS gets the read-only ClusterRole created in apply_bootstrap_objects.
  issue coredns "/CN=system:coredns" "${client}" &
  jobs+=($!)
  # Service-account token signing key pair.
  {
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "${dir}/sa.key" 2>/dev/null
    openssl pkey -in "${dir}/sa.key" -pubout -out "${dir}/sa.pub" 2>/dev/null
  } &
  jobs+=($!)
  local job
  for job in "${jobs[@]}"; do
    wait "${job}" || die "making certificates failed"
  done
  chmod 600 "${dir}"/*.key
}

kubeconfig() { # name
  render "${config_dir}/kubeconfig.in" >"${state_dir}/kubeconfig/$1.kubeconfig" \
    APISERVER_PORT "${APISERVER_PORT}" STATE_DIR "${state_dir}" USER "$1"
}

# ---------------------------------------------------------------------------
# kwok behaviour: our own stages (hack/local-cluster/kwok-stages.yaml says what they do).

write_kwok_config() {
  cp "${config_dir}/kwok-stages.yaml" "${state_dir}/kwok/stages.yaml"
}

# Objects the cluster needs beyond what the API server bootstraps: read access
# for CoreDNS, and the simulated nodes (no taints: every node is simulated).
apply_bootstrap_objects() {
  local i nodes=""
  for ((i = 0; i < node_count; i++)); do
    nodes+="---
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-${i}
  labels:
    type: kwok
    kubernetes.io/hostname: kwok-node-${i}
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: \"0\"
"
  done
  { cat "${config_dir}/coredns-rbac.yaml"; printf '%s' "${nodes}"; } \
    | kubectl_admin apply -f - >/dev/null
}

# The API server's audit policy (hack/local-cluster/audit-policy.yaml says what it logs and why).
write_audit_policy() {
  cp "${config_dir}/audit-policy.yaml" "${state_dir}/audit-policy.yaml"
}

write_corefile() {
  render "${config_dir}/Corefile.in" >"${state_dir}/coredns/Corefile" \
    DNS_PORT "${DNS_PORT}" DNS_HEALTH_PORT "${DNS_HEALTH_PORT}" \
    DNS_READY_PORT "${DNS_READY_PORT}" DNS_METRICS_PORT "${DNS_METRICS_PORT}" CLUSTER_DOMAIN "${cluster_domain}" STATE_DIR "${state_dir}"
}

# ---------------------------------------------------------------------------
# Starting each component. `up` starts them in order; `start NAME` starts one again with the same
# flags, ports, certificates and data (the chaos soak kills the API server and etcd and brings
# them back, as an upgrade or a crash would).

start_etcd() {
  # On a restart the data folder holds the member: etcd ignores --initial-cluster* then.
  spawn etcd "${TOOLS_BIN}/etcd" \
    --name=local --data-dir="${state_dir}/etcd" \
    --listen-client-urls="http://127.0.0.1:${ETCD_PORT}" \
    --advertise-client-urls="http://127.0.0.1:${ETCD_PORT}" \
    --listen-peer-urls="http://127.0.0.1:${ETCD_PEER_PORT}" \
    --initial-advertise-peer-urls="http://127.0.0.1:${ETCD_PEER_PORT}" \
    --initial-cluster="local=http://127.0.0.1:${ETCD_PEER_PORT}" \
    --initial-cluster-state=new \
    --quota-backend-bytes="${LOCAL_CLUSTER_ETCD_QUOTA_BYTES:-2147483648}" \
    --unsafe-no-fsync --log-level=warn
}

start_kube-apiserver() {
  # The API server advertises 127.0.0.1, which Endpoints and EndpointSlices
  # reject (loopback), so it does not publish endpoints for Service
  # "kubernetes" (--endpoint-reconciler-type=none); its ClusterIP still resolves.
  spawn kube-apiserver "${TOOLS_BIN}/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:${ETCD_PORT}" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="${APISERVER_PORT}" \
    --tls-cert-file="${state_dir}/pki/apiserver.crt" --tls-private-key-file="${state_dir}/pki/apiserver.key" \
    --client-ca-file="${state_dir}/pki/ca.crt" \
    --authorization-mode=Node,RBAC \
    --service-account-key-file="${state_dir}/pki/sa.pub" \
    --service-account-signing-key-file="${state_dir}/pki/sa.key" \
    --service-account-issuer="https://kubernetes.default.svc.${cluster_domain}" \
    --service-cluster-ip-range="${service_cidr}" \
    --requestheader-client-ca-file="${state_dir}/pki/ca.crt" \
    --requestheader-allowed-names=front-proxy-client \
    --requestheader-username-headers=X-Remote-User \
    --requestheader-group-headers=X-Remote-Group \
    --requestheader-extra-headers-prefix=X-Remote-Extra- \
    --proxy-client-cert-file="${state_dir}/pki/front-proxy-client.crt" \
    --proxy-client-key-file="${state_dir}/pki/front-proxy-client.key" \
    --endpoint-reconciler-type=none \
    --allow-privileged=true \
    --cert-dir="${state_dir}/certs" \
    --audit-policy-file="${state_dir}/audit-policy.yaml" \
    --audit-log-path="${state_dir}/logs/audit.log" \
    --audit-log-format=json --audit-log-mode=blocking \
    --audit-log-maxsize=100 --audit-log-maxbackup=1
}

start_kube-controller-manager() {
  spawn kube-controller-manager "${TOOLS_BIN}/kube-controller-manager" \
    --kubeconfig="${state_dir}/kubeconfig/kube-controller-manager.kubeconfig" \
    --authentication-kubeconfig="${state_dir}/kubeconfig/kube-controller-manager.kubeconfig" \
    --authorization-kubeconfig="${state_dir}/kubeconfig/kube-controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port="${KCM_PORT}" --cert-dir="${state_dir}/certs/kcm" \
    --controllers='*' \
    --use-service-account-credentials=true \
    --root-ca-file="${state_dir}/pki/ca.crt" \
    --service-account-private-key-file="${state_dir}/pki/sa.key" \
    --cluster-signing-cert-file="${state_dir}/pki/ca.crt" \
    --cluster-signing-key-file="${state_dir}/pki/ca.key" \
    --service-cluster-ip-range="${service_cidr}" \
    --leader-elect=false
}

start_kube-scheduler() {
  spawn kube-scheduler "${TOOLS_BIN}/kube-scheduler" \
    --kubeconfig="${state_dir}/kubeconfig/kube-scheduler.kubeconfig" \
    --authentication-kubeconfig="${state_dir}/kubeconfig/kube-scheduler.kubeconfig" \
    --authorization-kubeconfig="${state_dir}/kubeconfig/kube-scheduler.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port="${SCHEDULER_PORT}" --cert-dir="${state_dir}/certs/scheduler" \
    --leader-elect=false
}

start_kwok() {
  # HOME points into the state folder so a user's ~/.kwok/kwok.yaml is not read.
  HOME="${state_dir}/kwok/home" spawn kwok "${TOOLS_BIN}/kwok" \
    --config="${state_dir}/kwok/stages.yaml" \
    --kubeconfig="${state_dir}/kubeconfig/kwok.kubeconfig" \
    --manage-all-nodes=true \
    --server-address="127.0.0.1:${KWOK_PORT}" \
    --node-ip="${fake_node_ip}" --node-port="${KWOK_PORT}" \
    --cidr="${pod_cidr}" \
    --node-lease-duration-seconds=40
}

start_coredns() {
  spawn coredns "${TOOLS_BIN}/coredns" -conf "${state_dir}/coredns/Corefile"
}

# ---------------------------------------------------------------------------

print_env() {
  cat "${state_dir}/env"
}

cluster_running() {
  [[ -f "${state_dir}/env" ]] || return 1
  load_ports || return 1
  local c
  for c in "${components[@]}"; do
    live_pid "${c}" >/dev/null || return 1
    check_component "${c}" >/dev/null 2>&1 || return 1
  done
}

cmd_down() {
  if [[ ! -d "${state_dir}" ]]; then
    log "no cluster state in ${state_dir}"
    return 0
  fi
  stop_all
  # Only remove what looks like our state folder.
  if [[ -d "${state_dir}/pids" || -f "${state_dir}/ports" || -d "${state_dir}/logs" || -z "$(ls -A "${state_dir}")" ]]; then
    if [[ "${LOCAL_CLUSTER_KEEP_LOGS:-0}" == 1 && -d "${state_dir}/logs" ]]; then
      find "${state_dir}" -mindepth 1 -maxdepth 1 ! -name logs -exec rm -rf {} +
      log "removed ${state_dir} except its logs/"
    else
      rm -rf "${state_dir}"
      log "removed ${state_dir}"
    fi
  fi
}

cmd_up() {
  local started=${SECONDS}
  TOOLS_BIN=$("${repo_root}/hack/build-tools.sh" | tail -n 1)
  TOOLS_BIN=$(realpath "${TOOLS_BIN}")
  [[ -x "${TOOLS_BIN}/kube-apiserver" ]] || die "build-tools.sh did not give a bin directory"

  if cluster_running; then
    log "cluster in ${state_dir} is already up"
    print_env
    return 0
  fi
  if [[ -e "${state_dir}" ]]; then
    log "cleaning stale state in ${state_dir}"
    cmd_down
  fi
  if [[ -d "${state_dir}" ]] && [[ -n "$(ls -A "${state_dir}")" ]]; then
    die "${state_dir} is not empty and is not a local-cluster state folder; refusing to use it"
  fi
  mkdir -p "${state_dir}"/{pids,logs,pki,kubeconfig,etcd,kwok/home,coredns,certs/kcm,certs/scheduler}
  chmod 700 "${state_dir}/etcd" "${state_dir}/pki"
  # If anything below fails, leave nothing running behind.
  trap on_up_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  local ports
  mapfile -t ports < <(pick_ports 10)
  ((${#ports[@]} == 10)) || die "freeport gave ${#ports[@]} ports"
  cat >"${state_dir}/ports" <<EOF
ETCD_PORT=${ports[0]}
ETCD_PEER_PORT=${ports[1]}
APISERVER_PORT=${ports[2]}
KCM_PORT=${ports[3]}
SCHEDULER_PORT=${ports[4]}
KWOK_PORT=${ports[5]}
DNS_PORT=${ports[6]}
DNS_HEALTH_PORT=${ports[7]}
DNS_READY_PORT=${ports[8]}
DNS_METRICS_PORT=${ports[9]}
EOF
  load_ports
  printf '%s\n' "${TOOLS_BIN}" >"${state_dir}/tools-bin"

  pki
  local k
  for k in admin kube-controller-manager kube-scheduler kwok coredns; do
    kubeconfig "${k}"
  done

  start_etcd
  wait_for "etcd health" "${wait_timeout}" check_etcd

  write_audit_policy
  start_kube-apiserver
  wait_for "kube-apiserver /readyz" "${wait_timeout}" check_kube-apiserver

  apply_bootstrap_objects

  start_kube-controller-manager
  start_kube-scheduler
  write_kwok_config
  start_kwok
  write_corefile
  start_coredns

  wait_for "kube-controller-manager /healthz" "${wait_timeout}" check_kube-controller-manager
  wait_for "kube-scheduler /healthz" "${wait_timeout}" check_kube-scheduler
  wait_for "kwok /healthz and ${node_count} Ready nodes" "${wait_timeout}" check_kwok
  wait_for "CoreDNS answering kubernetes.default.svc.${cluster_domain}" "${wait_timeout}" check_coredns
  # Pods can only be created once the namespace has its service account.
  wait_for "service account default/default" "${wait_timeout}" kubectl_admin get serviceaccount default -n default

  cat >"${state_dir}/env" <<EOF
export KUBECONFIG=${state_dir}/kubeconfig/admin.kubeconfig
export PATH=${TOOLS_BIN}:\$PATH
export CLUSTER_DNS=127.0.0.1:${DNS_PORT}
export CLUSTER_AUDIT_LOG=${state_dir}/logs/audit.log
export CLUSTER_DNS_METRICS=127.0.0.1:${DNS_METRICS_PORT}
EOF
  trap - EXIT INT TERM
  log "cluster up in $((SECONDS - started))s (state: ${state_dir})"
  print_env
}

# On a failed `up`: stop everything but keep the logs for diagnosis.
on_up_exit() {
  local rc=$?
  log "up failed; logs are in ${state_dir}/logs"
  stop_all
  rm -f "${state_dir}/env"
  exit "$((rc == 0 ? 1 : rc))"
}

cmd_status() {
  if [[ ! -d "${state_dir}" ]] || ! load_ports; then
    log "no cluster in ${state_dir}"
    return 1
  fi
  TOOLS_BIN=$(cat "${state_dir}/tools-bin" 2>/dev/null || true)
  local c pid bad=0 health
  for c in "${components[@]}"; do
    if pid=$(live_pid "${c}"); then
      if check_component "${c}" >/dev/null 2>&1; then health=healthy; else
        health=unhealthy
        bad=1
      fi
      printf '%-24s pid %-8s %s\n' "${c}" "${pid}" "${health}" >&2
    else
      printf '%-24s %-12s %s\n' "${c}" "-" "stopped" >&2
      bad=1
    fi
  done
  if ((bad == 0)); then
    log "all components healthy; DNS on 127.0.0.1:${DNS_PORT}, API on https://127.0.0.1:${APISERVER_PORT}"
  fi
  return "${bad}"
}

# The one-component commands need a cluster that `up` made (ports, certificates, tools).
load_cluster() {
  load_ports || die "no cluster in ${state_dir} (run: hack/local-cluster.sh up)"
  TOOLS_BIN=$(cat "${state_dir}/tools-bin" 2>/dev/null) || die "no tools-bin in ${state_dir}"
}

cmd_start() { # name
  local name=$1 pid
  load_cluster
  if pid=$(live_pid "${name}"); then
    die "${name} is running already (pid ${pid})"
  fi
  "start_${name}"
  # Like wait_for, but a component that exits (a port it cannot bind) fails at once.
  local deadline=$((SECONDS + wait_timeout))
  until check_component "${name}" >/dev/null 2>&1; do
    if ! pid=$(live_pid "${name}"); then
      tail -n 5 "${state_dir}/logs/${name}.log" >&2 || true
      die "${name} exited before it was healthy; log: ${state_dir}/logs/${name}.log"
    fi
    ((SECONDS < deadline)) || die "timed out after ${wait_timeout}s waiting for ${name} to be healthy"
    sleep 0.2
  done
  log "${name} healthy: ok"
}

cmd_stop() { # name
  load_cluster
  stop_components "$1"
}

cmd_restart() { # name
  cmd_stop "$1"
  cmd_start "$1"
}

cmd_signal() { # name signal
  local name=$1 signal=${2#SIG} pid deadline
  load_cluster
  pid=$(live_pid "${name}") || die "${name} is not running"
  log "sending SIG${signal} to ${name} (pid ${pid})"
  kill -s "${signal}" "${pid}" || die "cannot send SIG${signal} to ${name} (pid ${pid})"
  case "${signal}" in
    KILL | TERM)
      deadline=$((SECONDS + 15))
      while running "${pid}"; do
        ((SECONDS < deadline)) || die "${name} (pid ${pid}) still runs 15s after SIG${signal}"
        sleep 0.05
      done
      rm -f "${state_dir}/pids/${name}"
      ;;
  esac
}

cmd_env() {
  [[ -f "${state_dir}/env" ]] || die "no running cluster in ${state_dir} (run: hack/local-cluster.sh up)"
  print_env
}

main() {
  local cmd=${1:-} usage
  usage="usage: $0 up|down|status|env, or start|stop|restart NAME, or signal NAME SIGNAL"
  case "${cmd}" in
    up | down | status | env) (($# == 1)) || die "${usage}" ;;
    start | stop | restart | signal)
      local want=2
      [[ "${cmd}" != signal ]] || want=3
      (($# == want)) || die "${usage}"
      [[ " ${components[*]} " == *" $2 "* ]] || die "no component '$2' (one of: ${components[*]})"
      ;;
    *)
      printf '%s\n' "${usage}" >&2
      exit 2
      ;;
  esac
  # One command at a time per state folder (the lock lives outside it, since
  # `down` removes it). Children never inherit fd 9.
  local lock
  lock="${XDG_RUNTIME_DIR:-/tmp}/local-cluster-$(printf '%s' "${state_dir}" | sha256sum | cut -c1-12).lock"
  exec 9>"${lock}"
  flock 9
  "cmd_${cmd}" "${@:2}"
}

main "$@"
