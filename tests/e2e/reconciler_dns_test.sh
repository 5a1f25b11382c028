#!/usr/bin/env bash
# Issue 13, asked of the local CoreDNS with dig: the trigger-time annotation and CoreDNS's
# dns_programming_duration metric (§3), the relaxed Service names flag (§4), SRV records for named
# container ports and --publish-ports=false (§2), and a restart over all of it writing nothing.
# tests/e2e/lib, also from tests/e2e/pending/ (scripts parked until the operator passes them).
e2e_dir=$(dirname "${BASH_SOURCE[0]}")
[[ -f "${e2e_dir}/lib/common.sh" ]] || e2e_dir="${e2e_dir}/.."
# shellcheck source=lib/common.sh
source "${e2e_dir}/lib/common.sh"
# shellcheck source=lib/dns.sh
source "${e2e_dir}/lib/dns.sh"

readonly TRIGGER_ANNOTATION=endpoints.kubernetes.io/last-change-trigger-time
readonly PROGRAMMING_COUNT=coredns_kubernetes_dns_programming_duration_seconds_count
readonly PROGRAMMING_SUM=coredns_kubernetes_dns_programming_duration_seconds_sum

e2e_init dns
require_coredns_metrics
start_operator main --relaxed-service-names

# A pod with named ports (and one unnamed) in its containers; extra spec lines for make_pod.
ports_spec() { # HTTP_PORT
  cat <<YAML
terminationGracePeriodSeconds: 1
tolerations:
- operator: Exists
containers:
- name: app
  image: registry.invalid/hso-e2e/app:1
  ports:
  - {name: http, containerPort: $1}
  - {containerPort: 9999}
- name: sidecar
  image: registry.invalid/hso-e2e/sidecar:1
  ports:
  - {name: dns, containerPort: 53, protocol: UDP}
YAML
}

# make_ports_pod NAME HTTP_PORT [EXTRA_SPEC]: an annotated pod whose spec is ports_spec.
make_ports_pod() {
  k apply -f - >/dev/null <<YAML || fail "cannot apply pod ${ns}/$1"
apiVersion: v1
kind: Pod
metadata:
  name: $1
  namespace: ${ns}
  labels: {e2e.hso/test: dns}
  annotations: {${HSO_ANNOTATION}: "true"}
spec:
$(ports_spec "$2" | sed 's/^/  /')
${3:+  $3}
YAML
}

# latest_transition POD: the latest of the pod's creation and condition transition times.
latest_transition() {
  { field pod "$1" '{.metadata.creationTimestamp}'
    echo
    field pod "$1" '{range .status.conditions[*]}{.lastTransitionTime}{"\n"}{end}'; } \
    | grep . | sort | tail -n 1
}
slice_trigger_times() {
  k -n "${ns}" get endpointslices -l "kubernetes.io/service-name=$1" \
    -o jsonpath="{range .items[*]}{.metadata.annotations.${TRIGGER_ANNOTATION//./\\.}}{\"\\n\"}{end}" | sort -u
}

# Case 1 (§3): the slice carries the time of the pod's change; CoreDNS observes the programming
# latency from it in coredns_kubernetes_dns_programming_duration_seconds.
case_1() {
  local count_before sum_before ip
  count_before=$(coredns_metric "${PROGRAMMING_COUNT}" 'service_kind="headless_with_selector"')
  sum_before=$(coredns_metric "${PROGRAMMING_SUM}" 'service_kind="headless_with_selector"')
  make_pod c1-latency
  ip=$(wait_pod_ip c1-latency)
  wait_for "slice for c1-latency with ${ip}" 30 equals "${ip}" slice_ips_line c1-latency
  wait_for "$(fqdn c1-latency) A ${ip}" 30 dns_answers A "$(fqdn c1-latency)" "${ip}"
  local want
  want=$(latest_transition c1-latency)
  assert_eq "${want}" "$(slice_trigger_times c1-latency)" "the slice's ${TRIGGER_ANNOTATION}"
  wait_for "CoreDNS's ${PROGRAMMING_COUNT} to move past ${count_before}" 30 \
    number_above_metric "${PROGRAMMING_COUNT}" "${count_before}"
  local count sum
  count=$(coredns_metric "${PROGRAMMING_COUNT}" 'service_kind="headless_with_selector"')
  sum=$(coredns_metric "${PROGRAMMING_SUM}" 'service_kind="headless_with_selector"')
  say "CoreDNS observed $(awk -v a="${count}" -v b="${count_before}" 'BEGIN { print a - b }') programming" \
    "durations, $(awk -v s="${sum}" -v s0="${sum_before}" -v c="${count}" -v c0="${count_before}" \
      'BEGIN { printf "%.3f", (s - s0) / (c - c0) }') s on average (the annotation has whole seconds)"
}
number_above_metric() {
  number_above "$(coredns_metric "$1" 'service_kind="headless_with_selector"')" "$2"
}

