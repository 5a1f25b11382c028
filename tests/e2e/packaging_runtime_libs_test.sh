#!/usr/bin/env bash
# The Dockerfile, checked without a Docker engine:
#   1. every shared library the operator binary links (ldd) comes from a Debian package that the
#      runtime stage installs, or from the base image, and the runtime stage installs nothing else;
#   2. the build stage installs exactly the build (non-test) packages of hack/install-deps.sh;
#   3. the build stage runs `make build` (its cmake and ninja lines), the image runs as a numeric
#      non-root user with ENTRYPOINT the binary and CMD ["run"], and .dockerignore keeps the
#      context small.
# Needs: HSO_OPERATOR_BINARY (set by ctest), dpkg, ldd, make. No cluster.
set -euo pipefail
shopt -s inherit_errexit

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=${HSO_SOURCE_DIR:-$(cd "${here}/../.." && pwd)}
dockerfile=${src}/Dockerfile
binary=${HSO_OPERATOR_BINARY:-}
name=packaging_runtime_libs_test
passed=0
failed=0

say() { printf '[%s] %s\n' "${name}" "$*" >&2; }

# check DESCRIPTION FUNCTION: runs FUNCTION in a subshell; counts the result.
check() {
  local description=$1 fn=$2
  say "=== RUN  ${description}"
  if ("${fn}"); then
    passed=$((passed + 1))
    say "--- PASS ${description}"
  else
    failed=$((failed + 1))
    say "--- FAIL ${description}"
  fi
}
fail() {
  say "FAIL: $*"
  exit 1
}

[[ -r "${dockerfile}" ]] || fail "no Dockerfile at ${dockerfile}"
[[ -n "${binary}" && -x "${binary}" ]] || fail "HSO_OPERATOR_BINARY='${binary}' is not an executable"

# Libraries the base image (debian:bookworm-slim) already has: the C library, the C++ standard
# library and the GCC runtime. They must not be listed, and need not be.
base_image_packages=(libc6 libstdc++6 libgcc-s1)
# The test tier's binary is built with AddressSanitizer and UndefinedBehaviorSanitizer, whose
# runtimes it links; the release binary in the image does not, so they are not runtime packages.
sanitizer_packages=(libasan8 libubsan1)
# hack/install-deps.sh packages that only the tests or the developer tools need: the image's
# build stage leaves them out. A package added to install-deps.sh must be listed here or be
# installed by the build stage, or this test fails.
test_only_packages=(clang-format libgtest-dev libgmock-dev openssl dnsutils curl ca-certificates
  procps psmisc prometheus jq iproute2)

# stage_run_lines STAGE: the stage's RUN instructions, one per line (continuations joined).
stage_run_lines() {
  awk -v stage="$1" '
    BEGIN { IGNORECASE = 1 }
    /^[[:space:]]*FROM[[:space:]]/ { in_stage = (tolower($NF) == tolower(stage)); next }
    !in_stage { next }
    /^[[:space:]]*#/ { next }
    {
      line = $0
      cont = sub(/\\[[:space:]]*$/, "", line)
      buffer = buffer " " line
      if (!cont) { print buffer; buffer = "" }
    }
    END { if (buffer != "") print buffer }' "${dockerfile}" | grep -E '^[[:space:]]*RUN[[:space:]]' || true
}

# stage_apt_packages STAGE: the packages the stage's apt-get install commands name, sorted.
stage_apt_packages() {
  stage_run_lines "$1" | tr '&;|' '\n\n\n' | awk '
    {
      for (i = 1; i <= NF; i++) {
        if ($i == "apt-get" && $(i + 1) == "install") {
          for (j = i + 2; j <= NF; j++) if ($j !~ /^-/) print $j
        }
      }
    }' | sort -u
}

# package_of PATH: the Debian package that owns a library path (merged /usr aware).
package_of() {
  local path=$1 candidate owner
  for candidate in "${path}" "/usr${path}" "$(realpath -m "${path}")"; do
    if owner=$(dpkg -S "${candidate}" 2>/dev/null); then
      owner=${owner%%:*}
      printf '%s\n' "${owner%%,*}"
      return 0
    fi
  done
  return 1
}

in_list() { # WORD WORDS...
  local word=$1
  shift
  local item
  for item in "$@"; do [[ "${item}" == "${word}" ]] && return 0; done
  return 1
}

