# shellcheck shell=bash
# shellcheck disable=SC2154 # ns, E2E_STATE, ha_opns, HA_LEASE_NAME: lib/common.sh and lib/ha.sh
# The chaos soak (issue 11 §3): tests/e2e/soak_test.sh (one round, in `make test`) and `make soak`
# (hack/soak.sh: rounds for SOAK_MINUTES). On top of lib/common.sh, lib/packaging.sh, lib/ha.sh
# and lib/apf.sh, against a control plane of its own (it kills etcd and the API server), whose
# state folder is $LOCAL_CLUSTER_DIR.
#
# Three replicas (lib/ha.sh: own identity, own tcpproxy) with leader election, under continuous
# pod churn. A round injects every fault of SOAK_FAULTS once. Each fault runs with the churn on;
# once it is healed the churn pauses and the invariant checker polls until the namespace is what
# the pods ask for (the time from the heal to that is the fault's convergence time) or
# SOAK_CONVERGE_TIMEOUT passes (then what is still wrong counts as violations). After each fault:
# the foreign objects are unchanged, no replica exited unless the schedule stopped it, no
# sanitizer report; after each round: only the Lease holder's writes landed (audit log), and the
# resident memory of each replica.
#
#   soak_init                  # after ha_init
#   soak_setup                 # foreign objects, replicas, churn
#   soak_round N               # every fault once
#   soak_report FILE           # the tables; returns 1 if there was any violation

# Short timings, in the ratios of the defaults (lib/ha.sh's partition test uses the same).
readonly SOAK_LEASE=8 SOAK_RENEW=5 SOAK_RETRY=1 SOAK_GRACE=5
SOAK_FLAGS=(--lease-duration "${SOAK_LEASE}s" --renew-deadline "${SOAK_RENEW}s" --retry-period "${SOAK_RETRY}s"
  --graceful-shutdown-timeout "${SOAK_GRACE}s")
readonly SOAK_REPLICAS=(r1 r2 r3)
# Every fault, in the order a round injects them.
SOAK_FAULTS=${SOAK_FAULTS:-leader-sigkill leader-sigterm watch-reset leader-blackhole apf-429 etcd-kill etcd-compaction apiserver-freeze apiserver-kill}
SOAK_CONVERGE_TIMEOUT=${SOAK_CONVERGE_TIMEOUT:-120}
# Pacing of the churn: seconds between two operations, and how many pod names it cycles through.
SOAK_CHURN_INTERVAL=${SOAK_CHURN_INTERVAL:-0.4}
SOAK_POOL=${SOAK_POOL:-16}
# Resident memory of one replica process may grow by this much from one round to the next.
SOAK_RSS_TOLERANCE_MIB=${SOAK_RSS_TOLERANCE_MIB:-16}
# A Service someone else made, with a name the churn's pods ask for as their hostname, and an
# EndpointSlice of it: the operator must never touch either.
readonly SOAK_FOREIGN=foreign-svc
SOAK_DIR=""
# The squeeze's name without the round (soak_squeeze_name).
SOAK_SQUEEZE=""
# The round under way (faults record restarts and violations under it).
SOAK_ROUND=0

soak_cluster() { "${HSO_SOURCE_DIR}/hack/local-cluster.sh" "$@" 2>>"${SOAK_DIR}/cluster.log"; }

# soak_record FILE FIELDS...: appends one tab-separated line.
soak_record() {
  local file=$1
  shift
  (
    IFS=$'\t'
    printf '%s\n' "$*"
  ) >>"${SOAK_DIR}/${file}"
}

# soak_violation ROUND FAULT KIND DETAIL
soak_violation() {
  say "VIOLATION round $1 ${2}: $3: ${4:0:400}"
  soak_record violations.tsv "$1" "$2" "$3" "${4//$'\n'/ }"
}

# ---------------------------------------------------------------------------
# Set-up.

# soak_init: after ha_init, in the script's own shell (its EXIT trap stops the churn).
soak_init() {
  SOAK_DIR="${E2E_STATE}/soak"
  mkdir -p "${SOAK_DIR}"
  : >"${SOAK_DIR}/faults.tsv"
  : >"${SOAK_DIR}/violations.tsv"
  : >"${SOAK_DIR}/rss.tsv"
  : >"${SOAK_DIR}/restarts.tsv"
  : >"${SOAK_DIR}/audit.tsv"
  SOAK_SQUEEZE="hso-soak-squeeze-$(pkg_unique_suffix)"
  [[ -n "${LOCAL_CLUSTER_DIR:-}" && -f "${LOCAL_CLUSTER_DIR}/ports" ]] \
    || fail "LOCAL_CLUSTER_DIR='${LOCAL_CLUSTER_DIR:-}' is not the state folder of the soak's own control plane"
  command -v etcdctl >/dev/null || fail "etcdctl is not on PATH (hack/build-tools.sh builds it)"
  local fault
  for fault in ${SOAK_FAULTS}; do
    declare -F "soak_fault_${fault}" >/dev/null || fail "SOAK_FAULTS: no fault '${fault}'"
  done
}

