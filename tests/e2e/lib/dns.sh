# shellcheck shell=bash
# DNS helpers beyond A/AAAA (tests/e2e/reconciler_dns_test.sh): CoreDNS's own metrics. Source
# after common.sh.

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
  awk -v name="$1" -v want="${2:-}" '
    BEGIN { n = (want == "") ? 0 : split(want, pairs, ",") }
    /^#/ { next }
    {
      series = $1
      base = series; sub(/\{.*/, "", base)
      if (base != name) next
      for (i = 1; i <= n; i++) if (index(series, pairs[i]) == 0) next
      sum += $NF
    }
    END { printf "%.17g\n", sum + 0 }' <<<"${text}"
}

# number_above A B: predicate, A > B (floating point).
number_above() {
  awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }' || {
    echo "$1 is not above $2"
    return 1
  }
}
