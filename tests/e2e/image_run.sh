#!/usr/bin/env bash
# Issue 12: the container image, built by `make image`'s script (hack/image.sh: buildah, the
# Dockerfile, no Docker engine) and run as manifests/deployment.yaml runs it, against the local
# control plane:
#   - by runc (Debian's) on an OCI bundle whose root is the image (buildah mount), read-only;
#   - as the image's numeric non-root user, with no capabilities, no new privileges and the
#     container runtimes' default seccomp profile (RuntimeDefault);
#   - with nothing from the host but a ServiceAccount token (TokenRequest API), the cluster's CA
#     and the namespace, mounted at /var/run/secrets/kubernetes.io/serviceaccount, and
#     KUBERNETES_SERVICE_HOST/PORT pointing at the loopback API server: the in-cluster path;
#   - with the Deployment's arguments (leader election, secure metrics, JSON logs), the probe and
#     metrics ports moved to free loopback ports (the container shares the host's network, since
#     the API server listens on loopback), and --namespace $ns.
# Needs root (buildah, runc), plus what lib/common.sh needs. HSO_IMAGE=<image in buildah's
# storage> runs that image instead of building one.
#
# `make test` runs it (hack/run-tests.sh) once the image it built beside the tests is ready, with
# HSO_IMAGE set; ctest does not (its name is not *_test.sh), since the image is not ready when the
# e2e tier starts. By hand:
#   export LOCAL_CLUSTER_DIR=$(mktemp -d); eval "$(hack/local-cluster.sh up)"
#   HSO_OPERATOR_BINARY=build-asan/k8s-pod-headless-service-operator tests/e2e/image_run.sh
img_lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && if [[ -d lib ]]; then echo "${PWD}/lib"; else echo "${PWD}/../lib"; fi)
# shellcheck source=lib/common.sh
source "${img_lib_dir}/common.sh"
# shellcheck source=lib/packaging.sh
source "${img_lib_dir}/packaging.sh"

readonly IMG_BINARY=/usr/local/bin/k8s-pod-headless-service-operator
readonly IMG_SA_DIR=/var/run/secrets/kubernetes.io/serviceaccount

buildah_() { buildah --storage-driver vfs "$@"; }

pkg_init imagerun
[[ $(id -u) -eq 0 ]] || fail "needs root (buildah and runc)"
command -v auditlog >/dev/null || fail "auditlog is not on PATH (eval \"\$(hack/local-cluster.sh env)\")"
[[ -r "${CLUSTER_AUDIT_LOG:-}" ]] || fail "CLUSTER_AUDIT_LOG is not readable (eval \"\$(hack/local-cluster.sh env)\")"
if ! command -v runc >/dev/null; then
  say "installing runc"
  { DEBIAN_FRONTEND=noninteractive apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends runc; } >&2 \
    || fail "cannot install runc"
fi

# The container and the bundles go at exit, before lib/packaging.sh's and lib/common.sh's cleanup.
img_ctr=""
img_cleanup() {
  local rc=$? id
  set +e
  if operator_alive image; then stop_operator_quietly image >/dev/null; fi
  for id in $(cat "${E2E_STATE}/runc-ids" 2>/dev/null); do
    runc delete --force "${id}" >/dev/null 2>&1
  done
  if [[ -n "${img_ctr}" ]]; then
    buildah_ umount "${img_ctr}" >/dev/null 2>&1
    buildah_ rm "${img_ctr}" >/dev/null 2>&1
  fi
  (exit "${rc}")
  pkg_cleanup
}
trap img_cleanup EXIT

# ---------------------------------------------------------------------------
# The image, built as `make image` builds it.

if [[ -n "${HSO_IMAGE:-}" ]]; then
  # An image already in buildah's storage (made elsewhere, e.g. imported from Docker).
  image=${HSO_IMAGE}
  say "using ${image} (HSO_IMAGE), not building"
else
  say "building the image with hack/image.sh"
  build_started=${SECONDS}
  build_log=${E2E_STATE}/image-build.log
  if ! "${HSO_SOURCE_DIR}/hack/image.sh" >"${E2E_STATE}/image-ref" 2>"${build_log}"; then
    tail -n 40 "${build_log}" >&2
    fail "hack/image.sh failed (log: ${build_log})"
  fi
  image=$(tail -n 1 "${E2E_STATE}/image-ref")
  say "built ${image} in $((SECONDS - build_started)) s: $(grep -E '^image: (built|made|removed)' "${build_log}" | paste -sd ';' -)"