check_runtime_libraries() {
  local runtime lib package missing=() needed=() unused=() line
  mapfile -t runtime < <(stage_apt_packages runtime)
  ((${#runtime[@]} > 0)) || fail "found no apt-get install in the runtime stage of ${dockerfile}"
  say "runtime stage installs: ${runtime[*]}"
  local ldd_out
  ldd_out=$(ldd "${binary}") || fail "ldd ${binary} failed"
  grep -q 'not found' <<<"${ldd_out}" && fail "ldd cannot resolve every library: ${ldd_out}"
  while read -r line; do
    lib=$(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) { print $i; exit } }' <<<"${line}")
    [[ -n "${lib}" ]] || continue # linux-vdso: no file
    package=$(package_of "${lib}") || fail "no Debian package owns ${lib} (from: ${line})"
    if in_list "${package}" "${sanitizer_packages[@]}"; then
      say "  ${lib} <- ${package} (sanitizer runtime of the test build, not in the image)"
      continue
    fi
    if in_list "${package}" "${base_image_packages[@]}"; then
      say "  ${lib} <- ${package} (base image)"
      continue
    fi
    say "  ${lib} <- ${package}"
    in_list "${package}" "${needed[@]}" || needed+=("${package}")
    in_list "${package}" "${runtime[@]}" || missing+=("${package} (for ${lib})")
  done <<<"${ldd_out}"
  ((${#missing[@]} == 0)) || fail "the runtime stage does not install: ${missing[*]}"
  for package in "${runtime[@]}"; do
    in_list "${package}" "${needed[@]}" || unused+=("${package}")
  done
  ((${#unused[@]} == 0)) || fail "the runtime stage installs packages the binary does not link: ${unused[*]}"
  # The base image's packages must not be needed from apt at all: the image stays slim.
  for package in "${base_image_packages[@]}" "${sanitizer_packages[@]}"; do
    in_list "${package}" "${runtime[@]}" && fail "the runtime stage installs ${package}, which it should not"
  done
  return 0
}

check_build_packages() {
  local build wanted=() package extra=() missing=()
  mapfile -t build < <(stage_apt_packages build)
  ((${#build[@]} > 0)) || fail "found no apt-get install in the build stage of ${dockerfile}"
  # The packages=( ... ) array of hack/install-deps.sh.
  local deps
  deps=$(awk '/^packages=\(/ { on = 1; sub(/^packages=\(/, "") } on { sub(/#.*/, ""); if (sub(/\).*/, "")) { print; exit } print }' \
    "${src}/hack/install-deps.sh" | tr -s ' \t' '\n\n' | grep -v '^$' | sort -u)
  [[ -n "${deps}" ]] || fail "cannot read the packages of hack/install-deps.sh"
  while read -r package; do
    in_list "${package}" "${test_only_packages[@]}" || wanted+=("${package}")
  done <<<"${deps}"
  for package in "${wanted[@]}"; do
    in_list "${package}" "${build[@]}" || missing+=("${package}")
  done
  for package in "${build[@]}"; do
    in_list "${package}" "${wanted[@]}" || extra+=("${package}")
  done
  ((${#missing[@]} == 0)) || fail "hack/install-deps.sh installs ${missing[*]} but the build stage does not (add it, or list it in test_only_packages here)"
  ((${#extra[@]} == 0)) || fail "the build stage installs ${extra[*]}, which hack/install-deps.sh does not"
  say "build stage installs the ${#build[@]} build packages of hack/install-deps.sh: ${build[*]}"
}

check_build_commands() {
  local runs plan
  runs=$(stage_run_lines build)
  grep -Eq 'make +-o +deps +build( |$)' <<<"${runs}" \
    || fail "the build stage does not run 'make -o deps build' (the project's build): ${runs}"
  # What `make -o deps build` runs: the build target's cmake and ninja lines, no install-deps.
  plan=$(make -s -C "${src}" -n -o deps build BUILD_DIR=build)
  grep -q 'install-deps' <<<"${plan}" && fail "make -o deps build would still run install-deps: ${plan}"
  grep -Eq '^cmake .*-DCMAKE_BUILD_TYPE=Release' <<<"${plan}" || fail "make build has no release cmake line: ${plan}"
  grep -Eq '^ninja .*k8s-pod-headless-service-operator' <<<"${plan}" || fail "make build has no ninja line: ${plan}"
  grep -Eq '^COPY --from=build /src/build/k8s-pod-headless-service-operator ' "${dockerfile}" \
    || fail "the runtime stage does not copy build/k8s-pod-headless-service-operator from the build stage"
  say "the build stage runs: $(paste -sd ';' <<<"${plan}")"
}

check_image_settings() {
  grep -Eq '^FROM debian:bookworm AS build$' "${dockerfile}" || fail "the build stage is not FROM debian:bookworm AS build"
  grep -Eq '^FROM debian:bookworm-slim AS runtime$' "${dockerfile}" || fail "the runtime stage is not FROM debian:bookworm-slim AS runtime"
  [[ "$(grep -c '^FROM ' "${dockerfile}")" == 2 ]] || fail "expected exactly two stages"
  local user
  user=$(awk '/^USER / { u = $2 } END { print u }' "${dockerfile}")
  [[ "${user}" =~ ^[0-9]+(:[0-9]+)?$ ]] || fail "the final USER '${user}' is not numeric"
  [[ "${user%%:*}" != 0 ]] || fail "the final USER is root"
  grep -Fxq 'ENTRYPOINT ["/usr/local/bin/k8s-pod-headless-service-operator"]' "${dockerfile}" \
    || fail "ENTRYPOINT is not the binary (exec form)"
  grep -Fxq 'CMD ["run"]' "${dockerfile}" || fail 'CMD is not ["run"]'
  local ignore=${src}/.dockerignore entry
  [[ -r "${ignore}" ]] || fail "no .dockerignore"
  for entry in .git build 'build-*' .local-cluster; do
    grep -Fxq "${entry}" "${ignore}" || fail ".dockerignore does not exclude ${entry}"
  done
  # Nothing the build needs may be excluded.
  for entry in src include CMakeLists.txt Makefile hack; do
    grep -Eq "^${entry}/?$" "${ignore}" && fail ".dockerignore excludes ${entry}, which the build needs"
  done
  return 0
}

check "every library the binary links comes from the runtime stage or the base image" check_runtime_libraries
check "the build stage installs the build packages of hack/install-deps.sh" check_build_packages
check "the build stage runs make build's cmake and ninja" check_build_commands
check "numeric non-root user, ENTRYPOINT, CMD [\"run\"], .dockerignore" check_image_settings

printf '%d passed, %d failed\n' "${passed}" "${failed}"
((failed == 0))
