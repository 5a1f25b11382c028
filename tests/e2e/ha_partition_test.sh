#!/usr/bin/env bash
# Issue 5, a leader that loses the Lease while it still runs: cut off from the API server by its
# tcpproxy (a partition: nothing delivered, connections left open), or robbed of the Lease by
# someone else. Each replica has its own ServiceAccount identity; the audit log tells who wrote.
#
# Short timings keep it quick and keep the ratios of the defaults: lease duration 8 s, renew
# deadline 5 s, retry period 1 s; and a graceful shutdown (drain) of 5 s.
ha_lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && if [[ -d lib ]]; then echo "${PWD}/lib"; else echo "${PWD}/../lib"; fi)
# shellcheck source=lib/common.sh
source "${ha_lib_dir}/common.sh"
# shellcheck source=lib/packaging.sh
source "${ha_lib_dir}/packaging.sh"
# shellcheck source=lib/ha.sh
source "${ha_lib_dir}/ha.sh"

ha_init hapart

readonly LEASE=8 RENEW=5 RETRY=1 GRACE=5
timings=(--lease-duration "${LEASE}s" --renew-deadline "${RENEW}s" --retry-period "${RETRY}s"
  --graceful-shutdown-timeout "${GRACE}s")

# not_leading NAME: predicate, the replica reports leader_election_master_status 0 or has exited.
not_leading() {
  local status
  status=$(ha_master_status "$1" 2>/dev/null || echo gone)
  [[ "${status}" != 1 ]] || {
    echo "replica $1 still reports leader_election_master_status 1"
    return 1
  }
}

# start_pair A B: A leads (it starts alone), B is a ready standby; churn runs and A has written.
start_pair() {
  local t0
  ha_start_replica "$1" "${timings[@]}"
  pkg_wait_ready "$1"
  assert_eq "$1" "$(ha_wait_leader 30)" "first leader"
  ha_start_replica "$2" "${timings[@]}"
  pkg_wait_ready "$2"
  t0=$(ha_now_ms)
  ha_churn_start "$1"
  wait_for "a write of the leader $1 under churn" 30 ha_has_work_write "$1" "${t0}"
}

# has_burst_write REPLICA SINCE_MS PREFIX: predicate, the replica wrote an object of the burst.
has_burst_write() {
  [[ -n "$(ha_work_writes "$2" "$1" | awk -F '\t' -v p="$3-" 'index($7, p) == 1')" ]] || {
    echo "no write of $1 for the pods $3-N yet"
    return 1
  }
}

# ms_since T0: milliseconds from T0 to now.
ms_since() { echo $(($(ha_now_ms) - $1)); }

# Case 1: the leader's path to the API server goes into a blackhole while it works through a
# backlog of writes (a burst of 40 pods), so writes are in flight at the cut. It stops leading by
# its renew deadline (its /metrics say so while it is still cut off) and steps down in place; the
# standby takes the Lease only after it expired, then reconciles the backlog and a pod created
# after the cut. When the path heals, whatever the old leader had sent is delivered (as TCP would
# retransmit it): none of its writes may land after its renew deadline, nor after the new leader's
# first write; and the old leader is a ready standby again, never having restarted.
case_1() {
  local t_cut t_down new first acquired last_renew late arrivals
  ha_stop_leftovers
  start_pair p1 p2
  local t_burst
  t_burst=$(ha_now_ms)
  make_burst burst 40
  wait_for "p1 to start on the burst" 30 has_burst_write p1 "${t_burst}" burst
  t_cut=$(ha_now_ms)
  ha_proxy p1 blackhole
  make_pod after-cut
  wait_for "p1 to stop leading" $((RENEW + RETRY * 2 + HA_MARGIN)) not_leading p1
  t_down=$(ms_since "${t_cut}")
  say "p1 stopped leading ${t_down} ms after the cut"
  if operator_alive p1; then
    local healthz
    healthz=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
      "http://127.0.0.1:$(cat "$(operator_dir p1)/probe_port")/healthz" || true)
    say "p1 while cut off and not leading: /healthz ${healthz}, $(ha_proxy_status p1)"
  fi
  new=$(ha_wait_leader $((LEASE + RETRY * 2 + HA_MARGIN)) p1)
  assert_eq p2 "${new}" "new leader"
  wait_for "a write of p2 after the cut" 30 ha_has_work_write p2 "${t_cut}"
  wait_for "Service after-cut" 30 exists service after-cut
  wait_for "EndpointSlice of after-cut" 30 ha_has_slice after-cut
  wait_for "Service burst-39" 30 exists service burst-39
  wait_for "EndpointSlice of burst-39" 30 ha_has_slice burst-39
  # Lost at the renew deadline: it steps down in place, without exiting.
  grep -q 'no successful renew within the renew deadline' "$(operator_log p1)" \
    || fail "p1 did not log the missed renew deadline: $(tail -n 5 "$(operator_log p1)")"
  wait_for "p1 to stop its workers" 30 grep -q 'reconcile workers stopped' "$(operator_log p1)"
  operator_alive p1 || fail "p1 exited instead of stepping down: $(tail -n 5 "$(operator_log p1)")"
  say "p1 stepped down and still runs, $(ms_since "${t_cut}") ms after the cut"
  # Safety: p2 took the Lease a full lease duration after p1's last renew landed.
  acquired=$(ha_first_ms "$(ha_lease_writes "${t_cut}" p2)")
  last_renew=$(ha_last_ms "$(awk -F '\t' -v t="${t_cut}" '$1 < t' <<<"$(ha_lease_writes 0 p1)")")
  awk -v a="${acquired}" -v r="${last_renew}" -v d="${LEASE}" 'BEGIN { exit !(a - r >= d * 1000) }' \
    || fail "p2 took the Lease at ${acquired}, less than ${LEASE}s after p1's last renew at ${last_renew}"
  ha_churn_stop
  # Heal the partition; the proxy delivers what it held. p1 keeps running, so its connections stay
  # open: once it is ready again (fresh lists through the same proxy), what it had sent before
  # has been answered.
  ha_proxy p1 pass
  wait_for "p1's proxy to deliver what it held" 60 ha_proxy_delivered p1
  pkg_wait_ready p1
  first=$(ha_first_ms "$(ha_work_writes "${t_cut}" p2)")
  arrivals=$(ha_audit | awk -F '\t' -v t="${t_cut}" '$1 >= t && $3 == "p1"')
  say "requests of p1 completed after the cut (audit): ${arrivals:-none}"
  late=$(awk -F '\t' -v t="$((t_cut + RENEW * 1000))" '$1 > t && $8 ~ /^2/' <<<"${arrivals}")
  [[ -z "${late}" ]] || fail "writes of p1 landed after its renew deadline (cut at ${t_cut}): ${late}"
  late=$(awk -F '\t' -v t="${first}" '$1 > t && $8 ~ /^2/' <<<"${arrivals}")
  [[ -z "${late}" ]] || fail "writes of p1 landed after p2's first write at ${first}: ${late}"
  # Healed, the same process is a ready standby again: caches warm, not leading, no restart.
  operator_alive p1 || fail "p1 exited after the partition healed"
  assert_eq 0 "$(ha_master_status p1)" "p1's leader_election_master_status once healed"
  assert_eq p2 "$(ha_holder_replica)" "the Lease holder once p1 is back"
  say "HA_MEASURE blackhole_to_not_leading_ms=${t_down} blackhole_to_lease_ms=$((${acquired%.*} - t_cut)) blackhole_to_first_write_ms=$((${first%.*} - t_cut))"
  ha_stop_all
}

