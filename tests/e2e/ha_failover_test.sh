#!/usr/bin/env bash
# Issue 5, failover with the default timings (15 s / 10 s / 2 s), so the figures are what a user
# gets. Each replica has its own ServiceAccount identity; the audit log tells which one wrote.
#
# Prints one `HA_MEASURE ...` line per case: milliseconds from the signal to the new leader's
# Lease acquisition and to its first write landing on the API server.
ha_lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && if [[ -d lib ]]; then echo "${PWD}/lib"; else echo "${PWD}/../lib"; fi)
# shellcheck source=lib/common.sh
source "${ha_lib_dir}/common.sh"
# shellcheck source=lib/packaging.sh
source "${ha_lib_dir}/packaging.sh"
# shellcheck source=lib/ha.sh
source "${ha_lib_dir}/ha.sh"

ha_init hafail

# Case 1: SIGKILL the leader of three: one of the two standbys takes the Lease once it expired
# (not before: 15 s after the old leader's last renew) and reconciles a pod created after the
# kill, within lease duration + retry period + margin; the old leader writes nothing after.
case_1() {
  ha_measure_failover sigkill 3 >/dev/null
}

# Case 2: SIGTERM the leader of two: it drains, releases the Lease (empty holder, 1 s), exits 0,
# and the standby leads and reconciles within about one retry period.
case_2() {
  ha_measure_failover sigterm 2 >/dev/null
}

run_case 1 "SIGKILL the leader: another takes over after the lease expires and reconciles" case_1
run_case 2 "SIGTERM the leader: it releases the lease, exits 0, another takes over at once" case_2
if [[ -s "${E2E_STATE}/measurements" ]]; then
  cat "${E2E_STATE}/measurements"
fi
e2e_finish
