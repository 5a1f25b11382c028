#!/usr/bin/env bash
# `make bench-scale`: the Kubernetes scalability envelope (issue 15, BENCHMARKS.md "At scale").
# A private local control plane is filled step by step to 1,000 / 10,000 / 50,000 / 150,000 pods,
# 1,000 per namespace, one in 15 annotated (10,000 at 150,000). The pods are bound to no node
# (a scheduler name nobody runs, so neither kube-scheduler nor kwok touches them); the driver sets
# the status (IP, Ready) of the annotated ones, as `make bench` does, and leaves the others
# Pending (the operator never looks at them; it halves the writes of filling the cluster). At each step the Release operator starts over the
# pods already there, and the driver records:
#   - the API server's own paged list of every pod (what an informer's start costs at least);
#   - the operator's start to /readyz and its resident memory then;
#   - the full pass: start to every annotated pod reconciled once and the queue drained;
#   - resident memory, steady;
#   - IP change to EndpointSlice latency at 20 changes a second (the churn the upstream SLOs assume).
# Last, the memory goal: the same 150,000 pods with only 1,000 annotated, against the empty cluster.
# Results: bench/results/scale.jsonl (one line per step), scale.tsv and scale.png (gnuplot).
#
# Knobs (environment):
#   HSO_BENCH_BUILD_DIR   the Release build (default build/)
#   HSO_BENCH_RESULTS     where the results go (default bench/results)
#   HSO_SCALE_STEPS="1000 10000 50000 150000"  total pods at each step
#   HSO_SCALE_PER_NAMESPACE=1000  HSO_SCALE_ANNOTATED_EVERY=15
#   HSO_SCALE_LATENCY_PODS=200  HSO_SCALE_RATE=20  pods and changes a second of the latency run
#   HSO_SCALE_FEW_ANNOTATED=1000  annotated pods kept for the memory goal (0: skip it)
#   HSO_BENCH_KEEP=1      keep the work folder (operator logs, raw JSON)
set -euo pipefail
shopt -s inherit_errexit

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
read -r -a steps <<<"${HSO_SCALE_STEPS:-1000 10000 50000 150000}"
per_ns=${HSO_SCALE_PER_NAMESPACE:-1000}
annotated_every=${HSO_SCALE_ANNOTATED_EVERY:-15}
latency_pods=${HSO_SCALE_LATENCY_PODS:-200}
rate=${HSO_SCALE_RATE:-20}
few_annotated=${HSO_SCALE_FEW_ANNOTATED:-1000}
qps="" burst="" workers=4
readonly lease_ns=hso-bench-system managed_label=app.kubernetes.io/managed-by=k8s-pod-headless-service-operator
annotation=srcd.host/create-headless-service

# shellcheck source=bench/lib/common.sh
source "${root}/bench/lib/common.sh"
command -v gnuplot >/dev/null || die "gnuplot is missing (make bench-scale installs gnuplot-nox)"
# 150,000 pods with managedFields are about 1 GiB in etcd; the default quota is 2 GiB.
export LOCAL_CLUSTER_ETCD_QUOTA_BYTES=${LOCAL_CLUSTER_ETCD_QUOTA_BYTES:-8589934592}
bench_cluster_up "make bench-scale"
new_namespace "${lease_ns}"

annotated_per_ns=$(((per_ns + annotated_every - 1) / annotated_every))
namespaces=0 # scale-0001 ... filled so far
annotated_total=0
extra_pods=0 # the latency runs' pods, all annotated

# fill_to TOTAL: populates whole namespaces until TOTAL pods exist (the operator is stopped).
fill_to() {
  local target=$(($1 / per_ns)) name
  ((target * per_ns == $1)) || die "step $1 is not a multiple of ${per_ns} pods per namespace"
  while ((namespaces < target)); do
    namespaces=$((namespaces + 1))
    printf -v name 'scale-%04d' "${namespaces}"
    new_namespace "${name}"
    "${bench}" populate --namespace="${name}" --pods="${per_ns}" \
      --annotated="${annotated_per_ns}" --status=annotated >>"${work}/populate.jsonl"
    annotated_total=$((annotated_total + annotated_per_ns))
  done
}

