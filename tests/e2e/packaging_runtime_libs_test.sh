#!/usr/bin/env bash
# The Dockerfile, checked without a Docker engine (tests/e2e/image_run.sh builds and runs it):
#   1. the runtime stage is FROM scratch and holds what hack/image-rootfs.sh assembles: run here on
#      the operator binary, its tree must resolve every library the binary links inside itself
#      (the tree's own loader, no fallback to the host's), hold no library the binary does not
#      link, and carry the dpkg record of every package those libraries come from;
#   2. the build stage installs exactly the build (non-test) packages of hack/install-deps.sh;
#   3. the build stage runs `make build` (its cmake and ninja lines) and image-rootfs.sh on its
#      binary, and the runtime stage copies that tree and nothing else;
#   4. the image runs as a numeric non-root user with ENTRYPOINT the binary and CMD ["run"], has
#      the OCI labels and no HEALTHCHECK, hack/image.sh can make every base image locally, and
#      .dockerignore lets in exactly what the build stage copies.
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

# hack/install-deps.sh packages that only the tests or the developer tools need: the image's
# build stage leaves them out. A package added to install-deps.sh must be listed here or be
# installed by the build stage, or this test fails.
test_only_packages=(clang-format clang-tidy libgtest-dev libgmock-dev openssl dnsutils curl ca-certificates
  procps psmisc prometheus jq iproute2 yamllint)

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

in_list() { # WORD WORDS...
  local word=$1
  shift
  local item
  for item in "$@"; do [[ "${item}" == "${word}" ]] && return 0; done
  return 1
}

# stage_lines STAGE: the stage's instructions, one per line (continuations joined, comments out).
stage_lines() {
  awk -v stage="$1" '
    /^[[:space:]]*FROM[[:space:]]/ { in_stage = (tolower($NF) == tolower(stage)) }
    !in_stage { next }
    /^[[:space:]]*#/ { next }
    {
      line = $0
      cont = sub(/\\[[:space:]]*$/, "", line)
      buffer = buffer " " line
      if (!cont) { print buffer; buffer = "" }
    }
    END { if (buffer != "") print buffer }' "${dockerfile}" | sed 's/^ *//' | grep -v '^$' || true
}

