#!/usr/bin/env bash
# Issue 15: fast without being a bad neighbour. The operator runs with its shipped defaults (no
# client-side rate limit) and only the manifests' ServiceAccount token, so the API server's
# Priority and Fairness classifies it like any workload. A FlowSchema then puts its work (pods,
# Services, EndpointSlices, Events; not its Lease, which real clusters keep on a level of its own)
# on a PriorityLevelConfiguration with no seats of its own and none to borrow, which rejects
# nearly all of it (the API server still seats about one request at a time): real 429s with
# Retry-After from the API server. While squeezed, a burst of pods meets them: no error storm (one
# 429 holds every request of the operator for its Retry-After), no crash, the Lease kept. When the
# squeeze ends, every pod of that burst is published (nothing lost) and a second burst goes through.
apf_lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && if [[ -d lib ]]; then echo "${PWD}/lib"; else echo "${PWD}/../lib"; fi)
# shellcheck source=lib/common.sh
source "${apf_lib_dir}/common.sh"
# shellcheck source=lib/packaging.sh
source "${apf_lib_dir}/packaging.sh"
# shellcheck source=lib/apf.sh
source "${apf_lib_dir}/apf.sh"

pkg_init apfsq
suffix=$(pkg_unique_suffix)
opns=$(new_namespace apfsqop)
sa="${PKG_NAME}-${suffix}"
squeeze="hso-e2e-squeeze-${suffix}"
readonly BURST=${HSO_APF_BURST:-60}
# Many workers, so that a client ignoring Retry-After would show; the rate limit stays the
# shipped default (none).
readonly WORKERS=16
pkg_install_rbac "${opns}" "${suffix}" "${E2E_STATE}/rbac.yaml"
wait_for "ServiceAccount ${opns}/${sa}" 30 k -n "${opns}" get serviceaccount "${sa}"
pkg_token_kubeconfig "${sa}" "${opns}" "${E2E_STATE}/token.kubeconfig"
apf_squeeze_track "${squeeze}"

# all_published PREFIX: predicate, every pod of the burst has its Service and an address in a slice.
all_published() {
  local services slices
  services=$(k -n "${ns}" get services -o name | grep -c "^service/$1-" || true)
  slices=$(k -n "${ns}" get endpointslices -o json \
    | jq --arg p "$1-" '[.items[] | select(.metadata.labels["kubernetes.io/service-name"] | startswith($p)) | select((.endpoints // []) | length > 0)] | length')
  ((services == BURST && slices == BURST)) || {
    echo "${services} Services and ${slices} slices with addresses of ${BURST}"
    return 1
  }
}

code_count() { metric headless_service_operator_api_requests_total "code=\"$1\""; }

# at_least_429s N: predicate, the operator has been answered 429 at least N times.
at_least_429s() {
  local n
  n=$(code_count 429)
  awk -v n="${n}" -v want="$1" 'BEGIN { exit !(n >= want) }' || {
    echo "${n} answers 429 so far"
    return 1
  }
}

# published_count PREFIX: Services of the burst PREFIX.
published_count() { k -n "${ns}" get services -o name | grep -c "^service/$1-" || true; }

leading() { [[ "$(metric leader_election_master_status)" == 1 ]]; }

case_1() {
  local t0 squeezed throttled errors recovered free
  pkg_start_operator main "${E2E_STATE}/token.kubeconfig" --leader-election-namespace "${opns}" \
    --workers "${WORKERS}"
  pkg_wait_ready main
  wait_for "operator main to lead" 40 leading
  apf_squeeze_on "${squeeze}" "${opns}/${sa}"
  wait_for "the API server to apply FlowSchema ${squeeze}" 60 apf_squeeze_applied "${squeeze}"
  t0=${SECONDS}
  make_burst squeezed "${BURST}"
  wait_for "the operator to meet 20 answers 429" 120 at_least_429s 20
  squeezed=$((SECONDS - t0))
  throttled=$(code_count 429)
  errors=$(metric headless_service_operator_reconciles_total 'result="error"')
  say "squeezed for ${squeezed} s: ${throttled} answers 429, ${errors} reconcile errors, $(published_count squeezed) of ${BURST} Services through"
  # One 429 holds every request of the client for its Retry-After (1 s from this API server), so
  # at most the requests already in flight then (one per worker, the Event sender and the
  # watches) can meet another: a client that retried on its own backoff (200 ms, doubling) or
  # ignored Retry-After would send several times that.
  awk -v n="${throttled}" -v w="$((WORKERS + 4))" -v s="${squeezed}" 'BEGIN { exit !(n <= w * (s + 1)) }' \
    || fail "an error storm: ${throttled} answers 429 in ${squeezed} s"
  leading || fail "operator main lost the Lease under the squeeze"
  operator_alive main || fail "operator main exited under the squeeze"
  t0=${SECONDS}
  apf_squeeze_off "${squeeze}"
  wait_for "every Service and slice of the squeezed burst once the squeeze ends" 300 all_published squeezed
  recovered=$((SECONDS - t0))
  t0=${SECONDS}
  make_burst free "${BURST}"
  wait_for "every Service and slice of the free burst" 120 all_published free
  free=$((SECONDS - t0))
  say "HA_MEASURE squeezed_s=${squeezed} answers_429=${throttled} recovered_s=${recovered} free_burst_s=${free}"
  operator_alive main || fail "operator main exited"
  stop_operator main
}

run_case 1 "squeezed by Priority and Fairness: no 429 storm, the Lease kept, nothing lost once the squeeze ends" case_1
e2e_finish
