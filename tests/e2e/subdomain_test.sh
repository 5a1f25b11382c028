#!/usr/bin/env bash
# Issue 13, §1, asked of the local CoreDNS with dig: subdomain records. An annotated pod with
# spec.hostname h and spec.subdomain s gets its FQDN h.s.<ns>.svc.<zone> forward (A, AAAA) and
# reverse (exactly one PTR), the subdomain answers every member, SRV for a named port, the bare
# name h still resolves; members join and leave, the last one takes the Service s with it (also
# while the operator is down); a foreign Service s is left alone with a Warning; a restart over all
# of it writes nothing; --subdomain-records=false keeps the per-pod headless Service;
# --subdomain-hostname-aliases=false gives members no Service of their own (only the FQDN).
e2e_dir=$(dirname "${BASH_SOURCE[0]}")
[[ -f "${e2e_dir}/lib/common.sh" ]] || e2e_dir="${e2e_dir}/.."
# shellcheck source=lib/common.sh
source "${e2e_dir}/lib/common.sh"
# shellcheck source=lib/dns.sh
source "${e2e_dir}/lib/dns.sh"

e2e_init subdomain
start_operator main

# member_spec HOSTNAME SUBDOMAIN [HTTP_PORT]: the spec lines of a member (make_pod's SPEC_YAML).
member_spec() {
  printf 'hostname: %s\nsubdomain: %s\n' "$1" "$2"
  [[ -z "${3:-}" ]] || printf 'containers:\n- name: app\n  image: registry.invalid/hso-e2e/app:1\n  ports:\n  - {name: http, containerPort: %s}\n' "$3"
}
# make_member NAME HOSTNAME SUBDOMAIN [HTTP_PORT]: an annotated pod with that hostname and subdomain.
make_member() {
  local spec
  spec=$(member_spec "$2" "$3" "${4:-}")
  if [[ -n "${4:-}" ]]; then
    # The containers list replaces pod_spec_yaml's: write the whole pod.
    k apply -f - >/dev/null <<YAML || fail "cannot apply pod ${ns}/$1"
apiVersion: v1
kind: Pod
metadata:
  name: $1
  namespace: ${ns}
  labels: {e2e.hso/test: subdomain}
  annotations: {${HSO_ANNOTATION}: "true"}
spec:
  terminationGracePeriodSeconds: 1
  tolerations:
  - operator: Exists
$(sed 's/^/  /' <<<"${spec}")
YAML
  else
    make_pod "$1" true "${spec}"
  fi
}

# ptr_names IP: the PTR answers for IP, sorted, space-separated ('' for none).
ptr_names() {
  dig +short +time=1 +tries=2 @"${DNS_HOST}" -p "${DNS_PORT}" -x "$1" | sort | paste -sd ' ' - || true
}
ptr_answers() {
  local got
  got=$(ptr_names "$1")
  [[ "${got}" == "$2" ]] || {
    printf 'PTR %s answered %s, want %s\n' "$1" "'${got}'" "'$2'"
    return 1
  }
}
# cname_of NAME: the CNAME answer for NAME ('' for none).
cname_of() { dig +short +time=1 +tries=2 @"${DNS_HOST}" -p "${DNS_PORT}" CNAME "$1" | paste -sd ' ' - || true; }
cname_answers() {
  local got
  got=$(cname_of "$1")
  [[ "${got}" == "$2" ]] || {
    printf '%s CNAME answered %s, want %s\n' "$1" "'${got}'" "'$2'"
    return 1
  }
}
# pod_fqdn HOSTNAME SUBDOMAIN: h.s.<ns>.svc.<zone>.
pod_fqdn() { fqdn "$1.$2"; }

