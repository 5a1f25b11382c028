#!/usr/bin/env bash
# Smoke test of the local control plane (hack/local-cluster.sh): a pod gets
# scheduled onto a kwok node, runs and gets an IP; a hand-made headless Service
# with an EndpointSlice pointing at that IP resolves through CoreDNS.
#
# Needs the environment printed by `hack/local-cluster.sh env`:
#   KUBECONFIG, PATH (with kubectl), CLUSTER_DNS=127.0.0.1:<port>
# Exits non-zero on any failure, printing diagnostics.
set -euo pipefail

fail() {
  printf 'cluster_smoke_test: FAIL: %s\n' "$*" >&2
  exit 1
}
say() { printf 'cluster_smoke_test: %s\n' "$*" >&2; }

hint="run: eval \"\$(hack/local-cluster.sh env)\""
[[ -n "${KUBECONFIG:-}" ]] || fail "KUBECONFIG is not set; ${hint}"
[[ -n "${CLUSTER_DNS:-}" ]] || fail "CLUSTER_DNS is not set; ${hint}"
command -v kubectl >/dev/null || fail "kubectl is not on PATH; ${hint}"
command -v dig >/dev/null || fail "dig is not installed (Debian package dnsutils)"
[[ "${CLUSTER_DNS}" =~ ^([0-9.]+):([0-9]+)$ ]] || fail "CLUSTER_DNS must be <ip>:<port>, got '${CLUSTER_DNS}'"
dns_ip=${BASH_REMATCH[1]}
dns_port=${BASH_REMATCH[2]}

timeout=${SMOKE_TIMEOUT:-60}
ns="smoke-$(date +%s)-${RANDOM}"
pod=smoke-pod
svc=smoke-svc

k() { kubectl --request-timeout=15s "$@"; }

diagnostics() {
  say "--- diagnostics for namespace ${ns}"
  k get nodes -o wide >&2 || true
  k -n "${ns}" get pods,services,endpointslices -o wide >&2 || true
  k -n "${ns}" describe pod "${pod}" >&2 || true
  k -n "${ns}" get events --sort-by=.lastTimestamp >&2 || true
}

cleanup() {
  local rc=$?
  if ((rc != 0)); then diagnostics; fi
  k delete namespace "${ns}" --wait=false >/dev/null 2>&1 || true
  exit "${rc}"
}
trap cleanup EXIT

say "namespace ${ns}"
k create namespace "${ns}" >/dev/null
# The ServiceAccount admission plugin refuses pods until the namespace's
# default service account exists (made by kube-controller-manager).
k -n "${ns}" wait --for=create serviceaccount/default --timeout="${timeout}s" >/dev/null

k -n "${ns}" apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: ${pod}
spec:
  containers:
  - name: app
    image: smoke-test/not-pulled:1
EOF

k -n "${ns}" wait --for=condition=PodScheduled "pod/${pod}" --timeout="${timeout}s" >/dev/null \
  || fail "pod was not scheduled"
k -n "${ns}" wait --for=jsonpath='{.status.phase}'=Running "pod/${pod}" --timeout="${timeout}s" >/dev/null \
  || fail "pod did not reach Running"
k -n "${ns}" wait --for=condition=Ready "pod/${pod}" --timeout="${timeout}s" >/dev/null \
  || fail "pod did not become Ready"
pod_ip=$(k -n "${ns}" get pod "${pod}" -o jsonpath='{.status.podIP}')
[[ "${pod_ip}" =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "pod has no IPv4 address (podIP='${pod_ip}')"
node=$(k -n "${ns}" get pod "${pod}" -o jsonpath='{.spec.nodeName}')
say "pod ${pod} is Running and Ready on ${node} with IP ${pod_ip}"

k -n "${ns}" apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Service
metadata:
  name: ${svc}
spec:
  clusterIP: None
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: ${svc}-manual
  labels:
    kubernetes.io/service-name: ${svc}
    endpointslice.kubernetes.io/managed-by: smoke-test
addressType: IPv4
ports: []
endpoints:
- addresses: ["${pod_ip}"]
  conditions:
    ready: true
  nodeName: ${node}
  targetRef:
    kind: Pod
    namespace: ${ns}
    name: ${pod}
EOF

fqdn="${svc}.${ns}.svc.cluster.local"
say "asking ${dns_ip}:${dns_port} for ${fqdn}"
deadline=$((SECONDS + timeout))
answer=""
while :; do
  answer=$(dig +short +time=2 +tries=1 @"${dns_ip}" -p "${dns_port}" "${fqdn}" A 2>&1 || true)
  [[ "${answer}" == "${pod_ip}" ]] && break
  if ((SECONDS >= deadline)); then
    say "last answer: '${answer}'"
    dig @"${dns_ip}" -p "${dns_port}" "${fqdn}" A >&2 || true
    fail "${fqdn} did not resolve to ${pod_ip} within ${timeout}s"
  fi
  sleep 0.5
done
say "PASS: ${fqdn} -> ${answer}"