check_runtime_tree() {
  local tree lib_dir loader listing line path lib_name package missing=() outside=() extra=()
  tree=$(mktemp -d "${TMPDIR:-/tmp}/hso-rootfs.XXXXXX")
  # shellcheck disable=SC2064
  trap "rm -rf '${tree}'" EXIT
  "${src}/hack/image-rootfs.sh" "${binary}" "${tree}/rootfs" >"${tree}/made" || fail "hack/image-rootfs.sh failed"
  tree=${tree}/rootfs
  sed 's/^/  /' "${tree}/../made" >&2
  lib_dir=${tree}/usr/lib/x86_64-linux-gnu
  loader=${tree}/lib64/ld-linux-x86-64.so.2
  [[ -x "${tree}/usr/local/bin/k8s-pod-headless-service-operator" ]] || fail "no binary at usr/local/bin in the tree"
  [[ -x "${loader}" ]] || fail "no ELF interpreter at lib64/ld-linux-x86-64.so.2 in the tree"
  # The tree's loader resolves the tree's binary with the tree's libraries first; a library the
  # tree lacks would come from the host, outside the tree.
  listing=$("${loader}" --inhibit-cache --library-path "${lib_dir}" --list \
    "${tree}/usr/local/bin/k8s-pod-headless-service-operator") || fail "the tree's loader cannot list the binary's libraries"
  while read -r line; do
    [[ "${line}" == *"=>"* ]] || continue
    path=$(awk '{ print $3 }' <<<"${line}")
    lib_name=$(awk '{ print $1 }' <<<"${line}")
    if [[ "${path}" == "not" ]]; then
      missing+=("${lib_name}")
    elif [[ "${path}" != "${tree}/"* ]]; then
      outside+=("${lib_name} (${path})")
    fi
  done <<<"${listing}"
  ((${#missing[@]} == 0)) || fail "the tree does not resolve: ${missing[*]}"
  ((${#outside[@]} == 0)) || fail "libraries resolved outside the tree: ${outside[*]}"
  # Nothing but what the binary links: each library file of the tree is in the listing.
  for path in "${lib_dir}"/*; do
    grep -Fq "=> ${path} " <<<"${listing}" || extra+=("${path#"${tree}"}")
  done
  ((${#extra[@]} == 0)) || fail "the tree holds libraries the binary does not link: ${extra[*]}"
  # The dpkg record of each library's package, for scanners (distroless keeps them the same way).
  while read -r line; do
    package=${line##* <- }
    [[ -s "${tree}/var/lib/dpkg/status.d/${package}" ]] || fail "no dpkg record for ${package} in the tree"
    grep -Fxq "Package: ${package}" "${tree}/var/lib/dpkg/status.d/${package}" \
      || fail "the dpkg record of ${package} is not that package's"
  done <"${tree}/../made"
  # The image's user exists by number, and no shell came along.
  grep -q '^nonroot:x:65532:65532:' "${tree}/etc/passwd" || fail "no nonroot (65532) in etc/passwd"
  [[ ! -e "${tree}/bin/sh" ]] || fail "the tree has a shell"
  say "the tree resolves all $(grep -c '=>' <<<"${listing}") libraries inside itself, $(find "${tree}" -type f | wc -l) files, $(du -sk "${tree}" | cut -f1) KiB"
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
  grep -Eq 'hack/image-rootfs\.sh +build/k8s-pod-headless-service-operator +/rootfs( |$)' <<<"${runs}" \
    || fail "the build stage does not run hack/image-rootfs.sh on build/k8s-pod-headless-service-operator into /rootfs"
  # The runtime stage: that tree, copied whole, and no other file or command.
  local runtime
  runtime=$(stage_lines runtime | grep -Ev '^(FROM|ARG|LABEL|USER|EXPOSE|ENTRYPOINT|CMD|ENV)[[:space:]]' || true)
  [[ "${runtime}" == "COPY --from=build /rootfs/ /" ]] \
    || fail "the runtime stage must add exactly 'COPY --from=build /rootfs/ /', it has: ${runtime}"
  say "the build stage runs: $(paste -sd ';' <<<"${plan}")"
}

check_image_settings() {
  grep -Eq '^FROM docker\.io/library/debian:bookworm AS build$' "${dockerfile}" \
    || fail "the build stage is not FROM docker.io/library/debian:bookworm AS build"
  grep -Eq '^FROM scratch AS runtime$' "${dockerfile}" || fail "the runtime stage is not FROM scratch AS runtime"
  [[ "$(grep -c '^FROM ' "${dockerfile}")" == 2 ]] || fail "expected exactly two stages"
  # hack/image.sh makes every base image the FROM lines name (no registry here).
  local base
  for base in $(awk 'toupper($1) == "FROM" && $2 != "scratch" { print $2 }' "${dockerfile}"); do
    grep -Fq "    ${base})" "${src}/hack/image.sh" || fail "hack/image.sh has no recipe for the base image ${base}"
  done
  local user
  user=$(awk '/^USER / { u = $2 } END { print u }' "${dockerfile}")
  [[ "${user}" =~ ^[0-9]+(:[0-9]+)?$ ]] || fail "the final USER '${user}' is not numeric"
  [[ "${user%%:*}" != 0 ]] || fail "the final USER is root"
  grep -Fxq 'ENTRYPOINT ["/usr/local/bin/k8s-pod-headless-service-operator"]' "${dockerfile}" \
    || fail "ENTRYPOINT is not the binary (exec form)"
  grep -Fxq 'CMD ["run"]' "${dockerfile}" || fail 'CMD is not ["run"]'
  grep -Eiq '^[[:space:]]*HEALTHCHECK' "${dockerfile}" && fail "the Dockerfile has a HEALTHCHECK (Kubernetes probes do that)"
  local label runtime_lines
  runtime_lines=$(stage_lines runtime)
  for label in source version revision licenses; do
    grep -Eq "^LABEL .*org\.opencontainers\.image\.${label}=" <<<"${runtime_lines}" \
      || fail "the runtime stage has no label org.opencontainers.image.${label}"
  done
  grep -Eq 'org\.opencontainers\.image\.version="\$\{VERSION\}"' <<<"${runtime_lines}" \
    || fail "the version label is not the VERSION build argument"
  grep -Eq 'org\.opencontainers\.image\.revision="\$\{REVISION\}"' <<<"${runtime_lines}" \
    || fail "the revision label is not the REVISION build argument"
  # The build stage copies the context whole, once; .dockerignore decides what the context is:
  # everything out, then what the build reads back in.
  local copies ignore=${src}/.dockerignore entry first
  copies=$(stage_lines build | grep -E '^(COPY|ADD)[[:space:]]' || true)
  [[ "${copies}" == "COPY . ." ]] || fail "the build stage must copy the context with one 'COPY . .', it has: ${copies}"
  [[ -r "${ignore}" ]] || fail "no .dockerignore"
  first=$(grep -Ev '^[[:space:]]*(#|$)' "${ignore}" | sed -n 1p)
  [[ "${first}" == '*' ]] || fail ".dockerignore does not start by excluding everything ('*'), it starts with '${first}'"
  for entry in CMakeLists.txt cmake/ Makefile include/ src/ hack/image-rootfs.sh; do
    grep -Fxq "!${entry}" "${ignore}" || fail ".dockerignore does not let in ${entry}, which the build reads"
  done
  # Every file the top-level CMakeLists.txt includes must be in the context too.
  local included
  while read -r included; do
    grep -Fxq "!${included%%/*}/" "${ignore}" || grep -Fxq "!${included}" "${ignore}" \
      || fail ".dockerignore does not let in ${included}, which CMakeLists.txt includes"
  done < <(sed -nE 's/^[[:space:]]*include\(([^)$ ]+\.cmake)\).*/\1/p' "${src}/CMakeLists.txt")
  while read -r entry; do
    [[ -e "${src}/${entry#!}" ]] || fail ".dockerignore lets in ${entry#!}, which does not exist"
  done < <(grep -E '^!' "${ignore}")
  for entry in '.git' 'build' 'build-*' '.local-cluster' 'tests' '.cache'; do
    grep -Eq "^!(${entry//\*/.*})/?$" "${ignore}" && fail ".dockerignore lets in ${entry}"
  done
  for entry in bench/results '**/build' '**/build-*'; do
    grep -Fxq "${entry}" "${ignore}" || fail ".dockerignore does not exclude ${entry}"
  done
  return 0
}

check "the runtime tree resolves every library the binary links inside itself, and no more" check_runtime_tree
check "the build stage installs the build packages of hack/install-deps.sh" check_build_packages
check "the build stage runs make build's cmake and ninja and image-rootfs.sh; the runtime stage copies its tree" check_build_commands
check "FROM lines, numeric non-root user, ENTRYPOINT, CMD [\"run\"], labels, no HEALTHCHECK, .dockerignore" check_image_settings

printf '%d passed, %d failed\n' "${passed}" "${failed}"
((failed == 0))
