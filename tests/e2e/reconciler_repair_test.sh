#!/usr/bin/env bash
# Reconciler cases 10 and 11 of issue 4: the operator puts back what others changed or deleted, and
# survives a pod being recreated with the same name (StatefulSet style) against the garbage
# collector.
# tests/e2e/lib, also from tests/e2e/pending/ (scripts parked until the operator passes them).
e2e_dir=$(dirname "${BASH_SOURCE[0]}")
[[ -f "${e2e_dir}/lib/common.sh" ]] || e2e_dir="${e2e_dir}/.."
# shellcheck source=lib/common.sh
source "${e2e_dir}/lib/common.sh"

e2e_init repair
start_operator main

# operator_slice SERVICE: the name of the operator's IPv4 EndpointSlice for SERVICE.
operator_slice() {
  k -n "${ns}" get endpointslices \
    -l "kubernetes.io/service-name=$1,endpointslice.kubernetes.io/managed-by=${HSO_SLICE_MANAGED_BY}" \
    -o jsonpath='{range .items[?(@.addressType=="IPv4")]}{.metadata.name}{"\n"}{end}' | head -n 1
}

# Case 10: someone edits the operator's slice, deletes it, or deletes the Service: it is put back.
case_10() {
  make_pod c10-repair
  local ip slice old_uid bogus="${TEST_NET4}.250"
  ip=$(wait_pod_ip c10-repair)
  wait_for "slice for c10-repair with ${ip}" 30 equals "${ip}" slice_ips_line c10-repair
  slice=$(operator_slice c10-repair)
  [[ -n "${slice}" ]] || fail "no EndpointSlice labelled managed-by=${HSO_SLICE_MANAGED_BY}: $(slice_summary c10-repair)"

  say "10a: changing the address in slice ${slice} to ${bogus}"
  k -n "${ns}" patch endpointslice "${slice}" --type=json \
    -p "[{\"op\":\"replace\",\"path\":\"/endpoints/0/addresses/0\",\"value\":\"${bogus}\"}]" >/dev/null
  wait_for "slice of c10-repair put back to ${ip}" 30 equals "${ip}" slice_ips_line c10-repair

  say "10b: deleting slice ${slice}"
  k -n "${ns}" delete endpointslice "${slice}" --wait=false >/dev/null
  wait_for "a slice of c10-repair with ${ip} again" 30 equals "${ip}" slice_ips_line c10-repair

  say "10c: deleting Service c10-repair"
  old_uid=$(svc_uid c10-repair)
  k -n "${ns}" delete service c10-repair --wait=false >/dev/null
  wait_for "Service c10-repair recreated (new uid)" 30 service_recreated c10-repair "${old_uid}"
  wait_for "slice of the new c10-repair with ${ip}, owned by the new Service" 30 \
    slices_owned_by_service c10-repair "${ip}"
  wait_for "$(fqdn c10-repair) A ${ip}" 30 dns_answers A "$(fqdn c10-repair)" "${ip}"
}

service_recreated() { # NAME OLD_UID
  local uid
  uid=$(svc_uid "$1")
  [[ -n "${uid}" && "${uid}" != "$2" ]]
}

# slices_owned_by_service SERVICE IP: every slice of SERVICE is owned by the current Service and
# the addresses are exactly IP.
slices_owned_by_service() {
  local uid owners
  uid=$(svc_uid "$1")
  [[ -n "${uid}" ]] || return 1
  [[ "$(slice_ips_line "$1")" == "$2" ]] || return 1
  owners=$(k -n "${ns}" get endpointslices -l "kubernetes.io/service-name=$1" \
    -o jsonpath='{range .items[*]}{.metadata.ownerReferences[*].uid}{"\n"}{end}' | sort -u)
  [[ "${owners}" == "${uid}" ]] || {
    echo "slice owners '${owners}', Service uid '${uid}'"
    return 1
  }
}

# Case 11: the pod is deleted and recreated with the same name and a new uid: the Service's owner
# reference moves to the new uid, the name resolves to the new pod's IP, and the Service is still
# there at the end (the garbage collector must not leave it deleted).
case_11() {
  make_pod c11-sts-0
  local old_uid new_uid old_ip="${TEST_NET4}.111" new_ip
  wait_pod_ip c11-sts-0 >/dev/null
  # The old pod gets an address kwok never hands out, so the new pod's address differs for sure.
  set_pod_ips c11-sts-0 "${old_ip}"
  wait_for "slice for c11-sts-0 with ${old_ip}" 30 equals "${old_ip}" slice_ips_line c11-sts-0
  wait_for "$(fqdn c11-sts-0) A ${old_ip}" 30 dns_answers A "$(fqdn c11-sts-0)" "${old_ip}"
  old_uid=$(pod_uid c11-sts-0)
  assert_eq "Pod/c11-sts-0/${old_uid}" "$(service_owner c11-sts-0)" "owner before the recreation"

  # As a StatefulSet controller does: delete, and create the same name as soon as it is free.
  delete_pod c11-sts-0
  make_pod c11-sts-0
  new_ip=$(wait_pod_ip c11-sts-0)
  new_uid=$(pod_uid c11-sts-0)
  assert_ne "${old_uid}" "${new_uid}" "pod uid after the recreation"
  wait_for "Service c11-sts-0 owned by the new pod ${new_uid}" 30 equals "Pod/c11-sts-0/${new_uid}" service_owner c11-sts-0
  wait_for "slice for c11-sts-0 with the new IP ${new_ip}" 30 equals "${new_ip}" slice_ips_line c11-sts-0
  wait_for "$(fqdn c11-sts-0) A ${new_ip}" 30 dns_answers A "$(fqdn c11-sts-0)" "${new_ip}"
  # The collector works on the old uid asynchronously: the Service must still be there afterwards.
  holds_for "Service c11-sts-0 owned by the new pod and resolving" 8 c11_still_served "${new_uid}" "${new_ip}"
}

c11_still_served() {
  [[ "$(service_owner c11-sts-0)" == "Pod/c11-sts-0/$1" ]] || {
    echo "owner is now '$(service_owner c11-sts-0)'"
    return 1
  }
  [[ "$(slice_ips_line c11-sts-0)" == "$2" ]] || {
    echo "slice addresses are now '$(slice_ips_line c11-sts-0)'"
    return 1
  }
}

run_case 10 "edited slice, deleted slice, deleted Service: put back" case_10
run_case 11 "pod recreated with the same name: owner moves to the new uid, Service survives GC" case_11
e2e_finish
