#!/usr/bin/env bash
# Installs the Debian packages the project builds and tests with, only those that are missing.
# Extra package names as arguments are installed too (make bench-scale: gnuplot-nox).
set -euo pipefail

packages=(
  g++ make cmake ninja-build pkg-config git clang-format clang-tidy
  prometheus-cpp-dev libcpp-httplib-dev libssl-dev nlohmann-json3-dev libspdlog-dev
  libgtest-dev libgmock-dev libcli11-dev libyaml-cpp-dev
  openssl dnsutils curl ca-certificates procps psmisc prometheus jq iproute2
  yamllint # chart-testing's ct lint runs it (tests/e2e/packaging_lint_test.sh)
)
packages+=("$@")

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$package")
done

if ((${#missing[@]} > 0)); then
  echo "install-deps: installing ${missing[*]}" >&2
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  # A lock timeout: make test's side checks may install the fuzz tier's packages beside another
  # apt-get.
  $sudo apt-get -o DPkg::Lock::Timeout=900 update -qq >&2
  $sudo apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# The control plane is built from Go modules (hack/build-tools.sh); Debian's Go is too old for it.
go_bin=$(command -v go || echo /usr/local/go/bin/go)
if ! "$go_bin" version >/dev/null 2>&1; then
  echo "install-deps: Go 1.26 or newer is needed to build the local control plane (not found)" >&2
  exit 1
fi
