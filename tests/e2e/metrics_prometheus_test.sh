#!/usr/bin/env bash
# Issue 5: the operator's metrics as a real Prometheus sees them. Prometheus (Debian's package)
# runs on a free loopback port with its configuration and TSDB in the test's state folder, and
# scrapes the operator every second:
#  1. plain /metrics: the target is up, and the Services-created counter, 0 before, reaches 1
#     through Prometheus's query API once an annotated pod got its Service;
#  2. a real scrape of an operator that has done work passes `promtool check metrics` untouched;
#  3. --metrics-secure (self-signed certificate, pinned): a ServiceAccount allowed `get` on the
#     /metrics non-resource URL is scraped, one without that right is refused (403, target down),
#     a scrape without a token gets 401.
e2e_dir=$(dirname "${BASH_SOURCE[0]}")
[[ -f "${e2e_dir}/lib/common.sh" ]] || e2e_dir="${e2e_dir}/.."
# shellcheck source=lib/common.sh
source "${e2e_dir}/lib/common.sh"
# shellcheck source=lib/prometheus.sh
source "${e2e_dir}/lib/prometheus.sh"

readonly SERVICES_CREATED='headless_service_operator_object_writes_total{resource="services",action="create"}'

# Cluster-scoped objects (the scrapers' ClusterRole and binding) go before the namespaces.
cluster_objects_cleanup() {
  local rc=$? object
  set +e
  prom_stop_all
  if [[ "${E2E_KEEP:-0}" != 1 && -f "${E2E_STATE}/cluster-objects" ]]; then
    while read -r object; do
      [[ -n "${object}" ]] && k delete "${object}" --ignore-not-found --wait=false >/dev/null 2>&1
    done <"${E2E_STATE}/cluster-objects"
  fi
  (exit "${rc}")
  e2e_cleanup
}

e2e_init metricsprom
prom_require_tools
: >"${E2E_STATE}/cluster-objects"
trap cluster_objects_cleanup EXIT
track_cluster_object() { printf '%s\n' "$1" >>"${E2E_STATE}/cluster-objects"; }

# prometheus_config FILE INTERVAL: the global block, then the job blocks read from stdin.
prometheus_config() {
  {
    prom_scrape_config "$2"
    cat
  } >"$1"
}

# Case 1: Prometheus scrapes plain /metrics; the Services-created counter goes from 0 to >= 1.
case_1() {
  start_operator main
  wait_for_leader main
  local config="${E2E_STATE}/plain.yml"
  prometheus_config "${config}" 1s <<EOF
  - job_name: operator
    static_configs:
      - targets: ['127.0.0.1:$(cat "$(operator_dir main)/metrics_port")']
EOF
  prom_start plain "${config}"
  prom_wait_target plain operator up
  assert_eq 1 "$(prom_query plain 'up{job="operator"}')" "up of the operator's target"
  # The counter exists from the start with value 0 (METRICS.md), so rate() and absent() work.
  wait_for "a sample of ${SERVICES_CREATED}" 30 prom_has_sample plain "${SERVICES_CREATED}"
  assert_eq 0 "$(prom_query plain "${SERVICES_CREATED}")" "Services created before any annotated pod"
  make_pod prom-web
  wait_pod_ip prom-web >/dev/null
  wait_for "Service prom-web" 30 exists service prom-web
  wait_for "Prometheus to see the Service created" 30 prom_at_least plain "${SERVICES_CREATED}" 1
  say "through Prometheus: ${SERVICES_CREATED} = $(prom_query plain "${SERVICES_CREATED}")"
  assert_eq 1 "$(prom_query plain 'leader_election_master_status{job="operator"}')" \
    "leader_election_master_status through Prometheus"
  prom_stop plain
}

# metric_positive NAME: predicate, the sum of NAME's samples on the main operator's /metrics is > 0.
metric_positive() {
  local value
  value=$(metric "$1")
  awk -v v="${value}" 'BEGIN { exit !(v > 0) }' || {
    echo "$1 is ${value}"
    return 1
  }
}

# Case 2: a scrape of the operator after that work passes promtool's lint with no complaint.
case_2() {
  operator_alive main || fail "operator main is not running (case 1 failed?)"
  local family scrape="${E2E_STATE}/scrape.txt" out
  # The scrape must show the work done: histograms filled, reconciles, API requests.
  for family in headless_service_operator_reconcile_duration_seconds_count \
    headless_service_operator_api_request_duration_seconds_count \
    headless_service_operator_workqueue_queue_duration_seconds_count \
    headless_service_operator_workqueue_work_duration_seconds_count \
    headless_service_operator_reconciles_total headless_service_operator_api_requests_total \
    headless_service_operator_watch_events_total process_cpu_seconds_total; do
    wait_for "${family} > 0" 30 metric_positive "${family}"
  done
  metrics_text main >"${scrape}"
  say "scrape: $(grep -c -v '^#' "${scrape}") samples, $(grep -c '^# TYPE' "${scrape}") families"
  out=$(promtool check metrics <"${scrape}" 2>&1) || fail "promtool check metrics failed: ${out}"
  [[ -z "${out}" ]] || fail "promtool check metrics complained: ${out}"
  stop_operator main
}