# measure_step LABEL PODS ANNOTATED: one operator start over what is there, then its figures.
measure_step() {
  local label=$1 pods=$2 annotated=$3 out=${work}/step-$1
  "${bench}" list --path=/api/v1/pods --repeat=3 >"${out}-list.json"
  start_operator
  follow_start "${out}-startup.json"
  # The full pass: the operator's age when the wait began plus the wait to the last reconcile.
  local age pass_seconds
  age=$(process_age_seconds "${op_pid}")
  "${bench}" wait-settled --operator-metrics="${metrics_addr}" --reconciles="${annotated}" \
    --timeout=1800 >"${out}-pass.json"
  pass_seconds=$(jq -r --argjson age "${age}" '$age + .reconciled_seconds' "${out}-pass.json")
  memory_sample "steady-${label}"
  local rss
  rss=$(status_kib VmRSS)
  if ((latency_pods > 0)); then
    new_namespace "scale-latency-${label}"
    "${bench}" latency --namespace="scale-latency-${label}" --pods="${latency_pods}" \
      --rate="${rate}" >"${out}-latency.json"
    # They stay, annotated: the next steps count them.
    extra_pods=$((extra_pods + latency_pods))
  else
    echo '{"latency_ms":{}}' >"${out}-latency.json"
  fi
  stop_operator
  jq -cn --arg step "${label}" --argjson pods "${pods}" --argjson annotated "${annotated}" \
    --argjson rss "${rss}" --argjson pass "${pass_seconds}" \
    --slurpfile list "${out}-list.json" --slurpfile start "${out}-startup.json" \
    --slurpfile lat "${out}-latency.json" \
    '{label: $step, pods: $pods, annotated: $annotated,
      apiserver_list_seconds: $list[0].seconds.median,
      ready_seconds: $start[0].ready_seconds, rss_at_ready_kib: $start[0].rss_at_ready_kib,
      full_pass_seconds: $pass, rss_steady_kib: $rss,
      latency_ms: $lat[0].latency_ms}' >>"${work}/scale.jsonl"
  say "$(tail -n 1 "${work}/scale.jsonl")"
}

# clean_up_unasked ANNOTATED: one operator start, until no more than ANNOTATED Services are owned.
clean_up_unasked() {
  local deadline=$((SECONDS + 900))
  start_operator
  follow_start "${work}/cleanup-startup.json"
  until (($(owned_services) <= $1)); do
    ((SECONDS < deadline)) || die "the operator did not remove the Services of unannotated pods"
    sleep 2
  done
  stop_operator
  say "the Services of pods that stopped asking are gone ($(owned_services) owned)"
}

say "the operator on the empty cluster"
measure_step empty 0 0

for total in "${steps[@]}"; do
  say "filling to ${total} pods (${annotated_per_ns} of each ${per_ns} annotated)"
  fill_to "${total}"
  measure_step "${total}" "$((total + extra_pods))" "$((annotated_total + extra_pods))"
done

if ((few_annotated > 0 && annotated_total > few_annotated)); then
  keep_ns=$(((few_annotated + annotated_per_ns - 1) / annotated_per_ns))
  say "the memory goal: the annotation taken off all but ${keep_ns} namespaces' pods"
  for ((i = keep_ns + 1; i <= namespaces; i++)); do
    printf -v name 'scale-%04d' "${i}"
    k -n "${name}" annotate pods --all "${annotation}-" >/dev/null
  done
  # The per-pod Services of pods that stopped asking go at the operator's next start; the figure
  # is taken once that is done, at steady state.
  mapfile -t latency_ns < <(k get namespaces -o name | grep '^namespace/scale-latency-' || true)
  if ((${#latency_ns[@]} > 0)); then
    k delete "${latency_ns[@]}" --wait=false >/dev/null
    k wait --for=delete "${latency_ns[@]}" --timeout=600s >/dev/null
  fi
  # A first start removes the Services and slices of the pods that stopped asking; the figure is
  # taken at a second start, so the caches it measures never held them (session 9's run measured
  # the first start: 30 MiB, the packed objects of 9,800 pods that no longer asked).
  clean_up_unasked "$((keep_ns * annotated_per_ns))"
  measure_step "few-annotated" "$((namespaces * per_ns))" "$((keep_ns * annotated_per_ns))"
fi

mkdir -p "${results_dir}"
cp "${work}/scale.jsonl" "${results_dir}/scale.jsonl"
tsv_row='def r: . * 100 | round / 100;
  [.label, .pods, .annotated, (.apiserver_list_seconds | r), (.ready_seconds | r),
   (.full_pass_seconds | r), (.rss_steady_kib / 1024 | r), (.latency_ms.median | if . == null then "NaN" else r end),
   (.latency_ms.p99 | if . == null then "NaN" else r end)] | @tsv'
jq -r "${tsv_row}" "${results_dir}/scale.jsonl" >"${results_dir}/scale.tsv"
# The plot: the envelope's steps only (a log axis has no 0; the memory goal's row is no step).
jq -r "select(.label | test(\"^[0-9]+\$\")) | ${tsv_row}" "${results_dir}/scale.jsonl" \
  >"${work}/plot.tsv"
base_mib=$(jq -r 'select(.label == "empty") | .rss_steady_kib / 1024' "${results_dir}/scale.jsonl")
gnuplot -e "tsv='${work}/plot.tsv'; png='${results_dir}/scale.png'; base=${base_mib}" \
  "${root}/bench/scale.gnuplot"
{
  printf 'step\tpods\tannotated\tlist_s\tready_s\tpass_s\trss_MiB\tlat_p50_ms\tlat_p99_ms\n'
  cat "${results_dir}/scale.tsv"
} | column -t >&2
say "results: ${results_dir}/scale.jsonl, scale.tsv, scale.png (wall time $((SECONDS - started)) s)"