# Case 1: one member, dual-stack, with a named port: its FQDN answers A and AAAA, the subdomain
# answers it, SRV answers the port, the PTR of each address is exactly its FQDN, and its bare
# name is an alias of the FQDN.
case_1() {
  make_member c1-a h1 sub1 8080
  local ip4="${TEST_NET4}.41" ip6="${TEST_NET6}::41"
  wait_pod_ip c1-a >/dev/null
  set_pod_ips c1-a "${ip4}" "${ip6}"
  wait_for "Service sub1" 30 exists service sub1
  assert_eq "None" "$(field service sub1 '{.spec.clusterIP}')" "Service sub1 is headless"
  assert_eq "" "$(field service sub1 '{.spec.selector}')" "Service sub1 has no selector"
  assert_eq "" "$(service_owner sub1)" "Service sub1 has no owner"
  wait_for "an IPv4 slice of sub1 with ${ip4}" 30 equals "${ip4}" slice_ips_line sub1 IPv4
  wait_for "an IPv6 slice of sub1 with ${ip6}" 30 equals "${ip6}" slice_ips_line sub1 IPv6
  assert_eq "h1 h1" "$(k -n "${ns}" get endpointslices -l kubernetes.io/service-name=sub1 \
    -o jsonpath='{range .items[*]}{.endpoints[*].hostname}{" "}{end}' | xargs)" \
    "the hostname of the member's endpoints"
  wait_for "$(pod_fqdn h1 sub1) A ${ip4}" 30 dns_answers A "$(pod_fqdn h1 sub1)" "${ip4}"
  wait_for "$(pod_fqdn h1 sub1) AAAA ${ip6}" 30 dns_answers AAAA "$(pod_fqdn h1 sub1)" "${ip6}"
  wait_for "$(fqdn sub1) A ${ip4}" 30 dns_answers A "$(fqdn sub1)" "${ip4}"
  wait_for "_http._tcp.$(fqdn sub1) SRV 8080" 30 srv_answers "_http._tcp.$(fqdn sub1)" 8080
  say "_http._tcp.$(fqdn sub1) -> $(dig_srv "_http._tcp.$(fqdn sub1)")"
  # The per-pod name h1 is an alias, without slices of its own: one PTR per address.
  wait_for "Service h1 (ExternalName)" 30 equals "ExternalName $(pod_fqdn h1 sub1)" \
    field service h1 '{.spec.type} {.spec.externalName}'
  wait_for "no slices for h1" 30 equals 0 slice_count h1
  wait_for "PTR ${ip4} -> $(pod_fqdn h1 sub1)." 30 ptr_answers "${ip4}" "$(pod_fqdn h1 sub1)."
  wait_for "PTR ${ip6} -> $(pod_fqdn h1 sub1)." 30 ptr_answers "${ip6}" "$(pod_fqdn h1 sub1)."
  wait_for "$(fqdn h1) CNAME $(pod_fqdn h1 sub1)." 30 cname_answers "$(fqdn h1)" "$(pod_fqdn h1 sub1)."
  say "$(fqdn h1) A -> $(dig +short +time=1 +tries=2 @"${DNS_HOST}" -p "${DNS_PORT}" A "$(fqdn h1)" | paste -sd ' ' -)"
  wait_for "$(fqdn h1) A ${ip4} (CoreDNS follows the alias in its zone)" 30 \
    dns_answers A "$(fqdn h1)" "${ip4}"
}

# Case 2: a second member joins (its own slice entry, same slice) and leaves.
case_2() {
  make_member c2-a h2a sub2
  local ip_a ip_b
  ip_a=$(wait_pod_ip c2-a)
  wait_for "$(fqdn sub2) A ${ip_a}" 30 dns_answers A "$(fqdn sub2)" "${ip_a}"
  make_member c2-b h2b sub2
  ip_b=$(wait_pod_ip c2-b)
  local both
  both=$(printf '%s\n' "${ip_a}" "${ip_b}" | sort | paste -sd ' ' -)
  wait_for "$(fqdn sub2) A ${both}" 30 dns_answers A "$(fqdn sub2)" "${both}"
  wait_for "$(pod_fqdn h2b sub2) A ${ip_b}" 30 dns_answers A "$(pod_fqdn h2b sub2)" "${ip_b}"
  assert_eq 1 "$(slice_count sub2)" "both members share one slice"
  wait_for "PTR ${ip_b} -> $(pod_fqdn h2b sub2)." 30 ptr_answers "${ip_b}" "$(pod_fqdn h2b sub2)."
  delete_pod c2-b
  wait_for "$(fqdn sub2) A ${ip_a}" 30 dns_answers A "$(fqdn sub2)" "${ip_a}"
  wait_for "Service h2b gone with its pod" 60 gone service h2b
  assert_present service sub2
}

# Case 3: the last member goes: the Service and its slices go.
case_3() {
  delete_pod c2-a
  wait_for "Service sub2 gone" 30 gone service sub2
  wait_for "no slices of sub2" 30 equals 0 slice_count sub2
  wait_for "$(fqdn sub2) answers nothing" 30 dns_answers A "$(fqdn sub2)" ""
}