# Case 3: secure /metrics from Prometheus with ServiceAccount tokens.
case_3() {
  if operator_alive main; then stop_operator_quietly main >/dev/null || true; fi
  local suffix role reader_token intruder_token ca port config
  suffix="$(date +%s | tail -c 4)${RANDOM}"
  role="hso-e2e-metrics-get-${suffix}"
  k -n "${ns}" create serviceaccount metrics-scraper >/dev/null
  k -n "${ns}" create serviceaccount metrics-intruder >/dev/null
  track_cluster_object "clusterrole/${role}"
  track_cluster_object "clusterrolebinding/${role}"
  k create clusterrole "${role}" --verb=get --non-resource-url=/metrics >/dev/null
  k create clusterrolebinding "${role}" --clusterrole="${role}" \
    --serviceaccount="${ns}:metrics-scraper" >/dev/null
  assert_eq yes "$(k auth can-i get /metrics --as="system:serviceaccount:${ns}:metrics-scraper")" \
    "metrics-scraper may get /metrics"
  assert_eq no "$(k auth can-i get /metrics --as="system:serviceaccount:${ns}:metrics-intruder" || true)" \
    "metrics-intruder may get /metrics"
  reader_token="${E2E_STATE}/reader.token"
  intruder_token="${E2E_STATE}/intruder.token"
  (umask 077 && k -n "${ns}" create token metrics-scraper --duration=10m >"${reader_token}")
  (umask 077 && k -n "${ns}" create token metrics-intruder --duration=10m >"${intruder_token}")

  start_operator secure --metrics-secure
  port=$(cat "$(operator_dir secure)/metrics_port")
  # Pin the certificate the operator made at start (its names include IP 127.0.0.1).
  ca="${E2E_STATE}/secure-metrics.crt"
  openssl s_client -connect "127.0.0.1:${port}" </dev/null 2>/dev/null | openssl x509 >"${ca}" \
    || fail "cannot read the certificate of the secure /metrics"
  say "secure /metrics certificate: $(openssl x509 -in "${ca}" -noout -subject -ext subjectAltName | paste -sd ' ' -)"

  config="${E2E_STATE}/secure.yml"
  prometheus_config "${config}" 1s <<EOF
  - job_name: reader
    scheme: https
    tls_config: {ca_file: '${ca}'}
    authorization: {type: Bearer, credentials_file: '${reader_token}'}
    static_configs: [{targets: ['127.0.0.1:${port}']}]
  - job_name: intruder
    scheme: https
    tls_config: {ca_file: '${ca}'}
    authorization: {type: Bearer, credentials_file: '${intruder_token}'}
    static_configs: [{targets: ['127.0.0.1:${port}']}]
  - job_name: anonymous
    scheme: https
    tls_config: {ca_file: '${ca}'}
    static_configs: [{targets: ['127.0.0.1:${port}']}]
EOF
  prom_start secure "${config}"
  prom_wait_target secure reader up
  prom_wait_target secure intruder down
  prom_wait_target secure anonymous down
  local error
  error=$(prom_target_error secure intruder)
  assert_contains "${error}" "403" "last scrape error of the token without the right"
  say "intruder: ${error}"
  error=$(prom_target_error secure anonymous)
  assert_contains "${error}" "401" "last scrape error without a token"
  say "anonymous: ${error}"
  wait_for "the reader's samples in Prometheus" 30 \
    prom_has_sample secure 'headless_service_operator_build_info{job="reader"}'
  assert_eq 1 "$(prom_query secure 'headless_service_operator_build_info{job="reader"}')" \
    "build_info through the reader's scrapes"
  assert_eq 0 "$(prom_query secure 'up{job="intruder"}')" "up of the intruder's target"
  assert_eq "" "$(prom_query secure 'count({job=~"intruder|anonymous",__name__=~"headless_service_operator_.*"})')" \
    "operator series scraped without the right"
  prom_stop secure
  stop_operator secure
}

run_case 1 "Prometheus scrapes /metrics; Services created goes from 0 to 1" case_1
run_case 2 "promtool check metrics on a scrape after real work" case_2
run_case 3 "secure /metrics from Prometheus: authorised token up, others 403/401" case_3
e2e_finish
