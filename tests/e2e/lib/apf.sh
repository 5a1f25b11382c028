# shellcheck shell=bash
# Priority and Fairness squeezes (tests/e2e/apf_squeeze_test.sh, the chaos soak of lib/soak.sh),
# on top of lib/common.sh and lib/packaging.sh.
#
# A squeeze is a FlowSchema that puts the operator's work (pods, Services, EndpointSlices,
# Events; not its Lease, which real clusters keep on a level of its own) from the given
# ServiceAccounts on a PriorityLevelConfiguration with no seats of its own and none to borrow.
# The API server then rejects nearly all of it (it still seats one request when none of the
# level executes): real 429s with Retry-After, from the API server's own Priority and Fairness.
#
# That one seat lets a fast operator through: its writes take milliseconds and seldom overlap.
# A seat holder takes it for as long as the test wants: a SelfSubjectAccessReview by
# APF_SEAT_USER, put on the squeezed level by a FlowSchema NAME-seat of its own, that the API
# server admits and that then waits for its body, which the test writes only at release.
# Meanwhile every other request of the level is rejected at once.
#
#   apf_squeeze_track NAME                   # delete the objects at exit (pkg_track)
#   apf_squeeze_on NAME NAMESPACE/SA...      # apply; then wait_for ... apf_squeeze_applied NAME
#   apf_seat_on NAME                         # then wait_for ... apf_squeeze_applied NAME-seat
#   apf_seat_hold DIR                        # then wait_for ... apf_seat_held NAME DIR
#   apf_seat_release DIR; apf_seat_status DIR   # its HTTP status: 201 if it held the seat
#   apf_squeeze_off NAME

readonly APF_SEAT_USER=hso-e2e-apf-seat-holder

apf_squeeze_track() {
  pkg_track "flowschema/$1"
  pkg_track "flowschema/$1-seat"
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

# apf_seat_on NAME: the FlowSchema NAME-seat, which puts the seat holder on the level NAME.
apf_seat_on() {
  k apply -f - >/dev/null <<EOF || fail "cannot apply the seat holder's FlowSchema $1-seat"
apiVersion: flowcontrol.apiserver.k8s.io/v1
kind: FlowSchema
metadata:
  name: $1-seat
spec:
  priorityLevelConfiguration:
    name: $1
  matchingPrecedence: 100
  rules:
  - subjects:
    - kind: User
      user:
        name: ${APF_SEAT_USER}
    resourceRules:
    - verbs: ["create"]
      apiGroups: ["authorization.k8s.io"]
      resources: ["selfsubjectaccessreviews"]
      clusterScope: true
EOF
}

# apf_squeeze_applied NAME: predicate, the API server has digested the FlowSchema (it clears
# Dangling once its priority level is in the configuration it serves with).
apf_squeeze_applied() {
  equals False field flowschema "$1" '{.status.conditions[?(@.type=="Dangling")].status}' ""
}

# apf_seat_hold DIR: starts a seat holder (its files in DIR) as APF_SEAT_USER, impersonated with
# the test's own client certificate; HTTP/1.1, so that its chunked body can wait.
apf_seat_hold() {
  local dir=$1 server ca cert key
  server=$(k config view --minify -o jsonpath='{.clusters[0].cluster.server}')
  ca=$(k config view --minify -o jsonpath='{.clusters[0].cluster.certificate-authority}')
  cert=$(k config view --minify -o jsonpath='{.users[0].user.client-certificate}')
  key=$(k config view --minify -o jsonpath='{.users[0].user.client-key}')
  [[ -n "${ca}" && -n "${cert}" && -n "${key}" ]] \
    || fail "the seat holder needs file paths in KUBECONFIG (CA '${ca}', certificate '${cert}', key '${key}')"
  rm -f "${dir}/seat.body" "${dir}/seat.status"
  mkfifo "${dir}/seat.body"
  # Read-write: opening it does not wait for curl, and writing to it never raises SIGPIPE.
  exec {APF_SEAT_FD}<>"${dir}/seat.body"
  curl --silent --http1.1 --max-time 90 --cacert "${ca}" --cert "${cert}" --key "${key}" \
    -H "Impersonate-User: ${APF_SEAT_USER}" -H 'Content-Type: application/json' -H 'Expect:' \
    -X POST -T "${dir}/seat.body" -o "${dir}/seat.response" -w '%{http_code}' \
    "${server}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews" >"${dir}/seat.status" 2>&1 \
    {APF_SEAT_FD}>&- &
  printf '%s\n' "$!" >"${dir}/seat.pid"
}

# apf_seat_held NAME DIR: predicate, the holder executes on the level NAME, waiting for its body.
# (A holder rejected because a replica's request had the seat may not end at once: curl can still
# be waiting to read its body.)
apf_seat_held() {
  local executing
  kill -0 "$(cat "$2/seat.pid")" 2>/dev/null || {
    echo "the seat holder ended: HTTP $(cat "$2/seat.status" 2>/dev/null)"
    return 1
  }
  executing=$(k get --raw /metrics | awk -v schema="flow_schema=\"$1-seat\"" '
    $1 ~ /^apiserver_flowcontrol_current_executing_requests\{/ && index($1, schema) { n += $2 }
    END { print n + 0 }')
  ((executing >= 1)) || {
    echo "no request of FlowSchema $1-seat executes"
    return 1
  }
}

# apf_seat_release DIR: writes the holder's body and waits for it to end (in the shell that
# started it: not in a command substitution).
apf_seat_release() {
  local pid
  pid=$(cat "$1/seat.pid")
  if [[ -n "${APF_SEAT_FD:-}" ]]; then
    printf '{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","spec":{"resourceAttributes":{"verb":"get","resource":"pods"}}}' \
      >&"${APF_SEAT_FD}"
    exec {APF_SEAT_FD}>&-
    APF_SEAT_FD=""
  fi
  wait "${pid}" 2>/dev/null || true
}

# apf_seat_status DIR: the HTTP status of the holder's answer (201: it held the seat until its
# release; 429: it was rejected).
apf_seat_status() { cat "$1/seat.status" 2>/dev/null; }

apf_squeeze_off() {
  k delete flowschema "$1" "$1-seat" --ignore-not-found >/dev/null
  k delete prioritylevelconfiguration "$1" --ignore-not-found >/dev/null
}
