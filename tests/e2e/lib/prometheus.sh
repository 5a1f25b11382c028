# shellcheck shell=bash
# A real Prometheus (Debian's package) for the end-to-end tests, on top of lib/common.sh: it listens
# on a free loopback port only, keeps its configuration and TSDB under $E2E_STATE, has no
# Alertmanager, no remote write or read, no lifecycle or admin API, and scrapes only the loopback
# targets a test gives it.
#
#   prom_require_tools
#   prom_start NAME CONFIG_FILE     # promtool-checked; returns once /-/ready answers 200
#   prom_wait_target NAME JOB up    # or down; prom_target_error NAME JOB prints its lastError
#   prom_query NAME EXPR            # the value of the first sample, '' when there is none
#   prom_stop NAME                  # SIGTERM; fails unless it exits 0 in time
#   prom_stop_all                   # from an EXIT trap

prom_require_tools() {
  local tool
  for tool in prometheus promtool jq ss; do
    command -v "${tool}" >/dev/null || fail "${tool} is not on PATH (hack/install-deps.sh installs it)"
  done
}

prom_dir() { printf '%s/prometheus/%s\n' "${E2E_STATE}" "$1"; }
prom_port() { cat "$(prom_dir "$1")/port"; }
prom_url() { printf 'http://127.0.0.1:%s\n' "$(prom_port "$1")"; }
prom_alive() {
  local dir
  dir=$(prom_dir "$1")
  [[ -f "${dir}/pid" && ! -f "${dir}/rc" ]] && kill -0 "$(cat "${dir}/pid")" 2>/dev/null
}

# prom_scrape_config INTERVAL: the global block every test configuration starts with.
prom_scrape_config() {
  cat <<EOF
global:
  scrape_interval: $1
  scrape_timeout: $1
  evaluation_interval: $1
scrape_configs:
EOF
}

# prom_start NAME CONFIG_FILE: checks the configuration with promtool, starts Prometheus with its
# TSDB in the state folder and its web listener on a free loopback port, waits for /-/ready and
# checks that it listens on loopback only.
prom_start() {
  local name=$1 config=$2 dir port out
  dir=$(prom_dir "${name}")
  mkdir -p "${dir}/tsdb"
  out=$(promtool check config "${config}" 2>&1) || fail "promtool check config ${config}: ${out}"
  port=$(freeport -n 1 -proto tcp) || fail "freeport gave no port"
  printf '%s\n' "${port}" >"${dir}/port"
  local args=(--config.file="${config}" --storage.tsdb.path="${dir}/tsdb"
    --storage.tsdb.retention.time=1h
    --web.listen-address="127.0.0.1:${port}" --web.external-url="http://127.0.0.1:${port}/"
    --log.level=info)
  say "starting prometheus ${name}: ${args[*]}"
  spawn_recorded "${dir}" prometheus "${args[@]}" || fail "prometheus ${name} did not start"
  wait_for "prometheus ${name} ready on 127.0.0.1:${port}" 60 prom_ready "${name}"
  prom_listens_on_loopback_only "${name}"
  prom_sends_nowhere "${name}"
}

prom_ready() {
  if [[ -f "$(prom_dir "$1")/rc" ]]; then
    echo "exited with status $(cat "$(prom_dir "$1")/rc"): $(tail -n 5 "$(prom_dir "$1")/log")"
    return 1
  fi
  curl -fsS --max-time 2 -o /dev/null "$(prom_url "$1")/-/ready"
}

# prom_listens_on_loopback_only NAME: every listening socket of the process is on 127.0.0.1.
prom_listens_on_loopback_only() {
  local pid sockets
  pid=$(cat "$(prom_dir "$1")/pid")
  sockets=$(ss -Hlntup | awk -v pid="pid=${pid}," 'index($0, pid) { print $5 }')
  [[ -n "${sockets}" ]] || fail "prometheus $1 (pid ${pid}) has no listening socket"
  if grep -qv '^127\.0\.0\.1:' <<<"${sockets}"; then
    fail "prometheus $1 listens beyond loopback: $(paste -sd ' ' <<<"${sockets}")"
  fi
  say "prometheus $1 listens on $(paste -sd ' ' <<<"${sockets}") only"
}

