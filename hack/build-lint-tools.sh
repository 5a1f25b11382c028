#!/usr/bin/env bash
# Builds the checkers the ecosystem uses on charts and manifests (kube-score, helm-unittest,
# chart-testing's ct, helm-docs) and the project's Grafana dashboard checker from the pinned
# builder modules under hack/lint-tools/, once, into a cache directory of their own keyed by every
# file of those modules and the Go version (apart from hack/build-tools.sh's cache, so that a
# change here never rebuilds the control plane). Later runs reuse the cache.
#
# The bin directory also holds helm-plugins/, a private HELM_PLUGINS directory with helm-unittest
# installed as the `helm unittest` plugin.
#
# stdout: the bin directory, as the last (and only) line. Progress goes to stderr.
#
# Environment:
#   XDG_CACHE_HOME           cache root (default ~/.cache)
#   LINT_TOOLS_BIN_ROOT      override the parent of the per-key bin directories
#   GO                       go command to use (default: `command -v go`, else /usr/local/go/bin/go)
#   BUILD_TOOLS_FORCE=1      rebuild even when the cache is complete
set -euo pipefail

# Bump when the way the tools are built changes (flags, binary list, plugin layout).
readonly RECIPE_VERSION=1

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools_dir="${repo_root}/hack/lint-tools"

# shellcheck source=lib/go-tools.sh
source "${repo_root}/hack/lib/go-tools.sh"

log() { printf 'build-lint-tools: [%4ds] %s\n' "${SECONDS}" "$*" >&2; }
die() { log "error: $*"; exit 1; }

go_bin=$(go_tools_find_go) || die "no Go toolchain found (install Go 1.26+ at /usr/local/go or put go on PATH)"
go_version=$("${go_bin}" env GOVERSION)
go_tools_env

key=$({
  printf 'go=%s\nrecipe=%s\n' "${go_version}" "${RECIPE_VERSION}"
  go_tools_module_digest "${tools_dir}"
} | sha256sum | cut -c1-16)
bin_root="${LINT_TOOLS_BIN_ROOT:-$(go_tools_cache_root)/lint-bin}"
bin_dir="${bin_root}/${key}"
stamp="${bin_dir}/.complete"
plugin_dir="${bin_dir}/helm-plugins/unittest"

readonly binaries=(kube-score helm-unittest ct helm-docs dashboard-check)

is_complete() {
  [[ -f "${stamp}" && -x "${plugin_dir}/untt" ]] || return 1
  local b
  for b in "${binaries[@]}"; do
    [[ -x "${bin_dir}/${b}" ]] || return 1
  done
}

if [[ "${BUILD_TOOLS_FORCE:-0}" != 1 ]] && is_complete; then
  log "using cached lint tools in ${bin_dir}"
  printf '%s\n' "${bin_dir}"
  exit 0
fi

go_tools_lock "${bin_root}"
if [[ "${BUILD_TOOLS_FORCE:-0}" != 1 ]] && is_complete; then
  log "using cached lint tools in ${bin_dir}"
  printf '%s\n' "${bin_dir}"
  exit 0
fi

rm -rf "${bin_dir}"
mkdir -p "${bin_dir}"
log "building lint tools with ${go_version} into ${bin_dir}"
start=${SECONDS}

mod_version() { # dir module
  (cd "${tools_dir}/$1" && "${go_bin}" list -m -f '{{.Version}}' "$2")
}

go_build() { # dir ldflags out pkg
  log "go build -o $3 $4"
  (cd "${tools_dir}/$1" && "${go_bin}" build -trimpath -ldflags="-s -w $2" -o "$3" "$4")
}

kube_score_version=$(mod_version kube-score github.com/zegl/kube-score)
unittest_version=$(mod_version helm-unittest github.com/helm-unittest/helm-unittest)
ct_version=$(mod_version chart-testing github.com/helm/chart-testing/v3)
helm_docs_version=$(mod_version helm-docs github.com/norwoodj/helm-docs)
sdk_version=$(mod_version dashboard-check github.com/grafana/grafana-foundation-sdk/go)

# One after the other: each pulls in its own copy of the Kubernetes libraries, and two cores are
# better spent on one module's parallel package compiles than on two links at once.
go_build kube-score "-X main.version=${kube_score_version#v}" "${bin_dir}/kube-score" \
  github.com/zegl/kube-score/cmd/kube-score
go_build helm-unittest "" "${bin_dir}/helm-unittest" \
  github.com/helm-unittest/helm-unittest/cmd/helm-unittest
go_build chart-testing "-X github.com/helm/chart-testing/v3/ct/cmd.Version=${ct_version}" \
  "${bin_dir}/ct" github.com/helm/chart-testing/v3/ct
go_build helm-docs "-X main.version=${helm_docs_version#v}" "${bin_dir}/helm-docs" \
  github.com/norwoodj/helm-docs/cmd/helm-docs
go_build dashboard-check "" "${bin_dir}/dashboard-check" .

# helm-unittest as a helm plugin, in a HELM_PLUGINS directory of the cache's own (the plugin
# description is the project's; helm runs the binary built above).
mkdir -p "${plugin_dir}"
ln -s ../../helm-unittest "${plugin_dir}/untt"
cat >"${plugin_dir}/plugin.yaml" <<PLUGIN
name: unittest
version: ${unittest_version#v}
usage: unit tests of chart templates
description: helm-unittest ${unittest_version}, built by hack/build-lint-tools.sh
ignoreFlags: false
command: \$HELM_PLUGIN_DIR/untt
PLUGIN

for b in "${binaries[@]}"; do
  [[ -x "${bin_dir}/${b}" ]] || die "missing ${b} after build"
done
{
  printf 'go %s\n' "${go_version}"
  printf 'github.com/zegl/kube-score %s\n' "${kube_score_version}"
  printf 'github.com/helm-unittest/helm-unittest %s\n' "${unittest_version}"
  printf 'github.com/helm/chart-testing/v3 %s\n' "${ct_version}"
  printf 'github.com/norwoodj/helm-docs %s\n' "${helm_docs_version}"
  printf 'github.com/grafana/grafana-foundation-sdk/go %s\n' "${sdk_version}"
} >"${bin_dir}/VERSIONS"
touch "${stamp}"
log "built ${#binaries[@]} lint tools in $((SECONDS - start))s"
printf '%s\n' "${bin_dir}"
