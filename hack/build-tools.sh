#!/usr/bin/env bash
# Builds the Go programs the tests need (kube-apiserver, kube-controller-manager,
# kube-scheduler, kubectl, etcd, etcdctl, kwok, coredns, helm, and our own test
# helpers freeport, tcpproxy and auditlog) from the pinned builder modules under
# hack/tools/, once, into a cache directory keyed by the pins, every file of those
# modules and the Go version. Later runs reuse the cache.
#
# stdout: the bin directory, as the last (and only) line. Progress goes to stderr.
#
# Environment:
#   XDG_CACHE_HOME      cache root (default ~/.cache)
#   TOOLS_BIN_ROOT      override the parent of the per-version bin directories
#   GO                  go command to use (default: `command -v go`, else /usr/local/go/bin/go)
#   BUILD_TOOLS_FORCE=1 rebuild even when the cache is complete
set -euo pipefail

# Bump when the way the tools are built changes (flags, binary list), so the
# cache key changes with it.
readonly RECIPE_VERSION=2

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools_dir="${repo_root}/hack/tools"

# shellcheck source=lib/go-tools.sh
source "${repo_root}/hack/lib/go-tools.sh"

log() { printf 'build-tools: [%4ds] %s\n' "${SECONDS}" "$*" >&2; }
die() { log "error: $*"; exit 1; }

go_bin=$(go_tools_find_go) || die "no Go toolchain found (install Go 1.26+ at /usr/local/go or put go on PATH)"
go_version=$("${go_bin}" env GOVERSION)

go_tools_env

# The cache key: Go version, recipe version and every builder module file.
cache_key() {
  {
    printf 'go=%s\nrecipe=%s\n' "${go_version}" "${RECIPE_VERSION}"
    go_tools_module_digest "${tools_dir}"
  } | sha256sum | cut -c1-16
}

key=$(cache_key)
bin_root="${TOOLS_BIN_ROOT:-$(go_tools_cache_root)/bin}"
bin_dir="${bin_root}/${key}"
stamp="${bin_dir}/.complete"

readonly binaries=(kube-apiserver kube-controller-manager kube-scheduler kubectl
  etcd etcdctl kwok coredns helm freeport tcpproxy auditlog)

is_complete() {
  [[ -f "${stamp}" ]] || return 1
  local b
  for b in "${binaries[@]}"; do
    [[ -x "${bin_dir}/${b}" ]] || return 1
  done
}

if [[ "${BUILD_TOOLS_FORCE:-0}" != 1 ]] && is_complete; then
  log "using cached tools in ${bin_dir}"
  printf '%s\n' "${bin_dir}"
  exit 0
fi

go_tools_lock "${bin_root}"

# Someone else may have finished the build while we waited for the lock.
if [[ "${BUILD_TOOLS_FORCE:-0}" != 1 ]] && is_complete; then
  log "using cached tools in ${bin_dir}"
  printf '%s\n' "${bin_dir}"
  exit 0
fi

rm -rf "${bin_dir}"
mkdir -p "${bin_dir}"
log "building tools with ${go_version} into ${bin_dir} (cold builds take a while)"

# Version of a required module, and its publication time (RFC 3339, UTC),
# as recorded by the module proxy. Used for truthful version stamps that do
# not change from one build to the next.
mod_field() { # dir module field
  (cd "${tools_dir}/$1" && "${go_bin}" list -m -f "{{.$3}}" "$2")
}
mod_time() { # dir module
  local t
  t=$(cd "${tools_dir}/$1" && "${go_bin}" list -m -f '{{if .Time}}{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}{{end}}' "$2")
  printf '%s\n' "${t:-1970-01-01T00:00:00Z}"
}

go_build() { # dir ldflags out pkg...
  local dir=$1 ldflags=$2 out=$3
  shift 3
  log "go build -o ${out} $*"
  (cd "${tools_dir}/${dir}" && "${go_bin}" build -trimpath -ldflags="-s -w ${ldflags}" -o "${out}" "$@")
}

start=${SECONDS}

