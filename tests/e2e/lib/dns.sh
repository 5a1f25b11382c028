# shellcheck shell=bash
# DNS helpers beyond A/AAAA (tests/e2e/reconciler_dns_test.sh): SRV answers and CoreDNS's own
# metrics. Source after common.sh.

# dig_srv NAME: the SRV answers "priority weight port target", sorted, one per line.
dig_srv() {
  dig +short +time=1 +tries=2 @"${DNS_HOST}" -p "${DNS_PORT}" SRV "$1" \
    | grep -E '^[0-9]+ [0-9]+ [0-9]+ ' | sort || true
}

# srv_ports NAME: the ports of the SRV answers, sorted and space-separated ('' for none).
srv_ports() { dig_srv "$1" | awk '{ print $3 }' | sort -n | paste -sd ' ' -; }

# srv_answers NAME EXPECTED_PORTS: predicate for wait_for.
srv_answers() {
  local got
  got=$(srv_ports "$1")
  [[ "${got}" == "$2" ]] || {
    printf '%s SRV answered ports %s, want %s\n' "$1" "'${got}'" "'$2'"
    return 1
  }
}

# srv_name PORT_NAME PROTOCOL HOSTNAME [NAMESPACE]: _<port>._<proto>.<hostname>.<ns>.svc.<zone>.
srv_name() { printf '_%s._%s.%s\n' "$1" "$(tr '[:upper:]' '[:lower:]' <<<"$2")" "$(fqdn "$3" "${4:-${ns}}")"; }

# require_coredns_metrics: CLUSTER_DNS_METRICS (hack/local-cluster.sh env) must be set.
require_coredns_metrics() {
  [[ "${CLUSTER_DNS_METRICS:-}" =~ ^127\.0\.0\.1:[0-9]+$ ]] \
    || fail "CLUSTER_DNS_METRICS is not set (a cluster from an older hack/local-cluster.sh? run down, then up)"
}

# coredns_metric NAME [LABELS]: the sum of CoreDNS's samples of NAME whose labels include every
# key="value" pair of LABELS (comma-separated); 0 when there is none.
coredns_metric() {
  local text
  text=$(curl -fsS --max-time 5 "http://${CLUSTER_DNS_METRICS}/metrics") \
    || fail "cannot read CoreDNS's metrics at ${CLUSTER_DNS_METRICS}"
  sum_samples "$1" "${2:-}" <<<"${text}"
}

# number_above A B: predicate, A > B (floating point).
number_above() {
  awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }' || {
    echo "$1 is not above $2"
    return 1
  }
}
