#!/usr/bin/env bash
# Issue 5, one leader at a time: three replicas of the real binary, each with its own
# ServiceAccount identity, against the real API server; the audit log tells who wrote. And the
# readiness of a replica that cannot reach the API server yet.
ha_lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && if [[ -d lib ]]; then echo "${PWD}/lib"; else echo "${PWD}/../lib"; fi)
# shellcheck source=lib/common.sh
source "${ha_lib_dir}/common.sh"
# shellcheck source=lib/packaging.sh
source "${ha_lib_dir}/packaging.sh"
# shellcheck source=lib/ha.sh
source "${ha_lib_dir}/ha.sh"

ha_init haleader

# sample_leaders: "name=status ..." of every replica and the Lease holder's replica; fails unless
# exactly one replica reports leader_election_master_status 1 and it is the holder.
sample_leaders() {
  local name status leaders=() line="" holder
  for name in l1 l2 l3; do
    status=$(ha_master_status "${name}")
    line+="${name}=${status} "
    [[ "${status}" == 1 ]] && leaders+=("${name}")
  done
  holder=$(ha_holder_replica)
  if ((${#leaders[@]} != 1)) || [[ "${leaders[0]}" != "${holder}" ]]; then
    echo "master status ${line}; Lease held by '$(ha_lease_holder)' (replica '${holder}')"
    return 1
  fi
}

# The window of case 1 ends once it has proved enough: at least this many seconds, samples and
# landed work writes of the leader. A slow machine (or ThreadSanitizer replicas) only makes it
# longer, up to the deadline.
leader_window_seconds=20
leader_window_samples=10
leader_window_writes=10
leader_window_deadline=180

# window_done SINCE_MS LEADER SAMPLES STARTED: predicate, the window has its minimum of time,
# samples and writes.
window_done() {
  ((SECONDS - $4 >= leader_window_seconds && $3 >= leader_window_samples)) || return 1
  (($(ha_work_writes "$1" "$2" | wc -l) >= leader_window_writes))
}

# Case 1: three replicas under pod churn: at every sample of the window exactly one replica
# reports leader_election_master_status 1 and it is the Lease holder; the audit log shows writes
# (work and Lease) by that replica only, and the churn is reconciled.
case_1() {
  local name leader t_start t_end writers samples=0 started
  for name in l1 l2 l3; do
    ha_start_replica "${name}"
  done
  for name in l1 l2 l3; do
    pkg_wait_ready "${name}"
  done
  leader=$(ha_wait_leader 40)
  t_start=$(ha_now_ms)
  ha_churn_start churn
  started=${SECONDS}
  until window_done "${t_start}" "${leader}" "${samples}" "${started}"; do
    ((SECONDS - started < leader_window_deadline)) ||
      fail "after ${leader_window_deadline} s: ${samples} samples, $(ha_work_writes "${t_start}" "${leader}" | wc -l) writes of ${leader} (want ${leader_window_samples} and ${leader_window_writes})"
    sample_leaders >"${E2E_STATE}/sample" || fail "sample ${samples}: $(cat "${E2E_STATE}/sample")"
    samples=$((samples + 1))
  done
  ha_churn_stop
  t_end=$(ha_now_ms)
  say "${samples} samples in $((SECONDS - started)) s, each with exactly one leader: ${leader}"
  # The last churn pod is there and reconciled, so the writes of the window have landed.
  local last
  last=$(k -n "${ns}" get pods -l "e2e.hso/test=${E2E_NAME//_/-}" -o name --sort-by=.metadata.creationTimestamp | tail -n 1)
  [[ -n "${last}" ]] || fail "no churn pod left"
  wait_for "Service of ${last#pod/}" 30 exists service "${last#pod/}"
  wait_for "EndpointSlice of ${last#pod/}" 30 ha_has_slice "${last#pod/}"
  writers=$(ha_writers "${t_start}" "$(ha_now_ms)" | paste -sd ' ' -)
  assert_eq "${leader}" "${writers}" "replicas with landed writes during the churn (audit log)"
  local count
  count=$(ha_work_writes "${t_start}" "${leader}" | wc -l)
  ((count >= 10)) || fail "only ${count} writes of ${leader} during the churn: the window proves little"
  say "${count} writes during the churn, all by ${leader}; window ${t_start}..${t_end}"
  ha_stop_all
}

# Case 2: a replica that cannot reach the API server (proxy in blackhole from the start) is alive
# but not ready: /healthz 200, /readyz 500 naming informers-synced; once the path passes, it
# becomes ready.
case_2() {
  local probe body code
  ha_stop_leftovers
  ha_identity_setup rz
  ha_proxy rz blackhole
  ha_start_replica rz
  probe="http://127.0.0.1:$(cat "$(operator_dir rz)/probe_port")"
  wait_for "replica rz to answer /healthz" 30 equals 200 \
    curl -s -o /dev/null -w '%{http_code}' --max-time 2 "${probe}/healthz"
  holds_for "rz not ready while cut off" 5 bash -c "[[ \$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 '${probe}/readyz') == 500 ]]"
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "${probe}/healthz")
  assert_eq 200 "${code}" "/healthz while cut off"
  body=$(curl -s --max-time 2 "${probe}/readyz?verbose" || true)
  assert_contains "${body}" "[-]informers-synced" "/readyz?verbose while cut off"
  say "proxy while cut off: $(ha_proxy_status rz)"
  ha_proxy rz pass
  local t0=${SECONDS}
  pkg_wait_ready rz 60
  say "rz ready $((SECONDS - t0))s after the path opened"
  body=$(curl -s --max-time 2 "${probe}/readyz?verbose")
  assert_contains "${body}" "[+]informers-synced ok" "/readyz?verbose once connected"
  stop_operator rz
}

run_case 1 "three replicas: one leader at every sample, the only writer in the audit log" case_1
run_case 2 "/readyz fails until the caches sync, /healthz does not" case_2
e2e_finish