# Case 4: a foreign Service with the subdomain's name (a selector, no operator label): untouched,
# a Warning Event on the member, which keeps a headless Service of its own.
case_4() {
  k apply -f - >/dev/null <<YAML || fail "cannot create the foreign Service sub4"
apiVersion: v1
kind: Service
metadata: {name: sub4, namespace: ${ns}}
spec:
  clusterIP: None
  selector: {app: theirs}
YAML
  local before
  before=$(field service sub4 '{.metadata.resourceVersion}')
  make_member c4-a h4 sub4
  local ip
  ip=$(wait_pod_ip c4-a)
  wait_for "a ServiceConflict Warning on c4-a" 30 pod_has_warning c4-a ServiceConflict
  # The member keeps a headless Service of its own, as before subdomain records: an alias would
  # point at records the operator does not publish.
  wait_for "$(fqdn h4) A ${ip}" 30 dns_answers A "$(fqdn h4)" "${ip}"
  assert_eq "ClusterIP None" "$(field service h4 '{.spec.type} {.spec.clusterIP}')" \
    "Service h4 of a member whose subdomain is someone else's"
  assert_eq "${before}" "$(field service sub4 '{.metadata.resourceVersion}')" \
    "the foreign Service's resourceVersion"
  assert_eq "" "$(k -n "${ns}" get endpointslices \
    -l "kubernetes.io/service-name=sub4,endpointslice.kubernetes.io/managed-by=${HSO_SLICE_MANAGED_BY}" \
    -o name)" \
    "slices of the operator's for sub4"
  # The member goes: the foreign Service stays as it was. (With the member still there, a
  # restarted operator would try the name once more and be refused, 409, as for a per-pod name
  # held by a foreign Service: its caches hold only its own Services.)
  delete_pod c4-a
  wait_for "Service h4 gone with its pod" 60 gone service h4
  assert_eq "${before}" "$(field service sub4 '{.metadata.resourceVersion}')" \
    "the foreign Service's resourceVersion after its member left"
}
pod_has_warning() { pod_events "$1" | grep -q "^Warning $2 "; }

# Case 5: a restart over all of the above writes nothing.
case_5() {
  assert_restart_writes_nothing main
}

# Case 6: the last member goes while the operator is down: the first pass after the start finds
# the subdomain's Service (the owned-Service cache lists its key) and takes it and its slices.
case_6() {
  assert_present service sub1
  stop_operator main
  delete_pod c1-a
  start_operator main
  wait_for "Service sub1 gone" 45 gone service sub1
  wait_for "no slices of sub1" 30 equals 0 slice_count sub1
  wait_for "$(pod_fqdn h1 sub1) answers nothing" 30 dns_answers A "$(pod_fqdn h1 sub1)" ""
}

# Case 7: --subdomain-records=false keeps a member's per-pod headless Service (PTR: the per-pod
# name); turned on, that Service is recreated as the alias and the PTR answers the FQDN alone.
case_7() {
  stop_operator main
  start_operator main --subdomain-records=false
  make_member c7-a h7 sub7
  local ip
  ip=$(wait_pod_ip c7-a)
  wait_for "$(fqdn h7) A ${ip}" 30 dns_answers A "$(fqdn h7)" "${ip}"
  assert_eq "ClusterIP None" "$(field service h7 '{.spec.type} {.spec.clusterIP}')" \
    "Service h7 with --subdomain-records=false"
  assert_absent service sub7
  stop_operator main
  start_operator main
  wait_for "Service h7 (ExternalName)" 30 equals "ExternalName $(pod_fqdn h7 sub7)" \
    field service h7 '{.spec.type} {.spec.externalName}'
  wait_for "no slices for h7" 30 equals 0 slice_count h7
  wait_for "$(pod_fqdn h7 sub7) A ${ip}" 30 dns_answers A "$(pod_fqdn h7 sub7)" "${ip}"
  wait_for "PTR ${ip} -> $(pod_fqdn h7 sub7)." 30 ptr_answers "${ip}" "$(pod_fqdn h7 sub7)."
  wait_for "$(fqdn h7) A ${ip} through the alias" 30 dns_answers A "$(fqdn h7)" "${ip}"
}

