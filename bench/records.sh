#!/usr/bin/env bash
# `make bench-records`: what a pod's DNS records cost the API server, per-pod Services against
# subdomain records (issue 13 §1, BENCHMARKS.md "Objects and writes per pod"). For each mode a
# namespace of HSO_RECORDS_PODS pods (default 10,000), every one annotated, Ready with an IP and
# setting spec.subdomain, gets a Release operator of its own (--namespace, so neither sees the
# other's objects) started over it:
#   per-pod    --subdomain-records=false: a headless Service and a slice per pod (what the original
#              operator's model gives, and what pods without a subdomain get)
#   subdomain  --subdomain-records=true: one headless Service for the subdomain with slices of up
#              to 100 endpoints, and an ExternalName Service per pod for its bare hostname
#   subdomain-only  --subdomain-hostname-aliases=false as well: the subdomain's Service and slices
#              alone, no Service per pod (only the FQDNs resolve, not the bare hostnames)
# and the driver records the objects the operator owns afterwards, the writes the API server
# counted until it settled, the full pass, and the operator's resident memory after that pass and
# at a second start over the same objects (steady), and what that second start wrote (nothing).
# Results: bench/results/records.jsonl and a table on stderr.
# Knobs: HSO_RECORDS_PODS=10000, HSO_RECORDS_MODES="per-pod subdomain subdomain-only", HSO_BENCH_BUILD_DIR, HSO_BENCH_RESULTS, HSO_BENCH_KEEP=1.
set -euo pipefail
shopt -s inherit_errexit

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
pods=${HSO_RECORDS_PODS:-10000}
qps="" burst="" workers=4
readonly lease_ns=hso-bench-system subdomain=workers
readonly managed_label=app.kubernetes.io/managed-by=k8s-pod-headless-service-operator
readonly slice_label=endpointslice.kubernetes.io/managed-by=k8s-pod-headless-service-operator.srcd.host

# shellcheck source=bench/lib/common.sh
source "${root}/bench/lib/common.sh"
bench_cluster_up "make bench-records"
new_namespace "${lease_ns}"

# owned_in NAMESPACE RESOURCE SELECTOR: how many of RESOURCE the operator owns there.
owned_in() { k -n "$1" get "$2" -l "$3" --no-headers 2>/dev/null | wc -l; }

# measure MODE FLAGS...: one namespace, one operator start with FLAGS, its figures as a JSON line.
measure() {
  local mode=$1 ns=records-$1 out=${work}/$1
  shift
  new_namespace "${ns}"
  "${bench}" populate --namespace="${ns}" --pods="${pods}" --annotated="${pods}" \
    --status=true --subdomain="${subdomain}" >"${out}-populate.json"
  "${bench}" snapshot >"${out}-before.json"
  start_operator --namespace "${ns}" "$@"
  follow_start "${out}-startup.json"
  local age
  age=$(process_age_seconds "${op_pid}")
  "${bench}" wait-settled --operator-metrics="${metrics_addr}" --reconciles="${pods}" \
    --whole-server=true --timeout=1800 >"${out}-pass.json"
  "${bench}" snapshot >"${out}-after.json"
  "${bench}" diff --before="${out}-before.json" --after="${out}-after.json" >"${out}-writes.json"
  local rss_after_pass rss services slices
  rss_after_pass=$(status_kib VmRSS)
  services=$(owned_in "${ns}" services "${managed_label}")
  slices=$(owned_in "${ns}" endpointslices "${slice_label}")
  # The steady figure is a start over what is there, as make bench-scale takes it: the pass's
  # transient trees are not in it.
  stop_operator
  "${bench}" snapshot >"${out}-restart-before.json"
  start_operator --namespace "${ns}" "$@"
  follow_start "${out}-restart.json"
  settle "${pods}"
  rss=$(status_kib VmRSS)
  stop_operator
  "${bench}" snapshot >"${out}-restart-after.json"
  "${bench}" diff --before="${out}-restart-before.json" --after="${out}-restart-after.json" \
    >"${out}-restart-writes.json"
  jq -cn --arg mode "${mode}" --argjson pods "${pods}" --argjson services "${services}" \
    --argjson slices "${slices}" --argjson rss "${rss}" --argjson rss_after_pass "${rss_after_pass}" --argjson age "${age}" \
    --slurpfile pass "${out}-pass.json" --slurpfile writes "${out}-writes.json" \
    --slurpfile restart "${out}-restart-writes.json" \
    '{mode: $mode, pods: $pods, services: $services, endpoint_slices: $slices,
      objects_per_pod: (($services + $slices) / $pods),
      writes: $writes[0].writes, writes_per_pod: ($writes[0].total / $pods),
      full_pass_seconds: ($age + $pass[0].reconciled_seconds), rss_after_pass_kib: $rss_after_pass,
      rss_steady_kib: $rss, restart_writes: $restart[0].total}' \
    >>"${work}/records.jsonl"
  say "$(tail -n 1 "${work}/records.jsonl")"
}

for mode in ${HSO_RECORDS_MODES:-per-pod subdomain subdomain-only}; do
  say "${mode} for ${pods} pods"
  case "${mode}" in
    per-pod) measure per-pod --subdomain-records=false ;;
    subdomain) measure subdomain --subdomain-records=true ;;
    subdomain-only)
      measure subdomain-only --subdomain-records=true --subdomain-hostname-aliases=false
      ;;
    *) die "HSO_RECORDS_MODES: per-pod, subdomain or subdomain-only, not ${mode}" ;;
  esac
done

mkdir -p "${results_dir}"
cp "${work}/records.jsonl" "${results_dir}/records.jsonl"
{
  printf 'mode\tpods\tservices\tslices\tobjects/pod\twrites/pod\tpass_s\trss_pass_MiB\trss_MiB\trestart_writes\n'
  jq -r '[.mode, .pods, .services, .endpoint_slices, (.objects_per_pod * 1000 | round / 1000),
          (.writes_per_pod * 1000 | round / 1000), (.full_pass_seconds * 10 | round / 10),
          (.rss_after_pass_kib / 1024 * 10 | round / 10), (.rss_steady_kib / 1024 * 10 | round / 10), .restart_writes] | @tsv' "${results_dir}/records.jsonl"
} | column -t >&2
say "results: ${results_dir}/records.jsonl (wall time $((SECONDS - started)) s)"