# soak_setup: foreign objects, three replicas (one leads), the churn.
soak_setup() {
  k apply -f - >/dev/null <<EOF || fail "cannot create the foreign objects"
apiVersion: v1
kind: Service
metadata:
  name: ${SOAK_FOREIGN}
  namespace: ${ns}
  labels:
    owner: somebody-else
spec:
  selector:
    app: soak-nothing-matches
  ports:
  - name: http
    port: 80
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: ${SOAK_FOREIGN}-by-hand
  namespace: ${ns}
  labels:
    kubernetes.io/service-name: ${SOAK_FOREIGN}
    endpointslice.kubernetes.io/managed-by: somebody-else.example
addressType: IPv4
endpoints:
- addresses: ["${TEST_NET4}.250"]
EOF
  soak_foreign_state >"${SOAK_DIR}/foreign.before"
  soak_check_can_fail
  local name
  for name in "${SOAK_REPLICAS[@]}"; do
    ha_start_replica "${name}" "${SOAK_FLAGS[@]}"
  done
  for name in "${SOAK_REPLICAS[@]}"; do
    pkg_wait_ready "${name}"
  done
  say "leader: $(ha_wait_leader 60)"
  soak_churn_start
}

# soak_check_can_fail: before any replica runs, the checker must see an annotated pod without
# its Service, and a Service of the operator's that no pod wants.
soak_check_can_fail() {
  local out
  make_pod checker-probe
  wait_pod_ip checker-probe >/dev/null
  k -n "${ns}" create service clusterip orphan-probe --clusterip=None >/dev/null
  k -n "${ns}" label service orphan-probe "${HSO_MANAGED_BY_LABEL}=${HSO_MANAGED_BY_VALUE}" >/dev/null
  out=$(soak_check) && fail "the checker passed with no operator running"
  assert_contains "${out}" "missing-service	checker-probe" "what the checker says with no operator running"
  assert_contains "${out}" "orphan-service	Service orphan-probe" "what the checker says with no operator running"
  say "the checker sees what is wrong: $(cut -f1 <<<"${out}" | sort -u | paste -sd ' ' -)"
  k -n "${ns}" delete service orphan-probe >/dev/null
}

# soak_foreign_state: uid and resourceVersion of the foreign Service and EndpointSlice.
soak_foreign_state() {
  k -n "${ns}" get "service/${SOAK_FOREIGN}" "endpointslice/${SOAK_FOREIGN}-by-hand" \
    -o jsonpath='{range .items[*]}{.kind}/{.metadata.name} uid={.metadata.uid} rv={.metadata.resourceVersion}{"\n"}{end}'
}

# ---------------------------------------------------------------------------
# Churn: one operation every SOAK_CHURN_INTERVAL seconds on pods p0 … p(SOAK_POOL-1): creates
# (some with a shared spec.hostname, some asking for the foreign Service's name, some not
# annotated), IP changes (IPv4, or dual-stack IPv4+IPv6), the annotation added and removed,
# deletes, same-name recreates, pods that finish (Succeeded or Failed). Failed operations (the
# API server is down, the pod does not exist) are part of the load and ignored.

soak_make_pod() {
  local name=$1 value=true spec="" pick=$((RANDOM % 20))
  ((RANDOM % 8 != 0)) || value=-
  if ((pick < 5)); then
    spec="hostname: shared-$((RANDOM % 2))"
  elif ((pick < 7)); then
    spec="hostname: ${SOAK_FOREIGN}"
  fi
  make_pod "${name}" "${value}" "${spec}"
}

soak_churn_op() {
  local name="p$((RANDOM % SOAK_POOL))" ip="${TEST_NET4}.$((RANDOM % 240 + 1))"
  case $((RANDOM % 12)) in
    0 | 1 | 2) soak_make_pod "${name}" ;;
    3) set_pod_ips "${name}" "${ip}" ;;
    4) set_pod_ips "${name}" "${ip}" "${TEST_NET6}::$((RANDOM % 4000 + 1))" ;;
    5) k -n "${ns}" annotate --overwrite pod "${name}" "${HSO_ANNOTATION}=true" ;;
    6) k -n "${ns}" annotate pod "${name}" "${HSO_ANNOTATION}-" ;;
    7 | 8) k -n "${ns}" delete pod "${name}" --wait=false ;;
    9)
      k -n "${ns}" delete pod "${name}" --timeout=20s
      soak_make_pod "${name}"
      ;;
    10) set_pod_phase "${name}" Succeeded ;;
    11) set_pod_phase "${name}" Failed ;;
  esac
}

# soak_churn_start: the churn in the background. It stops at churn.stop; while churn.pause
# exists it does nothing and says so with churn.paused (soak_churn_pause waits for that).
soak_churn_start() {
  rm -f "${SOAK_DIR}/churn.stop" "${SOAK_DIR}/churn.pause" "${SOAK_DIR}/churn.paused"
  (
    trap - EXIT
    set +e
    ops=0
    while [[ ! -e "${SOAK_DIR}/churn.stop" ]]; do
      if [[ -e "${SOAK_DIR}/churn.pause" ]]; then
        touch "${SOAK_DIR}/churn.paused"
      else
        rm -f "${SOAK_DIR}/churn.paused"
        (soak_churn_op) >/dev/null 2>&1
        ops=$((ops + 1))
        printf '%s\n' "${ops}" >"${SOAK_DIR}/churn.ops"
      fi
      # Pacing of the load (and of the pause poll), not a synchronisation.
      sleep "${SOAK_CHURN_INTERVAL}"
    done
  ) </dev/null >/dev/null 2>&1 &
  printf '%s\n' "$!" >"${SOAK_DIR}/churn.pid"
  say "pod churn started (one operation every ${SOAK_CHURN_INTERVAL}s over ${SOAK_POOL} names)"
}

