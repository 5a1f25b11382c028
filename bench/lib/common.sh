# shellcheck shell=bash
# What the benchmark drivers share (bench/run.sh for `make bench`, bench/scale.sh for
# `make bench-scale`): a private local control plane torn down on exit, and one operator at a time
# (the Release build) with its ports, start-up, CPU and memory figures. The caller sets root and
# lease_ns, and qps, burst and workers (bench_knobs gives them and the other knobs that run.sh and
# focus.sh share), then calls bench_cluster_up.

# shellcheck source=../../hack/lib/operator.sh
source "${root}/hack/lib/operator.sh"

build_dir=${HSO_BENCH_BUILD_DIR:-${root}/build}
results_dir=${HSO_BENCH_RESULTS:-${root}/bench/results}
operator=${build_dir}/k8s-pod-headless-service-operator
bench=${build_dir}/bench/hso-bench

# bench_knobs: the defaults of the knobs that make bench and bench/focus.sh share, so that a focus
# run measures what the full one does:
#   HSO_BENCH_THROUGHPUT_PODS=1000  HSO_BENCH_BIG_PODS=10000  HSO_BENCH_BIG_ANNOTATED=1000
#   HSO_BENCH_WORKERS=4   the operator's --workers and the floor's requests in flight
#   HSO_BENCH_QPS=  HSO_BENCH_BURST=  the operator's --kube-api-qps/--kube-api-burst (default: the
#                         shipped defaults, no client-side limit)
bench_knobs() {
  throughput_pods=${HSO_BENCH_THROUGHPUT_PODS:-1000}
  big_pods=${HSO_BENCH_BIG_PODS:-10000}
  big_annotated=${HSO_BENCH_BIG_ANNOTATED:-1000}
  workers=${HSO_BENCH_WORKERS:-4}
  qps=${HSO_BENCH_QPS:-}
  burst=${HSO_BENCH_BURST:-}
}

started=${SECONDS}
say() { printf '[bench +%4ds] %s\n' "$((SECONDS - started))" "$*" >&2; }
die() {
  say "error: $*"
  exit 1
}

op_pid=""

# bench_cluster_up MAKE_TARGET: the work folder ($work), the control plane, the cleanup on exit.
bench_cluster_up() {
  [[ -x "${operator}" && -x "${bench}" ]] || die "build first: ${operator} and ${bench} ($1 does)"
  work=$(mktemp -d "${TMPDIR:-/tmp}/hso-bench.XXXXXX")
  export LOCAL_CLUSTER_DIR=${work}/cluster
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  say "local control plane in ${LOCAL_CLUSTER_DIR}"
  eval "$("${root}/hack/local-cluster.sh" up)"
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  [[ -n "${op_pid}" ]] && kill -TERM "${op_pid}" 2>/dev/null && operator_wait_exit "${work}/operator" 60
  if ((rc != 0)); then
    LOCAL_CLUSTER_KEEP_LOGS=1 "${root}/hack/local-cluster.sh" down >/dev/null 2>&1
    say "failed; operator logs and raw results kept in ${work}"
  else
    "${root}/hack/local-cluster.sh" down >/dev/null 2>&1
    if [[ "${HSO_BENCH_KEEP:-0}" == 1 ]]; then say "kept ${work}"; else rm -rf "${work}"; fi
  fi
  exit "${rc}"
}
k() { kubectl --request-timeout=30s "$@"; }

# ---------------------------------------------------------------------------
# The operator: one at a time, its pid in $op_pid, its ports in $metrics_addr/$probes_addr.

metrics_addr=""
probes_addr=""

# start_operator [--kube-api-qps=Q --kube-api-burst=B] [extra flags...]: $qps/$burst unless given
# (the shipped defaults when those are empty), through hack/lib/operator.sh's operator_spawn; its
# output goes to ${work}/operator/log.
start_operator() {
  local limits=() dir=${work}/operator
  [[ -z "${qps}" ]] || limits+=(--kube-api-qps "${qps}")
  [[ -z "${burst}" ]] || limits+=(--kube-api-burst "${burst}")
  [[ "${1:-}" != --kube-api-qps=* ]] || {
    limits=("$1" "$2")
    shift 2
  }
  operator_spawn "${dir}" "${operator}" "${KUBECONFIG}" warn \
    --leader-election-namespace "${lease_ns}" ${limits[@]+"${limits[@]}"} --workers "${workers}" \
    "$@" || die "the operator did not start"
  metrics_addr=127.0.0.1:$(cat "${dir}/metrics_port")
  probes_addr=127.0.0.1:$(cat "${dir}/probe_port")
  op_pid=$(cat "${dir}/pid")
}

# Follows the start to /readyz (JSON to $1), then waits for the lease.
follow_start() {
  "${bench}" startup --pid="${op_pid}" --probes="${probes_addr}" >"$1"
  local deadline=$((SECONDS + 60))
  until curl -fsS --max-time 2 "http://${metrics_addr}/metrics" 2>/dev/null \
    | grep -q '^leader_election_master_status{.*} 1'; do
    ((SECONDS < deadline)) || die "the operator did not become the leader"
    sleep 0.1
  done
}

stop_operator() {
  kill -TERM "${op_pid}"
  operator_wait_exit "${work}/operator" 120 || die "the operator did not exit within 120 s of SIGTERM"
  op_pid=""
}

# process_age_seconds PID: seconds since PID started (/proc/PID/stat field 22, in clock ticks).
process_age_seconds() {
  awk -v hz="$(getconf CLK_TCK)" -v stat="/proc/$1/stat" 'BEGIN {
    getline up < "/proc/uptime"; split(up, u, " ")
    getline st < stat; sub(/.*\) /, "", st); split(st, f, " ")
    print u[1] - f[20] / hz }'
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/${op_pid}/stat"; }
status_kib() { awk -v f="$1:" '$1 == f {print $2}' "/proc/${op_pid}/status"; }
pod_events() {
  curl -fsS "http://${metrics_addr}/metrics" \
    | awk '/^headless_service_operator_watch_events_total\{.*resource="pods"/ {s += $NF} END {print s + 0}'
}
owned_services() { k get services -A -l "${managed_label}" --no-headers 2>/dev/null | wc -l; }

# cpu_phase NAME COMMAND...: runs COMMAND and records the operator's CPU time and pod events.
cpu_phase() {
  local name=$1 ticks0 events0 ticks1 events1
  shift
  ticks0=$(cpu_ticks)
  events0=$(pod_events)
  "$@"
  ticks1=$(cpu_ticks)
  events1=$(pod_events)
  printf '{"phase":"%s","cpu_seconds":%s,"pod_events":%s}\n' "${name}" \
    "$(awk -v a="${ticks0}" -v b="${ticks1}" -v hz="$(getconf CLK_TCK)" 'BEGIN {print (b - a) / hz}')" \
    "$((events1 - events0))" >>"${work}/cpu.jsonl"
}

settle() { # EXPECTED_RECONCILES
  "${bench}" wait-settled --operator-metrics="${metrics_addr}" --reconciles="$1" >/dev/null
}

memory_sample() { # NAME
  printf '{"phase":"%s","rss_kib":%s,"hwm_kib":%s}\n' "$1" "$(status_kib VmRSS)" \
    "$(status_kib VmHWM)" >>"${work}/memory.jsonl"
}

new_namespace() {
  k create namespace "$1" >/dev/null
  k -n "$1" wait --for=create serviceaccount/default --timeout=60s >/dev/null
}