# prom_sends_nowhere NAME: the loaded configuration has no remote write or read and no
# Alertmanager, so scrapes of loopback targets are the only connections Prometheus makes.
prom_sends_nowhere() {
  local loaded
  loaded=$(prom_api "$1" /api/v1/status/config | jq -r .data.yaml)
  if grep -E '^(remote_write|remote_read):|alertmanagers:' <<<"${loaded}"; then
    fail "prometheus $1 would send data somewhere: ${loaded}"
  fi
}

# prom_api NAME PATH [CURL_ARGS...]: GET on the HTTP API; fails unless it answers status success.
prom_api() {
  local name=$1 path=$2 out
  shift 2
  out=$(curl -fsS --max-time 5 -G "$@" "$(prom_url "${name}")${path}") \
    || fail "prometheus ${name}: GET ${path} failed"
  [[ "$(jq -r .status <<<"${out}")" == success ]] || fail "prometheus ${name}: GET ${path}: ${out:0:400}"
  printf '%s\n' "${out}"
}

# prom_query NAME EXPR: the value of the first sample of an instant query ('' for an empty result).
prom_query() {
  prom_api "$1" /api/v1/query --data-urlencode "query=$2" | jq -r '.data.result[0].value[1] // empty'
}

# prom_target NAME JOB FIELD: a field (health, lastError, scrapeUrl) of the job's active target.
prom_target() {
  prom_api "$1" /api/v1/targets --data-urlencode state=active \
    | jq -r --arg job "$2" --arg field "$3" '.data.activeTargets[] | select(.labels.job == $job) | .[$field]'
}
prom_target_error() { prom_target "$1" "$2" lastError; }

# prom_target_is NAME JOB HEALTH: predicate, the job's target has been scraped and is HEALTH.
prom_target_is() {
  local health
  health=$(prom_target "$1" "$2" health)
  [[ "${health}" == "$3" ]] || {
    echo "target of job $2 is '${health}' (last error: '$(prom_target_error "$1" "$2")')"
    return 1
  }
}

# prom_wait_target NAME JOB HEALTH [TIMEOUT]
prom_wait_target() {
  wait_for "prometheus $1: target of job $2 $3" "${4:-30}" prom_target_is "$1" "$2" "$3"
}

# prom_has_sample NAME EXPR: predicate, the query has a sample.
prom_has_sample() {
  [[ -n "$(prom_query "$1" "$2")" ]] || {
    echo "no sample for $2"
    return 1
  }
}

# prom_at_least NAME EXPR MIN: predicate, the query's value is >= MIN.
prom_at_least() {
  local value
  value=$(prom_query "$1" "$2")
  if [[ -z "${value}" ]] || ! awk -v v="${value}" -v min="$3" 'BEGIN { exit !(v >= min) }'; then
    echo "$2 is '${value}', want >= $3"
    return 1
  fi
}

# prom_stop NAME: SIGTERM; it must exit 0 within 30 s.
prom_stop() {
  local name=$1 rc
  prom_alive "${name}" || fail "prometheus ${name} is not running"
  rc=$(prom_stop_quietly "${name}") || fail "prometheus ${name} did not exit within 30s of SIGTERM (killed)"
  [[ "${rc}" == 0 ]] || {
    tail -n 20 "$(prom_dir "${name}")/log" >&2
    fail "prometheus ${name} exited with status ${rc} after SIGTERM (want 0)"
  }
  say "prometheus ${name} stopped"
}

# prom_stop_quietly NAME: prints the exit status; returns 1 if it had to be killed.
prom_stop_quietly() { terminate_process "$(prom_dir "$1")" 30; }

prom_stop_all() {
  local dir name
  for dir in "${E2E_STATE}"/prometheus/*/; do
    [[ -d "${dir}" ]] || continue
    name=$(basename "${dir}")
    if prom_alive "${name}"; then
      say "stopping prometheus ${name}"
      prom_stop_quietly "${name}" >/dev/null || true
    fi
  done
}