fi
inspect=$(buildah_ inspect --type image "${image}") || fail "cannot inspect ${image}"
img_ctr=$(buildah_ from --pull=never --name "hso-e2e-image-$$" "${image}") || fail "cannot make a container of ${image}"
rootfs=$(buildah_ mount "${img_ctr}") || fail "cannot mount the container ${img_ctr}"
# The image's user, as the kubelet takes it (runAsUser in the Deployment says the same).
img_user=$(jq -r '.OCIv1.config.User // ""' <<<"${inspect}")
[[ "${img_user}" =~ ^([0-9]+):([0-9]+)$ ]] || fail "the image's user '${img_user}' is not numeric uid:gid"
img_uid=${BASH_REMATCH[1]}
img_gid=${BASH_REMATCH[2]}
mapfile -t img_entrypoint < <(jq -r '.OCIv1.config.Entrypoint[]?' <<<"${inspect}")

# ---------------------------------------------------------------------------
# runc bundles.

# img_seccomp: the default seccomp profile of Debian's container tools (containers-common, the
# same rules as Docker's and containerd's RuntimeDefault) as OCI JSON, for a process with no
# capabilities on amd64.
img_seccomp() {
  jq '{
    defaultAction, defaultErrnoRet,
    architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
    syscalls: [.syscalls[]
      | select(((.includes.caps // []) | length) == 0)
      | select(((.includes.arches // []) | length) == 0 or ((.includes.arches | index("amd64")) != null))
      | select((.excludes.arches // []) | index("amd64") | not)
      | select((.includes.minKernel // "") == "")
      | {names, action}
        + (if .errnoRet != null then {errnoRet} else {} end)
        + (if ((.args // []) | length) > 0 then {args} else {} end)]
  }' /usr/share/containers/seccomp.json
}

# img_bundle NAME ENV_JSON ARGS...: an OCI bundle in $E2E_STATE/bundles/NAME running ARGS in the
# image as the Deployment would: read-only root, the image's uid:gid, no capabilities, no new
# privileges, seccomp, private PID/IPC/UTS/mount namespaces, the host's network, the
# ServiceAccount folder read-only. Prints the bundle's folder.
img_bundle() {
  local name=$1 env_json=$2 dir args_json
  shift 2
  dir=${E2E_STATE}/bundles/${name}
  mkdir -p "${dir}"
  args_json=$(printf '%s\n' "$@" | jq -R . | jq -s .)
  (cd "${dir}" && runc spec)
  jq --arg root "${rootfs}" --argjson args "${args_json}" --argjson env "${env_json}" \
    --argjson uid "${img_uid}" --argjson gid "${img_gid}" --arg sa "${E2E_STATE}/serviceaccount" \
    --arg sadest "${IMG_SA_DIR}" --arg host "hso-image-${name}" --slurpfile seccomp "${E2E_STATE}/seccomp.json" '
    .root = {path: $root, readonly: true}
    | .hostname = $host
    | .process.terminal = false
    | .process.cwd = "/"
    | .process.args = $args
    | .process.env = $env + ["HOSTNAME=" + $host]
    | .process.user = {uid: $uid, gid: $gid}
    | .process.noNewPrivileges = true
    | .process.capabilities = {bounding: [], effective: [], inheritable: [], permitted: [], ambient: []}
    | .linux.namespaces |= map(select(.type != "network"))
    | .linux.seccomp = $seccomp[0]
    | .mounts += [{destination: $sadest, type: "bind", source: $sa, options: ["rbind", "ro", "nosuid", "nodev", "noexec"]}]
    ' "${dir}/config.json" >"${dir}/config.json.new"
  mv "${dir}/config.json.new" "${dir}/config.json"
  printf '%s\n' "${dir}"
}

# img_runc_id NAME: a container id for runc, recorded for the cleanup.
img_runc_id() {
  local id="hso-e2e-$1-$$"
  printf '%s\n' "${id}" >>"${E2E_STATE}/runc-ids"
  printf '%s\n' "${id}"
}

# img_container_pid NAME: the host pid of the container's process.
img_container_pid() { runc state "$(img_runc_id_of "$1")" | jq -r .pid; }
img_runc_id_of() { printf 'hso-e2e-%s-%s\n' "$1" "$$"; }

# ---------------------------------------------------------------------------
# The ServiceAccount: manifests/rbac.yaml in a namespace of its own, a token for it.

suffix=$(pkg_unique_suffix)
opns=$(new_namespace imgop)
sa="${PKG_NAME}-${suffix}"
pkg_install_rbac "${opns}" "${suffix}" "${E2E_STATE}/rbac.yaml"
wait_for "ServiceAccount ${opns}/${sa}" 30 k -n "${opns}" get serviceaccount "${sa}"
mkdir -p "${E2E_STATE}/serviceaccount"
k -n "${opns}" create token "${sa}" --duration=1h >"${E2E_STATE}/serviceaccount/token" \
  || fail "cannot mint a token for ${opns}/${sa}"
k config view --raw --minify --flatten -o 'jsonpath={.clusters[0].cluster.certificate-authority-data}' \
  | base64 -d >"${E2E_STATE}/serviceaccount/ca.crt"
grep -q 'BEGIN CERTIFICATE' "${E2E_STATE}/serviceaccount/ca.crt" || fail "cannot read the cluster's CA from ${KUBECONFIG}"
printf '%s' "${opns}" >"${E2E_STATE}/serviceaccount/namespace"
# As the kubelet projects them: readable by the container's user, not writable.
chmod 0755 "${E2E_STATE}/serviceaccount"
chmod 0644 "${E2E_STATE}/serviceaccount"/*
server=$(k config view --minify -o 'jsonpath={.clusters[0].cluster.server}')
[[ "${server}" =~ ^https://([0-9.]+):([0-9]+)/?$ ]] || fail "the API server '${server}' is not https://<ipv4>:<port>"
api_host=${BASH_REMATCH[1]}
api_port=${BASH_REMATCH[2]}
img_seccomp >"${E2E_STATE}/seccomp.json" || fail "cannot convert /usr/share/containers/seccomp.json"
# What the kubelet gives the container, and the Deployment's POD_NAMESPACE; no KUBECONFIG, no HOME.
env_json=$(jq -n --arg host "${api_host}" --arg port "${api_port}" --arg ns "${opns}" '[
  "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  "KUBERNETES_SERVICE_HOST=" + $host, "KUBERNETES_SERVICE_PORT=" + $port,
  "POD_NAMESPACE=" + $ns]')

# img_start_operator NAME ARGS...: the image's entrypoint with ARGS in a runc container, in the
# background, with lib/common.sh's operator folder layout (pid: runc's, which passes signals on to
# the container's process; rc: the container's exit status, as runc exits with it).
img_start_operator() {
  local name=$1 dir bundle id
  shift
  dir=$(operator_dir "${name}")
  mkdir -p "${dir}"
  bundle=$(img_bundle "${name}" "${env_json}" "${img_entrypoint[@]}" "$@")
  id=$(img_runc_id "${name}")
  printf '%s\n' "$*" >"${dir}/cmdline"
  printf '=== %s start: runc run %s: %s\n' "$(date -u +%FT%TZ)" "${id}" "$*" >>"${dir}/log"
  say "starting the image as ${name}: runc run ${id}: ${img_entrypoint[*]} $*"
  spawn_recorded "${dir}" runc run --bundle "${bundle}" "${id}" || fail "runc did not start for ${name}"
}

# img_lease_holder_is PATTERN: predicate, the holder of the operator's Lease matches PATTERN
# (a glob; '' for released).
img_lease_holder_is() {
  local holder
  holder=$(k -n "${opns}" get lease "${PKG_NAME}" -o jsonpath='{.spec.holderIdentity}' 2>/dev/null || true)
  # shellcheck disable=SC2053 # PATTERN is a glob
  [[ "${holder}" == $1 ]] || {
    echo "Lease holder '${holder}', want '$1'"
    return 1
  }
}

# img_service_creator NAME: the user whose create of Service NAME in $ns landed (audit log);
# fails while there is none.
img_service_creator() {
  local who
  who=$(auditlog -namespace "${ns}" "${CLUSTER_AUDIT_LOG}" \
    | awk -F '\t' -v name="$1" '$4 == "create" && $5 == "services" && $7 == name && $8 ~ /^2/ { print $3 }' | tail -n 1)
  [[ -n "${who}" ]] || return 1
  printf '%s\n' "${who}"
}

# ---------------------------------------------------------------------------
# Cases.

# Case 1: what the image is: one layer from scratch holding the binary, the libraries it links
# and a few records, nothing runnable besides; USER numeric non-root, ENTRYPOINT the binary, CMD
# run; the OCI labels from git; no HEALTHCHECK. The binary in it runs and reports the commit.
case_1() {
  assert_eq "65532:65532" "${img_user}" "the image's USER"
  assert_eq '["/usr/local/bin/k8s-pod-headless-service-operator"]' \
    "$(jq -c '.OCIv1.config.Entrypoint' <<<"${inspect}")" "ENTRYPOINT"
  assert_eq '["run"]' "$(jq -c '.OCIv1.config.Cmd' <<<"${inspect}")" "CMD"
  assert_eq 1 "$(jq '.OCIv1.rootfs.diff_ids | length' <<<"${inspect}")" "layers of the image (FROM scratch, one COPY)"
  assert_eq null "$(jq -c '.Docker.config.Healthcheck' <<<"${inspect}")" "HEALTHCHECK"
  local label revision=""
  for label in source version revision licenses; do
    jq -e --arg k "org.opencontainers.image.${label}" '.OCIv1.config.Labels | has($k)' <<<"${inspect}" >/dev/null \
      || fail "no label org.opencontainers.image.${label}"
  done
  assert_eq Apache-2.0 "$(jq -r '.OCIv1.config.Labels["org.opencontainers.image.licenses"]' <<<"${inspect}")" "licenses label"
  if revision=$(git -C "${HSO_SOURCE_DIR}" rev-parse HEAD 2>/dev/null); then
    assert_eq "${revision}" "$(jq -r '.OCIv1.config.Labels["org.opencontainers.image.revision"]' <<<"${inspect}")" "revision label"
    assert_contains "$(jq -r '.OCIv1.config.Labels["org.opencontainers.image.version"]' <<<"${inspect}")" \
      "$(sed -n 's/^project([^ ]* VERSION \([0-9.]*\).*/\1/p' "${HSO_SOURCE_DIR}/CMakeLists.txt")" "version label"
  fi
  # Every file: the binary, a library, or a record (passwd, group, os-release, dpkg, copyright).
  local unexpected
  unexpected=$(cd "${rootfs}" && find . -mindepth 1 \( -type f -o -type l \) | sed 's|^\.||' | grep -vE \
    '^(/usr/local/bin/k8s-pod-headless-service-operator|/usr/lib/x86_64-linux-gnu/[^/]+\.so[.0-9]*|/usr/lib64/ld-linux-x86-64\.so\.2|/lib|/lib64|/etc/(passwd|group|os-release)|/var/lib/dpkg/status\.d/[^/]+|/usr/share/doc/[^/]+/copyright)$' || true)
  [[ -z "${unexpected}" ]] || fail "unexpected files in the image: ${unexpected}"
  [[ ! -e "${rootfs}/bin/sh" ]] || fail "the image has a shell"
  # buildah's figure (as `docker images` shows it) and the bytes of the file system it unpacks to.
  say "IMAGE_MEASURE size=\"$(buildah_ images --json "${image}" | jq -r '.[0].size')\" bytes=$(du -sb "${rootfs}" | cut -f1) files=$(cd "${rootfs}" && find . -type f | wc -l)"
  # The binary runs in the image (only its libraries there) and was told the commit.
  local bundle id out
  bundle=$(img_bundle version "${env_json}" "${img_entrypoint[@]}" version)
  id=$(img_runc_id version)
  out=$(timeout 30 runc run --bundle "${bundle}" "${id}" </dev/null 2>&1) || fail "version in the image failed: ${out}"
  say "in the image: ${out}"
  assert_contains "${out}" "k8s-pod-headless-service-operator" "version output"
  [[ -z "${revision}" ]] || assert_contains "${out}" "${revision:0:12}" "the commit in the version output"
}

# Case 2: the container runs as the Deployment's pod would: the image's uid/gid, no
# capabilities, no new privileges, seccomp on, a read-only root; with only the ServiceAccount
# folder it finds the API server (in-cluster configuration), elects itself leader in its own
# namespace and answers /healthz and /readyz.
case_2() {
  local ports
  mapfile -t ports < <(freeport -n 2 -proto tcp)
  ((${#ports[@]} == 2)) || fail "freeport gave no ports"
  mkdir -p "$(operator_dir image)"
  printf '%s\n' "${ports[0]}" >"$(operator_dir image)/metrics_port"
  printf '%s\n' "${ports[1]}" >"$(operator_dir image)/probe_port"
  # manifests/deployment.yaml's args, the two ports on loopback, and the test's namespace.
  img_start_operator image run --leader-elect=true --metrics-secure=true \
    --metrics-bind-address="127.0.0.1:${ports[0]}" --health-probe-bind-address="127.0.0.1:${ports[1]}" \
    --log-format=json --namespace="${ns}"
  pkg_wait_ready image 90
  assert_eq 200 "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:${ports[1]}/healthz")" "/healthz"
  local pid status
  pid=$(img_container_pid image)
  [[ "${pid}" =~ ^[0-9]+$ && "${pid}" != 0 ]] || fail "no container process (runc state: $(runc state "$(img_runc_id_of image)" 2>&1))"
  status=$(cat "/proc/${pid}/status")
  assert_eq "${img_uid} ${img_uid} ${img_uid} ${img_uid}" "$(awk '$1 == "Uid:" { print $2, $3, $4, $5 }' <<<"${status}")" "uids of the container's process"
  assert_eq "${img_gid} ${img_gid} ${img_gid} ${img_gid}" "$(awk '$1 == "Gid:" { print $2, $3, $4, $5 }' <<<"${status}")" "gids of the container's process"
  local cap
  for cap in CapInh CapPrm CapEff CapBnd CapAmb; do
    assert_eq 0000000000000000 "$(awk -v k="${cap}:" '$1 == k { print $2 }' <<<"${status}")" "${cap} of the container's process"
  done
  assert_eq 1 "$(awk '$1 == "NoNewPrivs:" { print $2 }' <<<"${status}")" "NoNewPrivs"
  assert_eq 2 "$(awk '$1 == "Seccomp:" { print $2 }' <<<"${status}")" "Seccomp (2: filter)"
  # The root file system is mounted read-only, the ServiceAccount folder too.
  local root_opts sa_opts
  root_opts=$(awk '$5 == "/" { print $6 }' "/proc/${pid}/mountinfo" | tail -n 1)
  [[ ",${root_opts}," == *,ro,* ]] || fail "the container's root is mounted '${root_opts}', not ro"
  sa_opts=$(awk -v d="${IMG_SA_DIR}" '$5 == d { print $6 }' "/proc/${pid}/mountinfo" | tail -n 1)
  [[ ",${sa_opts}," == *,ro,* ]] || fail "the ServiceAccount folder is mounted '${sa_opts}', not ro"
  # Its environment names no kubeconfig, and the KUBERNETES_SERVICE_* pair comes before the home
  # folder's kubeconfig (runc sets HOME from etc/passwd, as container runtimes do): the in-cluster
  # configuration is what it used.
  if tr '\0' '\n' <"/proc/${pid}/environ" | grep -q '^KUBECONFIG='; then
    fail "the container has KUBECONFIG in its environment"
  fi
  [[ ! -e "${rootfs}/home" ]] || fail "the image has a home folder"
  # It leads, under the container's hostname, in the namespace of its ServiceAccount.
  wait_for "Lease ${opns}/${PKG_NAME} held by hso-image-image_*" 40 img_lease_holder_is 'hso-image-image_*'
  say "Lease holder: $(k -n "${opns}" get lease "${PKG_NAME}" -o jsonpath='{.spec.holderIdentity}'); uid ${img_uid}, caps 0, ro root ${root_opts}"
}

# Case 3: it gives an annotated pod its Service and EndpointSlice, with the ServiceAccount's
# identity (the audit log says who created the Service) and no 403.
case_3() {
  operator_alive image || fail "the container is not running"
  make_pod img-web
  local ip who
  ip=$(wait_pod_ip img-web)
  wait_for "Service img-web" 30 exists service img-web
  wait_for "EndpointSlice of img-web with ${ip}" 30 equals "${ip}" slice_ips_line img-web
  assert_eq None "$(field service img-web '{.spec.clusterIP}')" "clusterIP of img-web"
  wait_for "the audit log's record of the create of Service img-web" 20 img_service_creator img-web
  who=$(img_service_creator img-web)
  assert_eq "system:serviceaccount:${opns}:${sa}" "${who}" "the user that created Service img-web"
  local forbidden
  forbidden=$(forbidden_lines image)
  [[ -z "${forbidden}" ]] || fail "the container met 403s: ${forbidden:0:800}"
}

# Case 4: SIGTERM (what the kubelet sends) reaches the container's process, which releases its
# Lease and exits 0.
case_4() {
  operator_alive image || fail "the container is not running"
  stop_operator image
  wait_for "Lease ${opns}/${PKG_NAME} released" 20 img_lease_holder_is ''
  say "exit status $(cat "$(operator_dir image)/rc"), Lease released"
}

run_case 1 "the image: scratch, one layer, only the binary and its libraries, numeric non-root, OCI labels, no HEALTHCHECK" case_1
run_case 2 "runs as the Deployment runs it: uid 65532, no capabilities, seccomp, read-only root, in-cluster config; /healthz, /readyz, leads" case_2
run_case 3 "the container gives an annotated pod its Service and EndpointSlice as the ServiceAccount, no 403" case_3
run_case 4 "SIGTERM: the container releases its Lease and exits 0" case_4
e2e_finish
