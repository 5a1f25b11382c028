#!/usr/bin/env bash
# Issue 12: every panel of the Grafana dashboard (dashboards/k8s-pod-headless-service-operator.json)
# shows data. A real Prometheus (lib/prometheus.sh) scrapes three replicas of the real operator,
# driven so that every panel has something to show:
#  - two replicas with identities of their own behind their own tcpproxy (lib/ha.sh): one leads;
#  - a third replica whose ServiceAccount is bound to nothing, so its requests get 403 (the
#    refused-requests panel);
#  - an annotated pod (writes, reconciles, queue) and one whose name cannot be a Service name (the
#    skipped-by-reason panel shows invalid_name);
# Then each query of each panel, with the dashboard's variables filled in as Grafana would (job,
# every instance, a rate interval), runs through Prometheus's query API and must return at least
# one series with a number (not NaN). Watch restarts (after the API server ends a watch, 5-10
# minutes in) and relists (after a 410) only exist after such an event: those queries end in
# `or on() vector(0)` in the dashboard, and METRICS.md says so; 429 is not driven (the
# refused-requests panel shows the 403s).
e2e_dir=$(dirname "${BASH_SOURCE[0]}")
[[ -f "${e2e_dir}/lib/common.sh" ]] || e2e_dir="${e2e_dir}/.."
# shellcheck source=lib/common.sh
source "${e2e_dir}/lib/common.sh"
# shellcheck source=lib/packaging.sh
source "${e2e_dir}/lib/packaging.sh"
# shellcheck source=lib/ha.sh
source "${e2e_dir}/lib/ha.sh"
# shellcheck source=lib/prometheus.sh
source "${e2e_dir}/lib/prometheus.sh"

DASHBOARD=${HSO_SOURCE_DIR}/dashboards/k8s-pod-headless-service-operator.json
# What Grafana puts in for the dashboard's variables: the scrape job, every replica, and a rate
# window long enough to hold the test's activity.
readonly JOB=operator RATE_INTERVAL=3m

dash_cleanup() {
  local rc=$?
  set +e
  prom_stop_all
  (exit "${rc}")
  ha_cleanup
}

ha_init dash
prom_require_tools
trap dash_cleanup EXIT
[[ -r "${DASHBOARD}" ]] || fail "no dashboard at ${DASHBOARD}"

# metrics_target NAME: the replica's /metrics address.
metrics_target() { printf "'127.0.0.1:%s'" "$(cat "$(operator_dir "$1")/metrics_port")"; }

# Case 1: three replicas, Prometheus, and the work that fills every panel.
case_1() {
  ha_start_replica r1
  ha_start_replica r2
  pkg_wait_ready r1
  pkg_wait_ready r2
  # A replica whose identity has no rights at all: every request it makes is refused with 403.
  k -n "${ha_opns}" create serviceaccount hso-dash-unbound >/dev/null
  pkg_token_kubeconfig hso-dash-unbound "${ha_opns}" "${E2E_STATE}/unbound.kubeconfig"
  pkg_start_operator unbound "${E2E_STATE}/unbound.kubeconfig" --leader-election-namespace "${ha_opns}"
  wait_for "the unbound replica to be refused with 403" 30 has_403_samples unbound

  local config="${E2E_STATE}/prometheus.yml"
  {
    prom_scrape_config 1s
    cat <<EOF
  - job_name: ${JOB}
    static_configs:
      - targets: [$(metrics_target r1), $(metrics_target r2), $(metrics_target unbound)]
EOF
  } >"${config}"
  prom_start dash "${config}"
  wait_for "Prometheus to scrape all three replicas" 30 prom_at_least dash "count(up{job=\"${JOB}\"} == 1)" 3

  local leader standby
  leader=$(ha_wait_leader 40)
  if [[ "${leader}" == r1 ]]; then standby=r2; else standby=r1; fi
  printf '%s\n' "${leader}" >"${E2E_STATE}/leader"
  say "leader ${leader}, standby ${standby}"

  make_pod dash-web
  make_pod 7dash-invalid
  wait_pod_ip dash-web >/dev/null
  wait_pod_ip 7dash-invalid >/dev/null
  wait_for "Service dash-web" 30 exists service dash-web
  wait_for "a Warning Event regarding pod 7dash-invalid" 30 has_warning_event 7dash-invalid

  wait_for "Prometheus to see a Service created" 30 prom_at_least dash \
    "sum(headless_service_operator_object_writes_total{job=\"${JOB}\",resource=\"services\",action=\"create\"})" 1
  wait_for "Prometheus to see the invalid name skipped" 30 prom_at_least dash \
    "max(headless_service_operator_pods_skipped{job=\"${JOB}\",reason=\"invalid_name\"})" 1
  wait_for "Prometheus to see 403s" 30 prom_at_least dash \
    "sum(headless_service_operator_api_requests_total{job=\"${JOB}\",code=\"403\"})" 1
}

