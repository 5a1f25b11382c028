# shellcheck shell=bash
# Priority and Fairness squeezes (tests/e2e/apf_squeeze_test.sh, the chaos soak of lib/soak.sh),
# on top of lib/common.sh and lib/packaging.sh.
#
# A squeeze is a FlowSchema that puts the operator's work (pods, Services, EndpointSlices,
# Events; not its Lease, which real clusters keep on a level of its own) from the given
# ServiceAccounts on a PriorityLevelConfiguration with no seats of its own and none to borrow.
# The API server then rejects nearly all of it (it still seats about one request at a time):
# real 429s with Retry-After, from the API server's own Priority and Fairness.
#
#   apf_squeeze_track NAME                   # delete both objects at exit (pkg_track)
#   apf_squeeze_on NAME NAMESPACE/SA...      # apply; then wait_for ... apf_squeeze_applied NAME
#   apf_squeeze_off NAME

apf_squeeze_track() {
  pkg_track "flowschema/$1"
  pkg_track "prioritylevelconfiguration/$1"
}

# apf_squeeze_on NAME NAMESPACE/SERVICE_ACCOUNT...: squeezes the work of those ServiceAccounts.
apf_squeeze_on() {
  local name=$1 subject subjects=""
  shift
  for subject in "$@"; do
    subjects+="    - kind: ServiceAccount
      serviceAccount:
        name: ${subject#*/}
        namespace: ${subject%%/*}
"
  done
  k apply -f - >/dev/null <<EOF || fail "cannot apply the squeeze ${name}"
apiVersion: flowcontrol.apiserver.k8s.io/v1
kind: PriorityLevelConfiguration
metadata:
  name: ${name}
spec:
  type: Limited
  limited:
    nominalConcurrencyShares: 0
    lendablePercent: 0
    borrowingLimitPercent: 0
    limitResponse:
      type: Reject
---
apiVersion: flowcontrol.apiserver.k8s.io/v1
kind: FlowSchema
metadata:
  name: ${name}
spec:
  priorityLevelConfiguration:
    name: ${name}
  matchingPrecedence: 100
  distinguisherMethod:
    type: ByUser
  rules:
  - subjects:
${subjects}    resourceRules:
    - verbs: ["*"]
      apiGroups: ["", "discovery.k8s.io", "events.k8s.io"]
      resources: ["pods", "services", "endpointslices", "events"]
      namespaces: ["*"]
EOF
}

# apf_squeeze_applied NAME: predicate, the API server has digested the FlowSchema (it clears
# Dangling once its priority level is in the configuration it serves with).
apf_squeeze_applied() {
  equals False field flowschema "$1" '{.status.conditions[?(@.type=="Dangling")].status}' ""
}

apf_squeeze_off() {
  k delete flowschema "$1" --ignore-not-found >/dev/null
  k delete prioritylevelconfiguration "$1" --ignore-not-found >/dev/null
}
