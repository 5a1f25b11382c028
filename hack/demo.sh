#!/usr/bin/env bash
# `make demo`: a local control plane, two operator replicas with leader election, an annotated
# example workload, and what CoreDNS answers for each pod's hostname.
# DEMO_KEEP=1 leaves the control plane running afterwards and prints how to use kubectl against
# it (stop it with `hack/local-cluster.sh down`).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

say() { printf '\n\033[1m==> %s\033[0m\n' "$*" >&2; }

make --no-print-directory build >&2
binary="$root/build/k8s-pod-headless-service-operator"

say "starting the local control plane"
eval "$(hack/local-cluster.sh up)"
state_dir=${LOCAL_CLUSTER_DIR:-$root/.local-cluster}
dns_host=${CLUSTER_DNS%:*}
dns_port=${CLUSTER_DNS##*:}

# How to reach the control plane from another shell: the state folder, when it is not the default.
env_line='eval "$(hack/local-cluster.sh env)"'
[[ -z "${LOCAL_CLUSTER_DIR:-}" ]] || env_line="LOCAL_CLUSTER_DIR=${LOCAL_CLUSTER_DIR} ${env_line}"

# try_it_yourself: what to type next, with the control plane kept or not.
try_it_yourself() {
  if [[ "${DEMO_KEEP:-0}" == 1 ]]; then
    say "the control plane keeps running (DEMO_KEEP=1); the operator replicas have stopped"
    cat >&2 <<EOF
Try kubectl against it from this folder:
  ${env_line}   # KUBECONFIG, PATH (kubectl, helm), CLUSTER_DNS
  kubectl get pods,services,endpointslices -n demo
  POD_NAMESPACE=demo build/k8s-pod-headless-service-operator run --kubeconfig "\$KUBECONFIG" --namespace demo &
  kubectl -n demo run hello --image=registry.invalid/hello --annotations=srcd.host/create-headless-service=true
  kubectl -n demo get service hello
  dig +short @${dns_host} -p ${dns_port} hello.demo.svc.cluster.local
Stop it with:
  ${LOCAL_CLUSTER_DIR:+LOCAL_CLUSTER_DIR=${LOCAL_CLUSTER_DIR} }hack/local-cluster.sh down
EOF
  else
    say "stopping the local control plane"
    cat >&2 <<EOF
To keep it after the demo and try kubectl against it, run:
  DEMO_KEEP=1 make demo
then follow the commands it prints (stop it with hack/local-cluster.sh down).
EOF
  fi
}

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  try_it_yourself
  if [[ "${DEMO_KEEP:-0}" != 1 ]]; then
    hack/local-cluster.sh down >&2 || true
  fi
}
trap cleanup EXIT

say "running two operator replicas (leader election on)"
kubectl create namespace demo --dry-run=client -o yaml | kubectl apply -f - >&2
read -r -a ports <<<"$(freeport -n 4 -proto tcp | tr '\n' ' ')"
for replica in 0 1; do
  metrics_port=${ports[$((replica * 2))]}
  probe_port=${ports[$((replica * 2 + 1))]}
  POD_NAMESPACE=demo "$binary" run --kubeconfig "$KUBECONFIG" --namespace demo \
    --metrics-bind-address "127.0.0.1:$metrics_port" \
    --health-probe-bind-address "127.0.0.1:$probe_port" \
    >"$state_dir/operator-$replica.log" 2>&1 &
  pids+=("$!")
  echo "replica $replica: pid $!, metrics http://127.0.0.1:$metrics_port/metrics," \
    "log $state_dir/operator-$replica.log" >&2
done
for replica in 0 1; do
  probe_port=${ports[$((replica * 2 + 1))]}
  deadline=$((SECONDS + 60))
  until curl -fsS "http://127.0.0.1:$probe_port/readyz" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || { echo "replica $replica never became ready" >&2; exit 1; }
    sleep 0.2
  done
done

say "applying the example workload (examples/)"
kubectl apply -n demo -f examples/ >&2
kubectl wait -n demo --for=condition=Ready pod -l app=demo --timeout=120s >&2

say "pods, their Services and what CoreDNS answers"
printf '%-28s %-16s %-28s %s\n' POD POD-IP SERVICE "DIG <hostname>.demo.svc.cluster.local"
mapfile -t pods < <(kubectl get pods -n demo -l app=demo -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.spec.hostname}{" "}{.status.podIP}{"\n"}{end}')
for line in "${pods[@]}"; do
  read -r name hostname ip <<<"$line"
  [[ -n "$ip" ]] || { ip=$hostname; hostname=""; }
  service=${hostname:-$name}
  fqdn="$service.demo.svc.cluster.local"
  deadline=$((SECONDS + 30))
  answer=""
  while [[ "$answer" != "$ip" ]] && ((SECONDS < deadline)); do
    answer=$(dig +short +time=1 +tries=1 @"$dns_host" -p "$dns_port" "$fqdn" A | head -1)
    [[ "$answer" == "$ip" ]] || sleep 0.5
  done
  printf '%-28s %-16s %-28s %s\n' "$name" "$ip" "$service" "${answer:-<no answer>}"
done

say "who leads"
kubectl get lease -n demo k8s-pod-headless-service-operator -o jsonpath='{.spec.holderIdentity}{"\n"}'
