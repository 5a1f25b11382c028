# shellcheck shell=bash
# shellcheck disable=SC2154 # ns, E2E_STATE: lib/common.sh
# Helpers for the high-availability tests (tests/e2e/ha_*_test.sh) and the failover benchmark,
# on top of lib/common.sh and lib/packaging.sh.
#
# Every replica runs the real binary with an identity of its own (a ServiceAccount token bound
# to the RBAC of manifests/rbac.yaml) and reaches the API server through a tcpproxy of its own
# (hack/tools/tcpproxy), which a test can switch to blackhole to partition that replica. Who
# wrote what, and when, comes from the API server's audit log (hack/local-cluster.sh writes it
# to $CLUSTER_AUDIT_LOG), read with hack/tools/auditlog.
#
#   source lib/common.sh; source lib/packaging.sh; source lib/ha.sh
#   ha_init <short-name>                  # $ns (watched), $ha_opns (identities, Lease), RBAC
#   ha_start_replica r1 [FLAGS...]        # proxy + identity + operator; pkg_wait_ready r1
#   leader=$(ha_wait_leader 40)           # replica name of the Lease holder
#   ha_proxy r1 blackhole                 # partition r1 (pass heals, reset closes its connections)
#   ha_work_writes <since-ms>             # landed writes by replicas, from the audit log
#
# For benchmarks: after ha_init, `ha_measure_failover sigkill|sigterm` starts two replicas with
# the default timings, kills (or stops) the leader, prints the milliseconds from the signal to
# the new leader's first write landing on the API server, and stops the replicas again. It logs
# an `HA_MEASURE ...` line on stderr with the details. Each call is independent; it fails (exits
# the calling shell or subshell non-zero) when no replica takes over in time.

HA_LEASE_NAME=k8s-pod-headless-service-operator
# The operator's default lease duration and retry period, in seconds (README.md).
readonly HA_DEFAULT_LEASE=15 HA_DEFAULT_RETRY=2
# Slack on top of computed bounds: process start-up, the API server, ASan, a loaded machine.
HA_MARGIN=${HA_MARGIN:-6}
ha_opns=""
ha_suffix=""