# Case 2 (§4): --relaxed-service-names: a hostname starting with a digit is offered to the API
# server. Where the server takes it (RelaxedServiceNameValidation), the name resolves; where it
# does not, the pod gets the ServiceRejected Warning instead of InvalidHostname, and no retries.
case_2() {
  make_pod c2-pod true "hostname: 2c-digit"
  local ip
  ip=$(wait_pod_ip c2-pod)
  if relaxed_names_enabled; then
    say "the API server has RelaxedServiceNameValidation on"
    wait_for "Service 2c-digit" 30 exists service 2c-digit
    wait_for "$(fqdn 2c-digit) A ${ip}" 30 dns_answers A "$(fqdn 2c-digit)" "${ip}"
  else
    say "the API server has RelaxedServiceNameValidation off: the operator offers, the server refuses"
    wait_for "a ServiceRejected Warning on c2-pod" 30 has_event_reason c2-pod ServiceRejected
    assert_absent service 2c-digit
    unchanged_for "the Events regarding c2-pod" 4 pod_events c2-pod
  fi
}
relaxed_names_enabled() {
  local metrics # not piped into grep -q: with pipefail, kubectl's SIGPIPE would read as "off"
  metrics=$(k get --raw /metrics) || fail "cannot read the API server's /metrics"
  grep -q '^kubernetes_feature_enabled{name="RelaxedServiceNameValidation",stage="[A-Z]*"} 1' <<<"${metrics}"
}
has_event_reason() { pod_events "$1" | grep -q "^Warning $2 "; }

# Case 3 (§2): named ports become SRV records; the unnamed port gives none; a new pod with the
# same hostname and another port moves the record.
case_3() {
  make_ports_pod c3-web 8080 "hostname: c3-srv"
  local ip
  ip=$(wait_pod_ip c3-web)
  wait_for "$(fqdn c3-srv) A ${ip}" 30 dns_answers A "$(fqdn c3-srv)" "${ip}"
  wait_for "$(srv_name http tcp c3-srv) SRV 8080" 30 srv_answers "$(srv_name http tcp c3-srv)" 8080
  wait_for "$(srv_name dns udp c3-srv) SRV 53" 30 srv_answers "$(srv_name dns udp c3-srv)" 53
  say "$(srv_name http tcp c3-srv) -> $(dig_srv "$(srv_name http tcp c3-srv)")"
  assert_eq "dns/UDP/53 http/TCP/8080" \
    "$(field service c3-srv '{range .spec.ports[*]}{.name}/{.protocol}/{.port}{" "}{end}' | sed 's/ $//')" \
    "the Service's ports (the unnamed 9999 left out)"
  # Container ports cannot change in place: a replacement pod with the same hostname brings others.
  delete_pod c3-web
  make_ports_pod c3-web2 8443 "hostname: c3-srv"
  ip=$(wait_pod_ip c3-web2)
  wait_for "$(fqdn c3-srv) A ${ip}" 45 dns_answers A "$(fqdn c3-srv)" "${ip}"
  wait_for "$(srv_name http tcp c3-srv) SRV 8443" 30 srv_answers "$(srv_name http tcp c3-srv)" 8443
}

# Case 4 (§2): --publish-ports=false keeps portless Services: A answers, SRV does not.
case_4() {
  local other
  other=$(new_namespace dns-noports)
  start_operator noports --namespace "${other}" --leader-election-namespace "${other}" --publish-ports=false
  local saved_ns=${ns}
  ns=${other}
  make_ports_pod c4-web 8080
  local ip
  ip=$(wait_pod_ip c4-web)
  wait_for "$(fqdn c4-web) A ${ip}" 30 dns_answers A "$(fqdn c4-web)" "${ip}"
  assert_eq "" "$(field service c4-web '{.spec.ports}')" "the Service's ports with --publish-ports=false"
  assert_eq "" "$(srv_ports "$(srv_name http tcp c4-web)")" "SRV for http with --publish-ports=false"
  ns=${saved_ns}
  stop_operator noports
}

# Case 5: a restart over all of the above (trigger times, ports, no ports) writes nothing.
case_5() {
  assert_restart_writes_nothing main --relaxed-service-names
}


run_case 1 "trigger-time annotation; CoreDNS's programming duration moves" case_1
run_case 2 "--relaxed-service-names: a hostname starting with a digit is offered" case_2
run_case 3 "named container ports: SRV records that follow the pod" case_3
run_case 4 "--publish-ports=false: portless Services, no SRV" case_4
run_case 5 "restart over trigger times and ports: zero writes" case_5
e2e_finish