# Case 2: someone else takes the Lease (a fresh holderIdentity and renewTime). The leader notices
# at its next renew, stops writing (no write of it lands between the theft plus the renew deadline
# and the next term) and steps down without exiting; both replicas wait the thief's lease out,
# then one of them leads (the robbed one may win again) and reconciles.
case_2() {
  local t_steal t_landed now t_down new acquired late
  ha_stop_leftovers
  start_pair s1 s2
  now=$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)
  t_steal=$(ha_now_ms)
  k -n "${ha_opns}" patch lease "${HA_LEASE_NAME}" --type=merge -p \
    "{\"spec\":{\"holderIdentity\":\"thief\",\"acquireTime\":\"${now}\",\"renewTime\":\"${now}\",\"leaseDurationSeconds\":${LEASE}}}" >/dev/null
  # The theft has landed once kubectl returns; a renew of s1's that landed between t_steal and
  # then came before it (after it, s1's update would conflict), so the next term is looked for
  # from here.
  t_landed=$(ha_now_ms)
  say "Lease stolen at ${t_steal} (landed by ${t_landed})"
  wait_for "s1 to stop leading" $((RENEW + RETRY * 2 + HA_MARGIN)) not_leading s1
  t_down=$(ms_since "${t_steal}")
  wait_for "s1 to log losing the Lease to the thief" 10 grep -q 'lost the lease to thief' "$(operator_log s1)"
  wait_for "s1 to stop its workers" 30 grep -q 'reconcile workers stopped' "$(operator_log s1)"
  operator_alive s1 || fail "s1 exited instead of stepping down: $(tail -n 5 "$(operator_log s1)")"
  say "s1 stepped down ${t_down} ms after the theft and still runs"
  make_pod after-steal
  new=$(ha_wait_leader $((LEASE + RETRY * 2 + HA_MARGIN)))
  acquired=$(ha_first_ms "$(ha_lease_writes "${t_landed}" "${new}")")
  awk -v a="${acquired}" -v t="${t_steal}" -v d="${LEASE}" 'BEGIN { exit !(a - t >= d * 1000) }' \
    || fail "${new} took the Lease at ${acquired}, less than ${LEASE}s after the theft at ${t_steal}"
  say "${new} leads after the thief's lease"
  wait_for "Service after-steal" 30 exists service after-steal
  wait_for "EndpointSlice of after-steal" 30 ha_has_slice after-steal
  ha_churn_stop
  late=$(ha_audit | awk -F '\t' -v t="$((t_steal + RENEW * 1000))" -v a="${acquired}" \
    '$1 > t && $1 < a && $3 == "s1" && $8 ~ /^2/')
  [[ -z "${late}" ]] || fail "writes of s1 landed between the theft plus the renew deadline and the next term: ${late}"
  operator_alive s1 || fail "s1 exited"
  operator_alive s2 || fail "s2 exited"
  say "HA_MEASURE steal_to_not_leading_ms=${t_down} steal_to_lease_ms=$((${acquired%.*} - t_steal))"
  ha_stop_all
}

run_case 1 "partitioned leader: stops by its renew deadline, steps down without a restart, no late write lands" case_1
run_case 2 "stolen Lease: the leader stops writing and steps down, the next term waits the thief out" case_2
e2e_finish