# has_403_samples NAME: predicate, the replica's /metrics counts requests refused with 403.
has_403_samples() {
  [[ -n "$(metric_403_samples "$1")" ]] || {
    echo "no request of $1 counted with code 403 yet"
    return 1
  }
}

# panel_query EXPR: EXPR with the dashboard's variables filled in.
panel_query() {
  local expr=$1
  expr=${expr//\$__rate_interval/${RATE_INTERVAL}}
  expr=${expr//\$job/${JOB}}
  expr=${expr//\$instance/.+}
  printf '%s\n' "${expr}"
}

# NUMBERS: jq filter, the values of an instant query's result that are numbers (not NaN or Inf).
readonly NUMBERS='[.data.result[] | .value[1] | select(. != "NaN" and . != "+Inf" and . != "-Inf")]'

# query_has_numbers EXPR: predicate, the instant query returns at least one series whose value is
# a number; prints "series=N first=VALUE" (or why not).
query_has_numbers() {
  local result
  result=$(prom_api dash /api/v1/query --data-urlencode "query=$1")
  jq -r "${NUMBERS} as \$v | if (\$v | length) > 0
         then \"series=\\(.data.result | length) first=\\(\$v[0])\"
         else \"no numeric sample (series=\\(.data.result | length))\" end" <<<"${result}"
  jq -e "${NUMBERS} | length > 0" <<<"${result}" >/dev/null
}

# Case 2: every query of every panel returns data.
case_2() {
  operator_alive r1 && operator_alive r2 || fail "the replicas are not running (case 1 failed?)"
  local title ref expr query panels queries=0 out
  while IFS=$'\t' read -r title ref expr; do
    query=$(panel_query "${expr}")
    wait_for "panel '${title}' query ${ref} to return data: ${query}" 30 query_has_numbers "${query}"
    out=$(query_has_numbers "${query}")
    say "panel '${title}' ${ref}: ${out}"
    queries=$((queries + 1))
  done < <(jq -r '.panels[] | select(.type != "row") | .title as $t | .targets[] | [$t, .refId, .expr] | @tsv' "${DASHBOARD}")
  panels=$(jq '[.panels[] | select(.type != "row")] | length' "${DASHBOARD}")
  ((queries > 0)) || fail "the dashboard has no queries"
  say "all ${queries} queries of ${panels} panels return data"
}

# panel_values TITLE REF: "labels value" lines of a panel query's result.
panel_values() {
  local expr
  expr=$(jq -r --arg t "$1" --arg r "$2" '.panels[] | select(.title == $t) | .targets[] | select(.refId == $r) | .expr' "${DASHBOARD}")
  [[ -n "${expr}" ]] || fail "no panel '$1' with query $2 in the dashboard"
  prom_api dash /api/v1/query --data-urlencode "query=$(panel_query "${expr}")" \
    | jq -r '.data.result[] | "\(.metric | to_entries | map("\(.key)=\(.value)") | join(",")) \(.value[1])"'
}

# Case 3: the panels that were driven show what was done, not only zeros.
case_3() {
  local values
  values=$(panel_values "Annotated pods skipped, by reason" A)
  say "skipped: $(paste -sd ';' <<<"${values}")"
  awk '$1 == "reason=invalid_name" && $2 >= 1 { found = 1 } END { exit !found }' <<<"${values}" \
    || fail "the skipped panel does not show the invalid name: ${values}"
  values=$(panel_values "Leader per replica" A)
  say "leader per replica: $(paste -sd ';' <<<"${values}")"
  assert_eq 1 "$(awk '$2 == 1' <<<"${values}" | grep -c .)" "replicas shown as leader"
  assert_eq 3 "$(grep -c . <<<"${values}")" "replicas on the leader panel"
  values=$(panel_values "Services and EndpointSlices written, by action" A)
  awk '$1 == "action=create,resource=services" && $2 > 0 { found = 1 } END { exit !found }' <<<"${values}" \
    || fail "the writes panel shows no Service created: ${values}"
  values=$(panel_values "Refused requests: 403 and 429" A)
  say "refused: $(head -n 3 <<<"${values}" | paste -sd ';' -)"
  grep -q 'code=403' <<<"${values}" || fail "the refused-requests panel shows no 403: ${values}"
  prom_stop dash
  ha_stop_all
  stop_operator_quietly unbound >/dev/null || true
}

run_case 1 "three replicas, Prometheus, and work for every panel" case_1
run_case 2 "every query of every dashboard panel returns data" case_2
run_case 3 "the driven panels show the work done" case_3
e2e_finish