# --- Kubernetes: all four commands in one invocation, so shared packages are
# compiled once.
k8s_version=$(mod_field kubernetes k8s.io/kubernetes Version)
k8s_date=$(mod_time kubernetes k8s.io/kubernetes)
k8s_major=${k8s_version#v}
k8s_major=${k8s_major%%.*}
k8s_minor=${k8s_version#v*.}
k8s_minor=${k8s_minor%%.*}
k8s_ldflags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  k8s_ldflags+=" -X ${pkg}.gitVersion=${k8s_version}"
  k8s_ldflags+=" -X ${pkg}.gitMajor=${k8s_major} -X ${pkg}.gitMinor=${k8s_minor}"
  # The module proxy does not tell the commit; say so rather than lie.
  k8s_ldflags+=" -X ${pkg}.gitCommit=unknown-from-module-${k8s_version}"
  k8s_ldflags+=" -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=${k8s_date}"
done
etcd_version=$(mod_field etcd go.etcd.io/etcd/server/v3 Version)
coredns_version=$(mod_field coredns github.com/coredns/coredns Version)
helm_version=$(mod_field helm helm.sh/helm/v3 Version)
kwok_version=$(mod_field kwok sigs.k8s.io/kwok Version)

build_kubernetes() {
  go_build kubernetes "${k8s_ldflags}" "${bin_dir}/" \
    k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler \
    k8s.io/kubernetes/cmd/kubectl
  log "kubernetes commands done"
}

build_others() {
  # etcd server and etcdctl: the main packages end in /v3, so name the outputs.
  local etcd_ldflags="-X go.etcd.io/etcd/api/v3/version.GitSHA=module-${etcd_version}"
  go_build etcd "${etcd_ldflags}" "${bin_dir}/etcd" go.etcd.io/etcd/server/v3
  go_build etcd "${etcd_ldflags}" "${bin_dir}/etcdctl" go.etcd.io/etcd/etcdctl/v3
  # kwok: its version string is already the release's.
  go_build kwok "" "${bin_dir}/kwok" sigs.k8s.io/kwok/cmd/kwok
  go_build coredns "-X github.com/coredns/coredns/coremain.GitCommit=module-${coredns_version}" \
    "${bin_dir}/coredns" github.com/coredns/coredns
  # helm: the in-tree version is only major.minor.
  go_build helm "-X helm.sh/helm/v3/internal/version.version=${helm_version} -X helm.sh/helm/v3/internal/version.gitTreeState=clean" \
    "${bin_dir}/helm" helm.sh/helm/v3/cmd/helm
  go_build freeport "" "${bin_dir}/freeport" .
  go_build tcpproxy "" "${bin_dir}/tcpproxy" .
  go_build auditlog "" "${bin_dir}/auditlog" .
  log "etcd, etcdctl, kwok, coredns, helm, freeport, tcpproxy, auditlog done"
}

# The Go build of one module keeps two cores busy only about half of the time
# (long single-package compiles, links), so by default the Kubernetes build
# and the others run side by side. BUILD_TOOLS_PARALLEL=0 builds one by one.
if [[ "${BUILD_TOOLS_PARALLEL:-1}" == 1 ]]; then
  build_kubernetes &
  k8s_pid=$!
  build_others &
  others_pid=$!
  failed=0
  wait "${k8s_pid}" || failed=1
  wait "${others_pid}" || failed=1
  ((failed == 0)) || die "a build failed (see above); nothing is marked complete"
else
  build_kubernetes
  build_others
fi

for b in "${binaries[@]}"; do
  [[ -x "${bin_dir}/${b}" ]] || die "missing ${b} after build"
done

{
  printf 'go %s\n' "${go_version}"
  printf 'k8s.io/kubernetes %s\n' "${k8s_version}"
  printf 'go.etcd.io/etcd/server/v3 %s\n' "${etcd_version}"
  printf 'sigs.k8s.io/kwok %s\n' "${kwok_version}"
  printf 'github.com/coredns/coredns %s\n' "${coredns_version}"
  printf 'helm.sh/helm/v3 %s\n' "${helm_version}"
} >"${bin_dir}/VERSIONS"
touch "${stamp}"
log "built ${#binaries[@]} tools in $((SECONDS - start))s"
printf '%s\n' "${bin_dir}"