# Case 8: --subdomain-hostname-aliases=false: no Service per member. The alias h7 the run before
# made is deleted at the restart; the FQDNs answer A and PTR, the bare names nothing; a new member
# gets no Service; a foreign Service named after a member's hostname is left alone and the member
# gets no Warning (it does not want the name); a member of a foreign subdomain keeps its headless
# Service; pods_managed counts the members; a restart with the flag writes nothing.
case_8() {
  local ip7 ip_a ip_c before
  ip7=$(pod_ip c7-a)
  assert_eq "ExternalName" "$(field service h7 '{.spec.type}')" "Service h7 left by case 7"
  k apply -f - >/dev/null <<YAML || fail "cannot create the foreign Service h8b"
apiVersion: v1
kind: Service
metadata: {name: h8b, namespace: ${ns}}
spec:
  clusterIP: None
  selector: {app: theirs}
YAML
  before=$(field service h8b '{.metadata.resourceVersion}')
  stop_operator main
  start_operator main --subdomain-hostname-aliases=false
  wait_for "the alias h7 deleted" 30 gone service h7
  make_member c8-a h8a sub7
  make_member c8-b h8b sub7
  make_member c8-c h8c sub4
  ip_a=$(wait_pod_ip c8-a)
  ip_c=$(wait_pod_ip c8-c)
  wait_for "$(pod_fqdn h7 sub7) A ${ip7}" 30 dns_answers A "$(pod_fqdn h7 sub7)" "${ip7}"
  wait_for "$(pod_fqdn h8a sub7) A ${ip_a}" 30 dns_answers A "$(pod_fqdn h8a sub7)" "${ip_a}"
  wait_for "PTR ${ip7} -> $(pod_fqdn h7 sub7)." 30 ptr_answers "${ip7}" "$(pod_fqdn h7 sub7)."
  wait_for "PTR ${ip_a} -> $(pod_fqdn h8a sub7)." 30 ptr_answers "${ip_a}" "$(pod_fqdn h8a sub7)."
  wait_for "$(fqdn h7) answers nothing" 30 dns_answers A "$(fqdn h7)" ""
  cname_answers "$(fqdn h7)" "" || fail "the bare name h7 is still an alias"
  dns_answers A "$(fqdn h8a)" "" || fail "the bare name h8a answers"
  say "$(fqdn h7) A -> '$(dig_a "$(fqdn h7)")'; PTR ${ip7} -> $(ptr_names "${ip7}")"
  assert_absent service h8a
  # A member of a foreign subdomain has no other record: its headless Service, as before.
  wait_for "$(fqdn h8c) A ${ip_c}" 30 dns_answers A "$(fqdn h8c)" "${ip_c}"
  assert_eq "ClusterIP None" "$(field service h8c '{.spec.type} {.spec.clusterIP}')" \
    "Service h8c of a member whose subdomain is someone else's"
  # Members of sub7 through sub7's key (c7-a, c8-a, c8-b), c8-c through its own.
  wait_for "pods_managed 4" 30 equals 4 metric headless_service_operator_pods_managed
  # Gone before the restart, whose create of the foreign sub4 for it would be refused (case 4).
  delete_pod c8-c
  wait_for "Service h8c gone with its pod" 60 gone service h8c
  assert_restart_writes_nothing main --subdomain-hostname-aliases=false
  assert_eq "${before}" "$(field service h8b '{.metadata.resourceVersion}')" \
    "the foreign Service h8b's resourceVersion"
  assert_eq 0 "$(warning_count c8-b)" "Warning Events on c8-b"
  assert_absent service h7
}

# Case 9: an EndpointSlice of someone else's holds the name the packing picks first (sub9-ipv4-0;
# the caches hold only the operator's slices, so the create finds out): it is left exactly as it
# was, and the member is packed into a slice of another name.
case_9() {
  k apply -f - >/dev/null <<YAML || fail "cannot apply the foreign slice"
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: sub9-ipv4-0
  namespace: ${ns}
  labels: {kubernetes.io/service-name: not-sub9}
addressType: IPv4
endpoints: []
YAML
  local version ip
  version=$(field endpointslice sub9-ipv4-0 '{.metadata.resourceVersion}')
  make_member c9-a h9 sub9
  ip=$(wait_pod_ip c9-a)
  wait_for "$(pod_fqdn h9 sub9) A ${ip}" 60 dns_answers A "$(pod_fqdn h9 sub9)" "${ip}"
  assert_eq "sub9-ipv4-1" "$(k -n "${ns}" get endpointslices -l kubernetes.io/service-name=sub9 \
    -o jsonpath='{.items[*].metadata.name}')" "the member's slice, under the next name"
  assert_eq "${version}" "$(field endpointslice sub9-ipv4-0 '{.metadata.resourceVersion}')" \
    "the foreign slice's resourceVersion"
}

run_case 1 "FQDN A/AAAA, subdomain A, SRV, one PTR per address, the bare name an alias" case_1
run_case 2 "a second member joins and leaves" case_2
run_case 3 "the last member goes: Service and slices go" case_3
run_case 4 "a foreign Service of the subdomain's name: untouched, Warning, headless per-pod name" case_4
run_case 5 "restart over subdomain records: zero writes" case_5
run_case 6 "the last member goes while the operator is down" case_6
run_case 7 "--subdomain-records=false, then on: the headless name becomes the alias" case_7
run_case 8 "--subdomain-hostname-aliases=false: FQDN only, the alias deleted, no Service per member" case_8
run_case 9 "a foreign slice under the name the packing picks: untouched, packed around" case_9
e2e_finish