# ha_init SHORT_NAME: pkg_init plus the operator namespace $ha_opns with manifests/rbac.yaml in
# it; installs the EXIT trap that also stops the proxies and the churn.
ha_init() {
  pkg_init "$1"
  trap ha_cleanup EXIT
  local tool
  for tool in tcpproxy auditlog; do
    command -v "${tool}" >/dev/null || fail "${tool} is not on PATH (hack/build-tools.sh builds it; eval \"\$(hack/local-cluster.sh env)\")"
  done
  [[ -n "${CLUSTER_AUDIT_LOG:-}" && -r "${CLUSTER_AUDIT_LOG}" ]] \
    || fail "CLUSTER_AUDIT_LOG='${CLUSTER_AUDIT_LOG:-}' is not a readable audit log (restart the cluster with this hack/local-cluster.sh and eval its env)"
  mkdir -p "${E2E_STATE}/proxies" "${E2E_STATE}/replicas"
  ha_opns=$(new_namespace "$1op")
  ha_suffix=$(pkg_unique_suffix)
  pkg_install_rbac "${ha_opns}" "${ha_suffix}" "${E2E_STATE}/rbac.yaml"
  HA_SERVER=$(k config view --raw --minify -o 'jsonpath={.clusters[0].cluster.server}')
  [[ "${HA_SERVER}" =~ ^https://(127\.0\.0\.1:[0-9]+)$ ]] || fail "the API server is not on loopback: '${HA_SERVER}'"
  HA_TARGET=${BASH_REMATCH[1]}
  say "operator namespace ${ha_opns}, API server ${HA_TARGET}, audit log ${CLUSTER_AUDIT_LOG}"
}

ha_cleanup() {
  local rc=$? dir pid
  set +e
  [[ -f "${E2E_STATE}/churn.pid" ]] && ha_churn_stop
  for name in $(operator_names); do
    operator_alive "${name}" && stop_operator_quietly "${name}" >/dev/null
  done
  for dir in "${E2E_STATE}"/proxies/*/; do
    [[ -f "${dir}pid" ]] || continue
    pid=$(cat "${dir}pid")
    kill -TERM "${pid}" 2>/dev/null
  done
  (exit "${rc}")
  pkg_cleanup
}

ha_now_ms() { date +%s%3N; }

# ---------------------------------------------------------------------------
# The proxy in front of each replica.

# ha_start_proxy NAME [MODE]: a tcpproxy to the API server, in MODE (pass or blackhole).
ha_start_proxy() {
  local name=$1 mode=${2:-pass} dir deadline
  dir="${E2E_STATE}/proxies/${name}"
  mkdir -p "${dir}"
  rm -f "${dir}/addr"
  (
    trap - EXIT
    exec tcpproxy -target "${HA_TARGET}" -mode "${mode}" -addr-file "${dir}/addr"
  ) </dev/null >/dev/null 2>>"${dir}/log" &
  printf '%s\n' "$!" >"${dir}/pid"
  deadline=$((SECONDS + 10))
  until [[ -s "${dir}/addr" ]]; do
    kill -0 "$(cat "${dir}/pid")" 2>/dev/null || fail "tcpproxy ${name} exited: $(tail -n 3 "${dir}/log")"
    ((SECONDS < deadline)) || fail "tcpproxy ${name} did not start"
    sleep 0.05
  done
}

ha_proxy_addr() { # NAME listen|control
  local line
  line=$(cat "${E2E_STATE}/proxies/$1/addr")
  [[ "${line}" =~ listen=([^ ]+)\ control=([^ ]+) ]] || fail "bad tcpproxy address line '${line}'"
  if [[ "$2" == listen ]]; then printf '%s\n' "${BASH_REMATCH[1]}"; else printf '%s\n' "${BASH_REMATCH[2]}"; fi
}

# ha_proxy NAME pass|blackhole|reset: switches the proxy (prints nothing; fails if it cannot).
ha_proxy() {
  curl -fsS --max-time 5 -X POST "http://$(ha_proxy_addr "$1" control)/$2" >/dev/null \
    || fail "cannot switch tcpproxy $1 to $2"
  say "proxy $1: $2"
}
# ha_proxy_status NAME: "mode=... open=N accepted=N held=BYTES".
ha_proxy_status() { curl -fsS --max-time 5 "http://$(ha_proxy_addr "$1" control)/status"; }
# ha_proxy_delivered NAME: predicate, nothing held any more (a replica that is still running keeps
# connections open through its proxy).
ha_proxy_delivered() {
  local status
  status=$(ha_proxy_status "$1") || return 1
  [[ "${status}" == *" held=0"* ]] || {
    echo "${status}"
    return 1
  }
}

# ---------------------------------------------------------------------------
# Replicas.

ha_user() { printf 'system:serviceaccount:%s:hso-ha-%s\n' "${ha_opns}" "$1"; }

# ha_identity_setup NAME: ServiceAccount hso-ha-NAME bound like the manifests' ServiceAccount,
# and a kubeconfig with its token that reaches the API server through proxy NAME.
ha_identity_setup() {
  local name=$1 sa="hso-ha-$1" dir subject
  dir="${E2E_STATE}/replicas/${name}"
  [[ -f "${dir}/kubeconfig" ]] && return 0
  mkdir -p "${dir}"
  k -n "${ha_opns}" create serviceaccount "${sa}" >/dev/null || fail "cannot create ServiceAccount ${sa}"
  subject="[{\"op\":\"add\",\"path\":\"/subjects/-\",\"value\":{\"kind\":\"ServiceAccount\",\"name\":\"${sa}\",\"namespace\":\"${ha_opns}\"}}]"
  k patch clusterrolebinding "${HA_LEASE_NAME}-${ha_suffix}" --type=json -p "${subject}" >/dev/null \
    || fail "cannot bind ${sa} to the ClusterRole"
  k -n "${ha_opns}" patch rolebinding "${HA_LEASE_NAME}-leader-election-${ha_suffix}" --type=json -p "${subject}" >/dev/null \
    || fail "cannot bind ${sa} to the leader-election Role"
  # RBAC is enforced from the authorizer's cache: wait until it sees the bindings.
  wait_for "RBAC for ${sa}" 30 equals yes \
    k auth can-i --as "$(ha_user "${name}")" -n "${ha_opns}" update "leases.coordination.k8s.io/${HA_LEASE_NAME}"
  wait_for "RBAC for ${sa}" 30 equals yes k auth can-i --as "$(ha_user "${name}")" -n "${ns}" create services
  pkg_token_kubeconfig "${sa}" "${ha_opns}" "${dir}/kubeconfig.direct"
  [[ -f "${E2E_STATE}/proxies/${name}/addr" ]] || ha_start_proxy "${name}"
  sed "s#server: ${HA_SERVER}\$#server: https://$(ha_proxy_addr "${name}" listen)#" \
    "${dir}/kubeconfig.direct" >"${dir}/kubeconfig.tmp"
  grep -q "server: https://$(ha_proxy_addr "${name}" listen)" "${dir}/kubeconfig.tmp" \
    || fail "could not point the kubeconfig of ${name} at its proxy"
  chmod 600 "${dir}/kubeconfig.tmp"
  mv "${dir}/kubeconfig.tmp" "${dir}/kubeconfig"
}

# ha_start_replica NAME [FLAGS...]: the operator as replica NAME (own identity, own proxy, Lease
# in $ha_opns, watching $ns); does not wait for readiness (pkg_wait_ready NAME does).
ha_start_replica() {
  local name=$1
  shift
  ha_identity_setup "${name}"
  pkg_start_operator "${name}" "${E2E_STATE}/replicas/${name}/kubeconfig" \
    --leader-election-namespace "${ha_opns}" "$@"
  printf '%s\n' "${name}" >>"${E2E_STATE}/replicas/started"
}

# ha_replicas: every replica started so far (running or not).
ha_replicas() { sort -u "${E2E_STATE}/replicas/started" 2>/dev/null || true; }

# ha_identity NAME: the Lease holder identity replica NAME announced in its latest start.
ha_identity() {
  local id=""
  wait_for "replica $1 to log its identity" 20 grep -q 'starting as ' "$(operator_log "$1")"
  id=$(grep -o 'starting as [^ ]*' "$(operator_log "$1")" | tail -n 1)
  printf '%s\n' "${id#starting as }"
}

ha_lease_holder() {
  k -n "${ha_opns}" get lease "${HA_LEASE_NAME}" -o jsonpath='{.spec.holderIdentity}' --ignore-not-found
}

# ha_holder_replica: the running replica whose identity holds the Lease ('' if none does).
ha_holder_replica() {
  local holder name
  holder=$(ha_lease_holder)
  [[ -n "${holder}" ]] || return 0
  for name in $(ha_replicas); do
    operator_alive "${name}" || continue
    if [[ "$(ha_identity "${name}")" == "${holder}" ]]; then
      printf '%s\n' "${name}"
      return 0
    fi
  done
}

# ha_leads NAME [NOT]: predicate, the Lease is held by replica NAME; with NOT ("-" for any), by a
# running replica other than NOT.
ha_leads() {
  local got
  got=$(ha_holder_replica)
  if [[ "$1" == - ]]; then
    [[ -n "${got}" && "${got}" != "${2:-}" ]] || {
      echo "Lease held by '$(ha_lease_holder)' (replica '${got}')"
      return 1
    }
  else
    [[ "${got}" == "$1" ]] || {
      echo "Lease held by '$(ha_lease_holder)' (replica '${got}'), want $1"
      return 1
    }
  fi
}

# ha_wait_leader TIMEOUT [NOT]: waits until a running replica (other than NOT) holds the Lease and
# reports leader_election_master_status 1; prints its name.
ha_wait_leader() {
  local timeout=$1 not=${2:-} name
  wait_for "a replica${not:+ other than ${not}} to hold the Lease" "${timeout}" ha_leads - "${not}"
  name=$(ha_holder_replica)
  wait_for "replica ${name} to report leader_election_master_status 1" 10 \
    equals 1 metric leader_election_master_status "" "${name}"
  printf '%s\n' "${name}"
}

# ha_master_status NAME: the replica's leader_election_master_status ("gone" once it exited).
ha_master_status() {
  if operator_alive "$1"; then metric leader_election_master_status "" "$1"; else echo gone; fi
}

# ha_wait_exit NAME TIMEOUT: waits for the replica to exit; prints its exit status.
ha_wait_exit() {
  wait_for "replica $1 to exit" "$2" test -f "$(operator_dir "$1")/rc"
  cat "$(operator_dir "$1")/rc"
}

# ha_stop_all: SIGTERM to every running replica; each must exit 0.
ha_stop_all() {
  local name
  for name in $(ha_replicas); do
    if operator_alive "${name}"; then stop_operator "${name}"; fi
  done
}

# ha_stop_leftovers: stops replicas a failed case left running, whatever their exit status.
ha_stop_leftovers() {
  local name
  for name in $(ha_replicas); do
    if operator_alive "${name}"; then
      say "stopping replica ${name}, left running"
      stop_operator_quietly "${name}" >/dev/null || true
    fi
  done
}

# ha_has_slice SERVICE: predicate, an EndpointSlice of SERVICE has an address.
ha_has_slice() { [[ -n "$(slice_ips_line "$1")" ]]; }

# ---------------------------------------------------------------------------
# The audit log.

# ha_audit: writes by the replicas to objects in $ns and $ha_opns, oldest first, one per line:
#   stage-ms received-ms replica verb resource namespace name code
# (stage-ms: when the API server completed the request; replica: NAME of ha_start_replica).
ha_audit() {
  auditlog -namespace "${ns},${ha_opns}" -user-prefix "system:serviceaccount:${ha_opns}:hso-ha-" \
    "${CLUSTER_AUDIT_LOG}" | awk -F '\t' -v OFS='\t' -v prefix="system:serviceaccount:${ha_opns}:hso-ha-" \
    '{ $3 = substr($3, length(prefix) + 1); print }'
}

# ha_work_writes [SINCE_MS] [REPLICA]: the landed (2xx) writes of Services, EndpointSlices and
# Endpoints in $ns completed at or after SINCE_MS (by REPLICA).
ha_work_writes() {
  ha_audit | awk -F '\t' -v since="${1:-0}" -v who="${2:-}" -v ns="${ns}" \
    '$1 >= since && (who == "" || $3 == who) && $6 == ns && $5 ~ /^(services|endpointslices|endpoints)$/ && $8 ~ /^2/'
}

# ha_lease_writes [SINCE_MS] [REPLICA]: the landed writes of the Lease (acquire, renew, release).
ha_lease_writes() {
  ha_audit | awk -F '\t' -v since="${1:-0}" -v who="${2:-}" -v ns="${ha_opns}" -v lease="${HA_LEASE_NAME}" \
    '$1 >= since && (who == "" || $3 == who) && $6 == ns && $5 == "leases" && $7 == lease && $8 ~ /^2/'
}

# ha_first_ms LINES: the stage-ms of the first line ('' if none).
ha_first_ms() { awk -F '\t' 'NR == 1 { print $1 }' <<<"$1"; }
ha_last_ms() { awk -F '\t' 'NF { last = $1 } END { print last }' <<<"$1"; }

# ha_has_work_write REPLICA SINCE_MS: predicate for wait_for.
ha_has_work_write() {
  [[ -n "$(ha_work_writes "$2" "$1")" ]] || {
    echo "no write of replica $1 since $2 in ${CLUSTER_AUDIT_LOG}"
    return 1
  }
}

# ha_writers SINCE_MS [UNTIL_MS]: the replicas with landed writes (work or Lease) in the window.
ha_writers() {
  ha_audit | awk -F '\t' -v since="$1" -v until="${2:-9e15}" -v ns="${ns}" -v opns="${ha_opns}" \
    '$1 >= since && $1 <= until && $8 ~ /^2/ && ($6 == ns || ($6 == opns && $5 == "leases")) { print $3 }' | sort -u
}

# ---------------------------------------------------------------------------
# Churn: annotated pods created and deleted in the background, so the leader writes all along.

# ha_churn_start PREFIX: a pod PREFIX-N about twice a second; each is deleted two pods later.
ha_churn_start() {
  local prefix=$1
  rm -f "${E2E_STATE}/churn.stop"
  (
    trap - EXIT
    set +e
    i=0
    while [[ ! -e "${E2E_STATE}/churn.stop" ]]; do
      (make_pod "${prefix}-${i}") >/dev/null 2>&1
      if ((i >= 2)); then
        k -n "${ns}" delete pod "${prefix}-$((i - 2))" --wait=false >/dev/null 2>&1
      fi
      i=$((i + 1))
      # Pacing of the load, not a synchronisation.
      sleep 0.5
    done
  ) </dev/null >/dev/null 2>&1 &
  printf '%s\n' "$!" >"${E2E_STATE}/churn.pid"
  say "pod churn ${prefix}-N started"
}

ha_churn_stop() {
  local pid
  pid=$(cat "${E2E_STATE}/churn.pid")
  touch "${E2E_STATE}/churn.stop"
  wait_for "pod churn to stop" 30 bash -c "! kill -0 ${pid} 2>/dev/null"
  rm -f "${E2E_STATE}/churn.pid"
}

# ---------------------------------------------------------------------------
# Failover measurement (the e2e tests assert on it; bench/ repeats it).

# ha_measure_failover sigkill|sigterm [REPLICAS]: starts REPLICAS (default 2) replicas with the
# default timings, waits for one to lead and the others to be ready, signals the leader and
# creates an annotated pod right after. Asserts that another replica takes the Lease (never
# before the old one could have expired, for SIGKILL), that the new pod is reconciled, that a
# SIGTERMed leader exits 0 after releasing the Lease (holder emptied) and a SIGKILLed one stays
# gone; stops the replicas. Prints the milliseconds from the signal to the new leader's first
# write landing (audit stageTimestamp); logs the line
#   HA_MEASURE <mode>_to_lease_ms=N <mode>_to_first_write_ms=N replicas=N
ha_measure_failover() {
  local mode=$1 count=${2:-2} i name names=() old new pid t0 pod watch_pid
  [[ "${mode}" == sigkill || "${mode}" == sigterm ]] || fail "ha_measure_failover: mode must be sigkill or sigterm"
  local run="fo${mode:3:4}$((RANDOM % 1000))"
  ha_stop_leftovers
  for ((i = 1; i <= count; i++)); do
    names+=("${run}r${i}")
  done
  # The first replica leads (nobody else runs yet); the others are standbys with synced caches.
  ha_start_replica "${names[0]}"
  pkg_wait_ready "${names[0]}"
  old=$(ha_wait_leader 40)
  [[ "${old}" == "${names[0]}" ]] || fail "replica ${old} leads, expected ${names[0]}"
  for name in "${names[@]:1}"; do
    ha_start_replica "${name}"
  done
  for name in "${names[@]:1}"; do
    pkg_wait_ready "${name}"
  done
  local watch_file="${E2E_STATE}/lease-watch.${run}"
  k -n "${ha_opns}" get lease "${HA_LEASE_NAME}" --watch \
    -o 'jsonpath={.spec.holderIdentity}{"|"}{.spec.leaseDurationSeconds}{"\n"}' >"${watch_file}" 2>/dev/null &
  watch_pid=$!
  wait_for "the Lease watch to print" 10 test -s "${watch_file}"

  pid=$(operator_pid "${old}")
  pod="${run}-after"
  t0=$(ha_now_ms)
  if [[ "${mode}" == sigkill ]]; then kill -KILL "${pid}"; else kill -TERM "${pid}"; fi
  say "${mode} sent to leader ${old} (pid ${pid}) at ${t0}"
  make_pod "${pod}"

  # Bounds: SIGKILL, the Lease must expire (its duration after a standby last saw it renewed,
  # which is at most a jittered retry period before the kill); SIGTERM, the release lets a
  # standby in at its next retry.
  local bound
  if [[ "${mode}" == sigkill ]]; then
    bound=$((HA_DEFAULT_LEASE + HA_DEFAULT_RETRY * 12 / 10 + HA_MARGIN))
  else
    bound=$((HA_DEFAULT_RETRY * 12 / 10 + HA_MARGIN))
  fi
  new=$(ha_wait_leader "${bound}" "${old}")
  wait_for "first write of the new leader ${new} after the ${mode}" "${bound}" ha_has_work_write "${new}" "${t0}"
  wait_for "Service of pod ${pod} (created after the ${mode})" 30 exists service "${pod}"
  wait_for "EndpointSlice of ${pod}" 30 ha_has_slice "${pod}"

  local lease_ms write_ms acquired first
  acquired=$(ha_first_ms "$(ha_lease_writes "${t0}" "${new}")")
  first=$(ha_first_ms "$(ha_work_writes "${t0}" "${new}")")
  [[ -n "${acquired}" && -n "${first}" ]] || fail "no Lease or work write of ${new} in the audit log after ${t0}"
  lease_ms=$(awk -v a="${acquired}" -v b="${t0}" 'BEGIN { printf "%d", a - b }')
  write_ms=$(awk -v a="${first}" -v b="${t0}" 'BEGIN { printf "%d", a - b }')
  ((write_ms <= bound * 1000)) || fail "first write ${write_ms} ms after the ${mode}, bound ${bound} s"

  local rc
  if [[ "${mode}" == sigkill ]]; then
    rc=$(ha_wait_exit "${old}" 10)
    assert_eq 137 "${rc}" "exit status of the SIGKILLed leader"
    # Safety: the standby waited out the Lease from the old leader's last renew.
    local last_renew
    last_renew=$(ha_last_ms "$(awk -F '\t' -v t="${t0}" '$1 < t' <<<"$(ha_lease_writes 0 "${old}")")")
    awk -v a="${acquired}" -v r="${last_renew}" -v d="${HA_DEFAULT_LEASE}" 'BEGIN { exit !(a - r >= d * 1000) }' \
      || fail "${new} took the Lease at ${acquired}, less than ${HA_DEFAULT_LEASE}s after ${old}'s last renew at ${last_renew}"
  else
    rc=$(ha_wait_exit "${old}" 45)
    assert_eq 0 "${rc}" "exit status of the SIGTERMed leader"
    grep -q 'released lease' "$(operator_log "${old}")" || fail "${old} did not log releasing the Lease"
    wait_for "the Lease watch to show the release" 10 grep -q '^|1$' "${watch_file}"
  fi
  kill "${watch_pid}" 2>/dev/null || true
  wait "${watch_pid}" 2>/dev/null || true
  # The old leader landed no write after the new leader's first.
  local late
  late=$(awk -F '\t' -v t="${first}" '$1 > t' <<<"$(ha_work_writes 0 "${old}")")
  [[ -z "${late}" ]] || fail "writes of the old leader ${old} landed after ${new}'s first write at ${first}: ${late}"

  say "HA_MEASURE ${mode}_to_lease_ms=${lease_ms} ${mode}_to_first_write_ms=${write_ms} replicas=${count}"
  printf 'HA_MEASURE %s_to_lease_ms=%s %s_to_first_write_ms=%s replicas=%s\n' \
    "${mode}" "${lease_ms}" "${mode}" "${write_ms}" "${count}" >>"${E2E_STATE}/measurements"
  for name in "${names[@]}"; do
    if operator_alive "${name}"; then stop_operator "${name}"; fi
  done
  k -n "${ns}" delete pod "${pod}" --wait=false >/dev/null 2>&1 || true
  printf '%s\n' "${write_ms}"
}
