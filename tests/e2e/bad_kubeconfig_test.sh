#!/usr/bin/env bash
# Issue 11, bad input gets a clear answer: a kubeconfig that cannot work makes the operator say
# what failed and what to change, in its log and in /readyz (never ready), and it keeps trying
# rather than exiting, so a fixed Secret or a reachable server heals it without a restart.
bad_lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && if [[ -d lib ]]; then echo "${PWD}/lib"; else echo "${PWD}/../lib"; fi)
# shellcheck source=lib/common.sh
source "${bad_lib_dir}/common.sh"
# shellcheck source=lib/packaging.sh
source "${bad_lib_dir}/packaging.sh"

pkg_init badkube
admin=${E2E_STATE}/admin.kubeconfig
k config view --raw --minify --flatten >"${admin}"
cluster=$(KUBECONFIG=${admin} kubectl config view -o 'jsonpath={.clusters[0].name}')
server=$(KUBECONFIG=${admin} kubectl config view -o 'jsonpath={.clusters[0].cluster.server}')

# variant NAME: a copy of the working kubeconfig to break.
variant() {
  cp "${admin}" "${E2E_STATE}/$1.kubeconfig"
  chmod 600 "${E2E_STATE}/$1.kubeconfig"
  printf '%s\n' "${E2E_STATE}/$1.kubeconfig"
}

# readiness_reason NAME: the body of /readyz/informers-synced.
readiness_reason() {
  curl -s --max-time 5 "http://127.0.0.1:$(cat "$(operator_dir "$1")/probe_port")/readyz/informers-synced" || true
}

# says NAME TEXT: predicate, /readyz/informers-synced fails with TEXT in its reason.
says() {
  local reason
  reason=$(readiness_reason "$1")
  [[ "${reason}" == *"$2"* ]] || {
    echo "readyz/informers-synced: ${reason}"
    return 1
  }
}

# expect_clear NAME KUBECONFIG TEXT...: the operator with that kubeconfig stays unready and says
# every TEXT in /readyz and in its log, and is still running.
expect_clear() {
  local name=$1 file=$2 text
  shift 2
  pkg_start_operator "${name}" "${file}" --leader-elect=false
  for text in "$@"; do
    wait_for "/readyz of ${name} to say '${text}'" 60 says "${name}" "${text}"
    grep -qF -- "${text}" "$(operator_log "${name}")" || fail "the log of ${name} does not say '${text}'"
  done
  assert_ne 200 "$(readyz_code "${name}")" "/readyz of ${name}"
  operator_alive "${name}" || fail "operator ${name} exited instead of retrying"
  say "${name}: $(readiness_reason "${name}")"
  stop_operator "${name}"
}

case_1() {
  local file
  file=$(variant no-ca)
  KUBECONFIG=${file} kubectl config unset "clusters.${cluster}.certificate-authority-data" >/dev/null
  KUBECONFIG=${file} kubectl config unset "clusters.${cluster}.certificate-authority" >/dev/null
  expect_clear no-ca "${file}" "no TLS handshake with ${server}" "certificate-authority-data" "${file}"
}

case_2() {
  local file port
  file=$(variant unreachable)
  port=$(freeport -proto tcp)
  KUBECONFIG=${file} kubectl config set-cluster "${cluster}" --server "https://127.0.0.1:${port}" >/dev/null
  expect_clear unreachable "${file}" "cannot connect to https://127.0.0.1:${port}" "check the server address"
}

case_3() {
  local file user
  file=$(variant bad-token)
  user=$(KUBECONFIG=${file} kubectl config view -o 'jsonpath={.users[0].name}')
  KUBECONFIG=${file} kubectl config unset "users.${user}" >/dev/null
  KUBECONFIG=${file} kubectl config set-credentials "${user}" --token=not-a-real-token >/dev/null
  expect_clear bad-token "${file}" "Unauthorized" "401"
}

case_4() {
  local file user
  file=$(variant failing-exec)
  user=$(KUBECONFIG=${file} kubectl config view -o 'jsonpath={.users[0].name}')
  KUBECONFIG=${file} kubectl config unset "users.${user}" >/dev/null
  KUBECONFIG=${file} kubectl config set-credentials "${user}" --exec-api-version=client.authentication.k8s.io/v1 \
    --exec-command=/bin/false --exec-interactive-mode=Never >/dev/null
  expect_clear failing-exec "${file}" "/bin/false"
}

run_case 1 "kubeconfig without the cluster's CA: names the server, the TLS failure and the field" case_1
run_case 2 "nothing listens at the server: names the address to check" case_2
run_case 3 "a token the API server refuses: 401 Unauthorized in readiness" case_3
run_case 4 "an exec credential plugin that fails: names the command" case_4
e2e_finish
