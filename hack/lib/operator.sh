# shellcheck shell=bash
# The one way the end-to-end tests (tests/e2e/lib/common.sh) and the benchmarks
# (bench/lib/common.sh) start the operator binary, and the background processes of the tests
# (the operator image under runc, Prometheus) that are stopped from another subshell.

# spawn_recorded DIR COMMAND...: runs COMMAND in the background, its output appended to DIR/log,
# through a wrapper that writes its pid to DIR/pid once it runs and its exit status to DIR/rc
# once it exits: the caller that stops it may be another subshell (an e2e case), where `wait`
# cannot see it. Returns once DIR/pid exists, 1 if it did not within 10 s.
spawn_recorded() {
  local dir=$1
  shift
  mkdir -p "${dir}"
  rm -f "${dir}/pid" "${dir}/rc"
  (
    trap - EXIT
    set +e
    "$@" </dev/null >>"${dir}/log" 2>&1 &
    pid=$!
    printf '%s\n' "${pid}" >"${dir}/pid.tmp"
    mv "${dir}/pid.tmp" "${dir}/pid"
    wait "${pid}"
    printf '%s\n' "$?" >"${dir}/rc"
  ) </dev/null >/dev/null 2>&1 &
  local deadline=$((SECONDS + 10))
  until [[ -f "${dir}/pid" ]]; do
    ((SECONDS < deadline)) || return 1
    sleep 0.05
  done
}

# operator_spawn DIR BINARY KUBECONFIG LOG_LEVEL [FLAGS...]: runs `BINARY run` in the background
# with that kubeconfig, two free loopback ports for metrics and probes, that log level and FLAGS.
# DIR gets metrics_port, probe_port, cmdline and, through spawn_recorded, the log, pid and rc.
# Returns once DIR/pid exists, 1 if there were no free ports or the binary did not start within
# 10 s.
operator_spawn() {
  local dir=$1 binary=$2 kubeconfig=$3 log_level=$4 ports
  shift 4
  mkdir -p "${dir}"
  mapfile -t ports < <(freeport -n 2 -proto tcp)
  ((${#ports[@]} == 2)) || return 1
  local args=(run --kubeconfig "${kubeconfig}"
    --metrics-bind-address "127.0.0.1:${ports[0]}"
    --health-probe-bind-address "127.0.0.1:${ports[1]}"
    --log-level "${log_level}" "$@")
  printf '%s\n' "${ports[0]}" >"${dir}/metrics_port"
  printf '%s\n' "${ports[1]}" >"${dir}/probe_port"
  printf '%s\n' "${args[*]}" >"${dir}/cmdline"
  printf '=== %s start: %s %s\n' "$(date -u +%FT%TZ)" "${binary}" "${args[*]}" >>"${dir}/log"
  spawn_recorded "${dir}" "${binary}" "${args[@]}"
}

# operator_wait_exit DIR SECONDS: waits until the binary spawned in DIR has exited and its status
# is recorded; 1 if it had not within SECONDS.
operator_wait_exit() {
  local deadline=$((SECONDS + $2))
  until [[ -f "$1/rc" ]]; do
    ((SECONDS < deadline)) || return 1
    sleep 0.05
  done
}