soak_churn_pause() {
  touch "${SOAK_DIR}/churn.pause"
  wait_for "the churn to pause" 60 test -e "${SOAK_DIR}/churn.paused"
}

soak_churn_resume() { rm -f "${SOAK_DIR}/churn.pause" "${SOAK_DIR}/churn.paused"; }

soak_churn_ops() { cat "${SOAK_DIR}/churn.ops" 2>/dev/null || echo 0; }
# soak_churn_wait_ops N: waits until the churn made N more operations.
soak_churn_wait_ops() {
  local want=$(($(soak_churn_ops) + $1))
  wait_for "the churn to make $1 operations" 60 soak_churn_ops_at_least "${want}"
}
soak_churn_ops_at_least() { (($(soak_churn_ops) >= $1)); }

soak_churn_stop() {
  [[ -f "${SOAK_DIR}/churn.pid" ]] || return 0
  local pid
  pid=$(cat "${SOAK_DIR}/churn.pid")
  touch "${SOAK_DIR}/churn.stop"
  wait_for "the churn to stop" 60 bash -c "! kill -0 ${pid} 2>/dev/null"
  rm -f "${SOAK_DIR}/churn.pid"
}

# ---------------------------------------------------------------------------
# The invariant checker.

# What the pods ask for, from one read of pods, Services and EndpointSlices; prints one line
# "KIND<TAB>detail" per thing that is not so (nothing when all is right):
# - every hostname some annotated pod wants has a winner (the decision of
#   src/reconciler/plan/decision.cpp: active pods first, then the oldest, then by name and uid); an
#   active winner has the operator's headless Service, owned by it; the operator's EndpointSlices
#   of that name are owned by that Service and hold exactly the winner's podIPs (none when the
#   winner finished);
# - no Service or EndpointSlice of the operator's outlives the pods that wanted it;
# - nothing of the operator's under the foreign Service's name.
# "unsettled" lines (a pod still terminating, or not given an IP by the scheduler and kwok) are
# the cluster's own components at work, not the operator: they are reported, never counted, and
# do not hold convergence back. A hostname wanted by a terminating pod is not checked (the
# operator may keep or drop its Service until the pod is gone); a winner without an IP must have
# no address in the slices, with or without a Service.
readonly SOAK_CHECK_JQ='
def wants: (.metadata.annotations // {})[$annotation] == "true";
def host: (.spec.hostname // .metadata.name);
def active: .metadata.deletionTimestamp == null and (.status.phase | IN("Succeeded", "Failed") | not);
def ips: [(.status.podIPs // [])[].ip] | sort;
.items as $items
| [$items[] | select(.kind == "Pod")] as $pods
| [$items[] | select(.kind == "Service" and (.metadata.labels // {})["app.kubernetes.io/managed-by"] == $svc_by)] as $svcs
| [$items[] | select(.kind == "EndpointSlice" and (.metadata.labels // {})["endpointslice.kubernetes.io/managed-by"] == $slice_by)] as $slices
| ($pods | map(select(wants)) | group_by(host)
   | map({key: (.[0] | host),
          value: (sort_by([(if active then 0 else 1 end), .metadata.creationTimestamp, .metadata.name, .metadata.uid]) | .[0])})
   | from_entries) as $winners
| [$pods[] | select(wants and .metadata.deletionTimestamp != null) | host] as $leaving
| ($svcs | map({key: .metadata.name, value: .}) | from_entries) as $svc_by_name
| (
  ($pods[] | select(.metadata.deletionTimestamp != null) | "unsettled\tpod \(.metadata.name) terminating"),
  ($pods[] | select(active and (ips | length) == 0) | "unsettled\tpod \(.metadata.name) \(.status.phase) without an IP"),
  ($winners | to_entries[] | select(.key != $foreign and (.key | IN($leaving[]) | not)) | .key as $h | .value as $w
   | $svc_by_name[$h] as $svc
   | ([$slices[] | select(.metadata.labels["kubernetes.io/service-name"] == $h)]) as $mine
   | (if ($w | active) then ($w | ips) else [] end) as $want
   | ([$mine[] | (.endpoints // [])[] | .addresses[]] | unique) as $got
   | (if $svc == null then
        (if ($w | active) and ($want | length) > 0 then "missing-service\t\($h) (winner pod \($w.metadata.name))" else empty end)
      else
        (if ([($svc.metadata.ownerReferences // [])[] | select(.kind == "Pod" and .name == $w.metadata.name and .uid == $w.metadata.uid)] | length) == 0
         then "wrong-owner\tService \($h) owned by \([($svc.metadata.ownerReferences // [])[] | "\(.kind)/\(.name)"] | join(",")), winner is pod \($w.metadata.name)" else empty end),
        (if $svc.spec.clusterIP != "None" then "wrong-spec\tService \($h) clusterIP \($svc.spec.clusterIP)" else empty end),
        ($mine[] | select([(.metadata.ownerReferences // [])[] | select(.uid == $svc.metadata.uid)] | length == 0)
         | "stale-slice\tEndpointSlice \(.metadata.name) not owned by Service \($h) uid \($svc.metadata.uid)")
      end),
     (if $got != $want then "wrong-addresses\t\($h): slices hold \($got | join(",")), pod \($w.metadata.name) (\($w.status.phase)) has \($want | join(","))" else empty end)),
  ($svcs[] | select($winners[.metadata.name] == null) | "orphan-service\tService \(.metadata.name) wanted by no pod"),
  ($slices[] | .metadata.labels["kubernetes.io/service-name"] as $h
   | select($winners[$h] == null or $svc_by_name[$h] == null or $h == $foreign)
   | "orphan-slice\tEndpointSlice \(.metadata.name) of \($h), whose Service or pods are gone")
)'

# soak_check: prints what is wrong (see SOAK_CHECK_JQ); returns 1 if anything is, 2 if the
# cluster could not be read.
soak_check() {
  local json out
  json=$(k -n "${ns}" get pods,services,endpointslices -o json 2>&1) || {
    printf 'unreadable\t%s\n' "${json:0:300}"
    return 2
  }
  out=$(jq -r --arg annotation "${HSO_ANNOTATION}" --arg svc_by "${HSO_MANAGED_BY_VALUE}" \
    --arg slice_by "${HSO_SLICE_MANAGED_BY}" --arg foreign "${SOAK_FOREIGN}" "${SOAK_CHECK_JQ}" <<<"${json}") || {
    printf 'unreadable\tjq failed\n'
    return 2
  }
  [[ -z "${out}" ]] || {
    printf '%s\n' "${out}"
    return 1
  }
}

# soak_converge ROUND FAULT HEAL_MS: polls soak_check until it passes or SOAK_CONVERGE_TIMEOUT
# passes; prints the milliseconds from HEAL_MS to the first passing check ('' if none). On the
# deadline, every remaining line is a violation of its kind.
soak_converge() {
  local round=$1 fault=$2 heal=$3 deadline out kind detail slow=$((SECONDS + 10))
  deadline=$((SECONDS + SOAK_CONVERGE_TIMEOUT))
  while :; do
    out=$(soak_check) || true
    out=$(grep -v '^unsettled' <<<"${out}" || true)
    if [[ -z "${out}" ]]; then
      echo $(($(ha_now_ms) - heal))
      return 0
    fi
    if ((slow > 0 && SECONDS >= slow)); then
      slow=0
      say "${fault}: not converged 10 s after the heal: $(head -n 3 <<<"${out}" | paste -sd ';' -)"
    fi
    if ((SECONDS >= deadline)); then
      while IFS=$'\t' read -r kind detail; do
        if [[ -n "${kind}" ]]; then soak_violation "${round}" "${fault}" "not-converged/${kind}" "${detail}"; fi
      done <<<"${out}"
      return 0
    fi
    sleep 0.5
  done
}

# soak_check_replicas ROUND FAULT: every replica runs (the schedule restarts the ones it stops
# right away); one that exited on its own is a violation and is started again (a restart the
# kubelet would make). No sanitizer report in any log.
soak_check_replicas() {
  local round=$1 fault=$2 name rc
  for name in "${SOAK_REPLICAS[@]}"; do
    if ! operator_alive "${name}"; then
      rc=$(cat "$(operator_dir "${name}")/rc" 2>/dev/null || echo '?')
      soak_violation "${round}" "${fault}" replica-exit "${name} exited with status ${rc}: $(tail -n 3 "$(operator_log "${name}")")"
      soak_record restarts.tsv "${round}" "${name}" unscheduled
      ha_start_replica "${name}" "${SOAK_FLAGS[@]}"
    fi
    if ! sanitizer_clean "${name}" && [[ ! -e "${SOAK_DIR}/sanitizer.${name}" ]]; then
      touch "${SOAK_DIR}/sanitizer.${name}"
      soak_violation "${round}" "${fault}" sanitizer-report "$(operator_log "${name}")"
    fi
  done
}

soak_check_foreign() {
  local now
  now=$(soak_foreign_state 2>&1) || true
  [[ "${now}" == "$(cat "${SOAK_DIR}/foreign.before")" ]] \
    || soak_violation "$1" "$2" foreign-changed "was '$(cat "${SOAK_DIR}/foreign.before")', now '${now}'"
}

# soak_check_audit ROUND SINCE_MS: every write of Services, EndpointSlices and Endpoints in $ns
# that landed (2xx) at or after SINCE_MS was made by the replica whose Lease write (acquire or
# renew) landed last before it ("writer-not-holder"), and within a lease duration of that Lease
# write ("write-after-lease-expiry"). In completion order of the audit log.
soak_check_audit() {
  local round=$1 since=$2 lines line
  lines=$(ha_audit 2>&1) || {
    soak_violation "${round}" audit audit-unreadable "${lines:0:300}"
    return 0
  }
  lines=$(sort -t $'\t' -k1,1n <<<"${lines}" | awk -F '\t' -v since="${since}" -v ns="${ns}" -v opns="${ha_opns}" \
    -v lease="${HA_LEASE_NAME}" -v duration="$((SOAK_LEASE * 1000))" '
    $8 !~ /^2/ { next }
    $6 == opns && $5 == "leases" && $7 == lease { holder = $3; renewed[$3] = $1; next }
    $6 == ns && $5 ~ /^(services|endpointslices|endpoints)$/ && $1 >= since {
      if ($3 != holder) print "writer-not-holder\t" $3 " " $4 " " $5 "/" $7 " at " $1 " while the last Lease write was by " holder
      else if ($1 - renewed[$3] > duration) print "write-after-lease-expiry\t" $3 " " $4 " " $5 "/" $7 " at " $1 ", " ($1 - renewed[$3]) " ms after its last Lease write"
      checked++
    }
    END { print "checked\t" checked + 0 }')
  while IFS=$'\t' read -r kind line; do
    if [[ "${kind}" == checked ]]; then
      soak_record audit.tsv "${round}" "${line}"
      ((line > 0)) || soak_violation "${round}" audit audit-no-writes "no landed write of a replica in the audit log this round"
    elif [[ -n "${kind}" ]]; then
      soak_violation "${round}" audit "${kind}" "${line}"
    fi
  done <<<"${lines}"
}

# soak_sample_rss ROUND: VmRSS of each replica process (kB), with its pid.
soak_sample_rss() {
  local name pid rss
  for name in "${SOAK_REPLICAS[@]}"; do
    pid=$(operator_pid "${name}")
    rss=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/${pid}/status" 2>/dev/null || echo 0)
    soak_record rss.tsv "$1" "${name}" "${pid}" "${rss:-0}"
  done
}

# soak_check_rss ROUND: a process sampled at the end of at least three earlier rounds may not
# have grown by more than SOAK_RSS_TOLERANCE_MIB since the previous one. Its first two rounds are
# warm-up: caches fill, a replica that becomes leader takes on the work queue and the writes, and
# ASan's allocator keeps the high-water mark (measured: +10 to +21 MiB in the second round, +2 to
# +5 MiB in the fourth). Memory nothing references any more is LeakSanitizer's: every SIGTERMed
# leader runs it at exit, and must exit 0.
soak_check_rss() {
  local lines kind detail
  lines=$(awk -F '\t' -v round="$1" -v tol="$((SOAK_RSS_TOLERANCE_MIB * 1024))" '
    $1 < round { seen[$2 " " $3]++ }
    $1 == round - 1 { before[$2 " " $3] = $4 }
    $1 == round && seen[$2 " " $3] >= 3 && (($2 " " $3) in before) && $4 - before[$2 " " $3] > tol {
      print "rss-growth\t" $2 " (pid " $3 ") " before[$2 " " $3] " kB -> " $4 " kB"
    }' "${SOAK_DIR}/rss.tsv")
  while IFS=$'\t' read -r kind detail; do
    if [[ -n "${kind}" ]]; then soak_violation "$1" rss "${kind}" "${detail}"; fi
  done <<<"${lines}"
}

# ---------------------------------------------------------------------------
# Faults. Each injects its fault (the churn running), heals it and writes the heal time (ms) to
# $SOAK_DIR/heal; a fault that did not happen as meant (no 429 seen, no relist) is a violation of
# kind fault-not-effective: the soak must not pass on faults that did nothing.

soak_healed() { ha_now_ms >"${SOAK_DIR}/heal"; }
# soak_evidence TEXT: what shows the fault took effect (in the results table).
soak_evidence() { printf '%s\n' "$*" >"${SOAK_DIR}/evidence"; }

# soak_sum_metric NAME [LABELS]: the metric summed over the running replicas.
soak_sum_metric() {
  local name total=0 value
  for name in "${SOAK_REPLICAS[@]}"; do
    operator_alive "${name}" || continue
    value=$(metric "$1" "${2:-}" "${name}" 2>/dev/null) || continue
    total=$(awk -v a="${total}" -v b="${value}" 'BEGIN { printf "%.17g", a + b }')
  done
  printf '%s\n' "${total}"
}
# soak_metric_above NAME LABELS BEFORE: predicate, the sum over the replicas is above BEFORE.
soak_metric_above() {
  local now
  now=$(soak_sum_metric "$1" "$2")
  awk -v n="${now}" -v b="$3" 'BEGIN { exit !(n > b) }' || {
    echo "$1{$2} at ${now}, not above ${3}"
    return 1
  }
}

# soak_restart_replica NAME: as the kubelet would, after the schedule stopped it.
soak_restart_replica() {
  soak_record restarts.tsv "${SOAK_ROUND}" "$1" scheduled
  ha_start_replica "$1" "${SOAK_FLAGS[@]}"
  pkg_wait_ready "$1"
}

soak_fault_leader-sigkill() {
  local leader rc
  leader=$(ha_wait_leader 60)
  kill -KILL "$(operator_pid "${leader}")"
  rc=$(ha_wait_exit "${leader}" 10)
  assert_eq 137 "${rc}" "exit status of the SIGKILLed leader ${leader}"
  soak_restart_replica "${leader}"
  soak_healed
  soak_evidence "${leader} killed, $(ha_wait_leader $((SOAK_LEASE + SOAK_RETRY * 2 + HA_MARGIN))) leads"
}

soak_fault_leader-sigterm() {
  local leader rc
  leader=$(ha_wait_leader 60)
  kill -TERM "$(operator_pid "${leader}")"
  rc=$(ha_wait_exit "${leader}" $((SOAK_GRACE + 30)))
  assert_eq 0 "${rc}" "exit status of the SIGTERMed leader ${leader}"
  soak_restart_replica "${leader}"
  soak_healed
  soak_evidence "${leader} exited 0, $(ha_wait_leader $((SOAK_RETRY * 2 + HA_MARGIN))) leads"
}

# Every replica's connections to the API server closed with a RST (its watches among them).
soak_fault_watch-reset() {
  local name before
  before=$(soak_sum_metric "${HSO_METRIC_API_REQUESTS}" 'verb="watch"')
  for name in "${SOAK_REPLICAS[@]}"; do ha_proxy "${name}" reset; done
  soak_healed
  wait_for "the replicas to watch again" 60 soak_metric_above "${HSO_METRIC_API_REQUESTS}" 'verb="watch"' "${before}"
  soak_evidence "watch requests $(soak_sum_metric "${HSO_METRIC_API_REQUESTS}" 'verb="watch"') (before: ${before})"
}

# The leader's path to the API server goes into a blackhole (its watches hang, its renewals do
# not arrive) until another replica leads; it must step down in place, not exit.
soak_fault_leader-blackhole() {
  local leader
  leader=$(ha_wait_leader 60)
  ha_proxy "${leader}" blackhole
  wait_for "the cut-off leader ${leader} to step down" $((SOAK_RENEW + SOAK_RETRY * 2 + HA_MARGIN)) soak_not_leading "${leader}"
  soak_evidence "${leader} stepped down, $(ha_wait_leader $((SOAK_LEASE + SOAK_RETRY * 2 + HA_MARGIN)) "${leader}") leads"
  ha_proxy "${leader}" pass
  soak_healed
  pkg_wait_ready "${leader}"
}
# soak_not_leading NAME: predicate, the replica runs and reports leader_election_master_status 0.
soak_not_leading() { [[ "$(ha_master_status "$1")" == 0 ]]; }

# Real 429s: the API server's Priority and Fairness squeezes the work of every replica, and a
# seat holder (lib/apf.sh) takes the squeezed level's one seat, so that every request the churn
# and a burst of pods ask of the replicas meets a 429 until it lets go, whatever the build's
# speed (the leader's own writes seldom overlap: four bursts of 8 pods met no 429 in a round of
# a Release soak). A holder rejected itself (a replica's request had the seat) gets another try.
# (Subshells: wait_for ends the shell it runs in when the deadline passes.)
soak_fault_apf-429() {
  local before subjects=() name attempt status="" met=0 squeeze
  squeeze=$(soak_squeeze_name)
  for name in "${SOAK_REPLICAS[@]}"; do subjects+=("${ha_opns}/hso-ha-${name}"); done
  before=$(soak_sum_metric "${HSO_METRIC_API_REQUESTS}" 'code="429"')
  apf_squeeze_track "${squeeze}"
  apf_squeeze_on "${squeeze}" "${subjects[@]}"
  apf_seat_on "${squeeze}"
  wait_for "the API server to apply FlowSchema ${squeeze}" 60 apf_squeeze_applied "${squeeze}"
  wait_for "the API server to apply FlowSchema ${squeeze}-seat" 60 apf_squeeze_applied "${squeeze}-seat"
  for attempt in 1 2 3 4 5; do
    apf_seat_hold "${SOAK_DIR}"
    if (wait_for "the seat holder to take the seat" 10 apf_seat_held "${squeeze}" "${SOAK_DIR}"); then
      make_burst "squeezed${SOAK_ROUND}-${attempt}" 4
      (wait_for "an answer 429 to a replica" 20 soak_metric_above "${HSO_METRIC_API_REQUESTS}" 'code="429"' "${before}") \
        && met=1
    fi
    apf_seat_release "${SOAK_DIR}"
    status=$(apf_seat_status "${SOAK_DIR}")
    ((met)) && break
  done
  ((met)) \
    || soak_violation "${SOAK_ROUND}" apf-429 fault-not-effective "no replica was answered 429 under the squeeze (${attempt} seat holders, the last answered HTTP ${status})"
  apf_squeeze_off "${squeeze}"
  soak_healed
  soak_evidence "answers 429 $(soak_sum_metric "${HSO_METRIC_API_REQUESTS}" 'code="429"') (before: ${before}); seat holder ${attempt} answered HTTP ${status}"
}

# soak_squeeze_name: a name of its own for each round's squeeze: the API server holds back the
# status writes of a FlowSchema it wrote more than five times in a minute (for 30 to 75 s), so
# that one made again under the same name every 10 s went 60 s without its Dangling condition.
soak_squeeze_name() { printf '%s-r%s\n' "${SOAK_SQUEEZE}" "${SOAK_ROUND}"; }

soak_fault_etcd-kill() {
  local before
  before=$(soak_component_pid etcd)
  soak_cluster signal etcd KILL
  soak_cluster start etcd
  soak_healed
  soak_evidence "etcd pid ${before} killed, now $(soak_component_pid etcd)"
}
# soak_component_pid NAME: the pid hack/local-cluster.sh recorded for a component.
soak_component_pid() { cut -d ' ' -f1 "${LOCAL_CLUSTER_DIR}/pids/$1" 2>/dev/null || echo none; }

# Compaction at etcd's current revision, then etcd restarts: the API server's watches on etcd
# resume from compacted revisions, its watch cache starts over, and the replicas' watches that
# resume from their last resourceVersion are answered 410 Gone: they must relist.
# The API server is frozen meanwhile (about a second), and a few keys outside its prefix are
# written straight into etcd, so that the revision its watches resume from is older than the
# compaction for sure (a consistent list anywhere makes the API server ask etcd for progress,
# which brings the watch caches' revisions up to date).
soak_fault_etcd-compaction() {
  local before endpoint revision i
  before=$(soak_sum_metric headless_service_operator_relists_total)
  # shellcheck source=/dev/null
  source "${LOCAL_CLUSTER_DIR}/ports"
  endpoint="http://127.0.0.1:${ETCD_PORT}"
  soak_cluster signal kube-apiserver STOP
  for i in 1 2 3; do
    etcdctl --endpoints="${endpoint}" put /hso-soak/compaction-marker "${i}" >/dev/null
  done
  revision=$(etcdctl --endpoints="${endpoint}" endpoint status -w json | jq '.[0].Status.header.revision')
  etcdctl --endpoints="${endpoint}" compact "${revision}" >/dev/null
  soak_cluster signal etcd KILL
  soak_cluster start etcd
  soak_cluster signal kube-apiserver CONT
  soak_healed
  (wait_for "a replica to relist after the compaction" 60 soak_metric_above headless_service_operator_relists_total "" "${before}") \
    || true
  soak_metric_above headless_service_operator_relists_total "" "${before}" >/dev/null \
    || soak_violation "${SOAK_ROUND}" etcd-compaction fault-not-effective "no replica relisted after the compaction at revision ${revision}"
  soak_evidence "compacted at ${revision}; relists $(soak_sum_metric headless_service_operator_relists_total) (before: ${before})"
}

# The API server frozen (SIGSTOP) for longer than the lease: the leader must step down in place
# by its renew deadline (its /metrics still answer) and nobody may exit.
soak_fault_apiserver-freeze() {
  local leader t0 stepped=0
  leader=$(ha_wait_leader 60)
  t0=$(date +%s)
  soak_cluster signal kube-apiserver STOP
  (wait_for "the leader ${leader} to step down while the API server is frozen" \
    $((SOAK_RENEW + SOAK_RETRY * 2 + HA_MARGIN)) soak_not_leading "${leader}") && stepped=1
  wait_for "the lease duration to pass frozen" $((SOAK_LEASE + HA_MARGIN)) clock_past $((t0 + SOAK_LEASE + 1))
  soak_cluster signal kube-apiserver CONT
  soak_healed
  ((stepped)) || soak_violation "${SOAK_ROUND}" apiserver-freeze no-step-down "${leader} still led at its renew deadline"
  soak_evidence "frozen $((SOAK_LEASE + 1))s; leader ${leader} $( ((stepped)) && echo stepped down || echo 'did not step down')"
}

soak_fault_apiserver-kill() {
  local before
  before=$(soak_component_pid kube-apiserver)
  soak_cluster signal kube-apiserver KILL
  soak_cluster start kube-apiserver
  soak_healed
  soak_evidence "kube-apiserver pid ${before} killed, now $(soak_component_pid kube-apiserver)"
}

# soak_heal_all: whatever a failed fault left behind: the API server frozen or down, etcd
# down, a proxy in blackhole, the squeeze.
soak_heal_all() {
  local name
  soak_cluster signal kube-apiserver CONT || true
  for name in etcd kube-apiserver; do
    soak_cluster start "${name}" || true
  done
  for name in "${SOAK_REPLICAS[@]}"; do
    (ha_proxy "${name}" pass) >/dev/null 2>&1 || true
  done
  (apf_squeeze_off "$(soak_squeeze_name)") >/dev/null 2>&1 || true
  # A seat holder ends when the fault's shell does (its body is then empty); in case it did not.
  [[ ! -f "${SOAK_DIR}/seat.pid" ]] || kill "$(cat "${SOAK_DIR}/seat.pid")" 2>/dev/null || true
}

# soak_fault ROUND NAME: one fault with the churn on, then convergence and the checks.
soak_fault() {
  local round=$1 fault=$2 t0 heal converge rc=0 out
  soak_churn_resume
  say "--- round ${round}: ${fault}"
  t0=$(ha_now_ms)
  rm -f "${SOAK_DIR}/heal" "${SOAK_DIR}/evidence"
  set +e
  out=$(
    set -e
    "soak_fault_${fault}" 2>&1
  )
  rc=$?
  set -e
  [[ -z "${out}" ]] || printf '%s\n' "${out}" >&2
  if ((rc != 0)); then
    soak_violation "${round}" "${fault}" fault-failed "$(grep -m 1 'FAIL' <<<"${out}" || tail -n 1 <<<"${out}")"
    soak_heal_all
  fi
  [[ -s "${SOAK_DIR}/heal" ]] || ha_now_ms >"${SOAK_DIR}/heal"
  heal=$(cat "${SOAK_DIR}/heal")
  # The churn goes on for a few operations after the heal, so that the operator has changes to
  # catch up with whatever the fault did to its watches.
  (soak_churn_wait_ops 3) || soak_violation "${round}" "${fault}" churn-stuck "the churn made no progress after the heal"
  soak_churn_pause
  converge=$(soak_converge "${round}" "${fault}" "${heal}")
  soak_check_replicas "${round}" "${fault}"
  soak_check_foreign "${round}" "${fault}"
  soak_record faults.tsv "${round}" "${fault}" "$((heal - t0))" "${converge}" "$(cat "${SOAK_DIR}/evidence" 2>/dev/null || true)"
  say "round ${round}: ${fault} healed after $((heal - t0)) ms, converged ${converge:-never} ms after the heal ($(cat "${SOAK_DIR}/evidence" 2>/dev/null || true))"
}

# soak_round N: every fault once, then the audit, memory and per-round checks.
soak_round() {
  local fault t0
  SOAK_ROUND=$1
  t0=$(ha_now_ms)
  for fault in ${SOAK_FAULTS}; do
    soak_fault "$1" "${fault}"
  done
  soak_check_audit "$1" "${t0}"
  soak_sample_rss "$1"
  soak_check_rss "$1"
  soak_churn_resume
}

# ---------------------------------------------------------------------------
# Results.

# soak_report FILE: faults with convergence times (median, p99, max: nearest rank), violations by
# kind, restarts and resident memory per round; returns 1 if there was any violation.
soak_report() {
  local file=$1 violations
  violations=$(grep -c . "${SOAK_DIR}/violations.tsv" || true)
  {
    printf '# Chaos soak %s\n\n' "$(date -u +%FT%TZ)"
    printf 'Operator %s; %s rounds; lease %ss, renew deadline %ss, retry %ss; churn every %ss over %s pods (%s operations).\n\n' \
      "${HSO_OPERATOR_BINARY}" "$(cut -f1 "${SOAK_DIR}/faults.tsv" | sort -u | grep -c . || true)" \
      "${SOAK_LEASE}" "${SOAK_RENEW}" "${SOAK_RETRY}" "${SOAK_CHURN_INTERVAL}" "${SOAK_POOL}" \
      "$(cat "${SOAK_DIR}/churn.ops" 2>/dev/null || echo 0)"
    printf '## Faults\n\nConvergence: from the heal to the first check that passes (seconds).\n\n'
    printf '| fault | injected | healed after (median s) | converged | median | p99 | max | evidence (last) |\n|---|---|---|---|---|---|---|---|\n'
    awk -F '\t' '
      {
        if (!($2 in n)) name[++k] = $2
        n[$2]++; heal[$2, n[$2]] = $3; evidence[$2] = $5
        if ($4 != "") { c[$2]++; conv[$2, c[$2]] = $4 }
      }
      function sorted(arr, key, count, out,   i, j, t) {
        for (i = 1; i <= count; i++) out[i] = arr[key, i] + 0
        for (i = 2; i <= count; i++) { t = out[i]; for (j = i - 1; j >= 1 && out[j] > t; j--) out[j + 1] = out[j]; out[j + 1] = t }
      }
      function rank(out, count, p,   r) { r = int(p * count + 0.999999); if (r < 1) r = 1; return out[r] / 1000 }
      END {
        for (i = 1; i <= k; i++) {
          f = name[i]; sorted(heal, f, n[f], h)
          line = sprintf("| %s | %d | %.1f | %d |", f, n[f], rank(h, n[f], 0.5), c[f] + 0)
          if (c[f] > 0) { sorted(conv, f, c[f], s); line = line sprintf(" %.1f | %.1f | %.1f |", rank(s, c[f], 0.5), rank(s, c[f], 0.99), s[c[f]] / 1000) }
          else line = line " - | - | - |"
          print line " " evidence[f] " |"
        }
      }' "${SOAK_DIR}/faults.tsv"
    printf '\nAudit log: %s landed writes of Services, EndpointSlices and Endpoints by the replicas checked against the Lease.\n' \
      "$(awk -F '\t' '{ s += $2 } END { print s + 0 }' "${SOAK_DIR}/audit.tsv" 2>/dev/null)"
    printf '\n## Violations: %s\n\n' "${violations}"
    if ((violations > 0)); then
      printf '| kind | count |\n|---|---|\n'
      cut -f3 "${SOAK_DIR}/violations.tsv" | sort | uniq -c | awk '{ print "| " $2 " | " $1 " |" }'
      printf '\n```\n'
      cat "${SOAK_DIR}/violations.tsv"
      printf '```\n'
    fi
    printf '\n## Restarts per round\n\nScheduled: the leader SIGKILLed and SIGTERMed, started again. Unscheduled: a replica that exited on its own (goal 0).\n\n'
    printf '| round | scheduled | unscheduled |\n|---|---|---|\n'
    cut -f1 "${SOAK_DIR}/faults.tsv" | sort -un | while read -r round; do
      printf '| %s | %s | %s |\n' "${round}" \
        "$(awk -F '\t' -v r="${round}" '$1 == r && $3 == "scheduled"' "${SOAK_DIR}/restarts.tsv" | grep -c . || true)" \
        "$(awk -F '\t' -v r="${round}" '$1 == r && $3 == "unscheduled"' "${SOAK_DIR}/restarts.tsv" | grep -c . || true)"
    done
    printf '\n## Resident memory at the end of each round (MiB; pid)\n\nFrom its fourth sample on, a process may grow by %s MiB at most from one round to the next (its first two rounds are warm-up).\n\n' \
      "${SOAK_RSS_TOLERANCE_MIB}"
    printf '| round | %s |\n|---|%s\n' "$(IFS='|'; printf '%s' "${SOAK_REPLICAS[*]}" | sed 's/|/ | /g')" \
      "$(printf '%0.s---|' "${SOAK_REPLICAS[@]}")"
    awk -F '\t' '{ cell[$1] = cell[$1] sprintf(" %.1f (%s) |", $4 / 1024, $3) } END { for (r in cell) print "| " r " |" cell[r] }' \
      "${SOAK_DIR}/rss.tsv" | sort -t '|' -k2,2n
  } >"${file}"
  ((violations == 0))
}
