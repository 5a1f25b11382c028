#!/usr/bin/env bash
# `make image`: builds the Dockerfile with buildah, as `docker build` would, without a Docker
# engine or a registry.
#
#   hack/image.sh            # builds k8s-pod-headless-service-operator:<version> (README's name)
#
# 1. Installs buildah and mmdebstrap from Debian when they are missing.
# 2. Makes the base images the Dockerfile's FROM lines name, when buildah's storage does not have
#    them yet: docker.io/library/debian:bookworm is made with mmdebstrap (variant minbase, as the
#    official image) from the Debian mirror this machine's apt is configured with. They stay in
#    the storage, so the next run skips this. (With Docker you get the real ones from Docker Hub.)
# 3. `buildah build --layers` of the Dockerfile (chroot isolation, vfs storage driver, default
#    storage location, never pulls), with the build arguments VERSION, REVISION and SOURCE from
#    git. The image stays in buildah's local storage as localhost/<name>:<tag>; push it with
#    `buildah --storage-driver vfs push <name>:<tag> docker://<repository>/<name>:<tag>`.
# 4. Removes this project's cached layers of earlier builds (vfs keeps a full copy of the file
#    system per layer), keeping those of this build for the next one.
#
# Knobs: IMAGE_NAME (k8s-pod-headless-service-operator), IMAGE_TAG (the CMake project version),
# IMAGE_VERSION, IMAGE_REVISION, IMAGE_SOURCE (the labels; default from git),
# IMAGE_KEEP_CACHE=1 (skip step 4), IMAGE_VERBOSE=1 (buildah's whole output, not only the steps).
# Prints the image's name on stdout.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."

say() { printf 'image: %s\n' "$*" >&2; }
die() {
  say "$*"
  exit 1
}

export BUILDAH_ISOLATION=chroot
buildah_() { buildah --storage-driver vfs "$@"; }

# ---------------------------------------------------------------------------
# 1. Tools.

[[ $(id -u) -eq 0 ]] || die "run as root: buildah's chroot isolation and mmdebstrap need it here"

install_missing() {
  local package status missing=()
  for package in "$@"; do
    status=$(dpkg-query -W -f='${Status}' "${package}" 2>/dev/null || true)
    [[ "${status}" == "install ok installed" ]] || missing+=("${package}")
  done
  ((${#missing[@]} > 0)) || return 0
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}
install_missing buildah mmdebstrap jq

# ---------------------------------------------------------------------------
# 2. Base images.

have_image() { buildah_ inspect --type image "$1" >/dev/null 2>&1; }

# debian_sources SUITE: one "deb URI SUITE[-updates|-security] main" line per entry of this
# machine's apt configuration for SUITE (apt reads sources.list and deb822 files alike). Empty
# when there is none: mmdebstrap then uses Debian's default mirror.
debian_sources() {
  apt-get indextargets --format '$(REPO_URI)|$(RELEASE)|$(COMPONENT)' 'Identifier: Packages' 2>/dev/null \
    | awk -F '|' -v suite="$1" '$3 == "main" && ($2 == suite || $2 == suite "-updates" || $2 == suite "-security") {
        print "deb " $1 " " $2 " main" }' | sort -u
}

# make_debian IMAGE SUITE: a minbase chroot of SUITE, committed as IMAGE (CMD bash, as Docker
# Hub's debian images).
make_debian() {
  local image=$1 suite=$2 sources ctr mnt started=${SECONDS} proxy aptopts=()
  sources=$(mktemp "${TMPDIR:-/tmp}/hso-image-sources.XXXXXX")
  debian_sources "${suite}" >"${sources}"
  # A proxy that this machine's apt goes through is needed inside too.
  for proxy in Acquire::http::Proxy Acquire::https::Proxy; do
    local value
    value=$(apt-config dump --format '%v' "${proxy}" 2>/dev/null || true)
    [[ -z "${value}" ]] || aptopts+=(--aptopt "${proxy} \"${value}\"")
  done
  say "making ${image} with mmdebstrap (${suite}, minbase, $(wc -l <"${sources}") apt sources of this machine)"
  ctr=$(buildah_ from --name "hso-base-$$" scratch)
  # shellcheck disable=SC2064
  trap "buildah --storage-driver vfs rm '${ctr}' >/dev/null 2>&1 || true; rm -f '${sources}'" EXIT
  mnt=$(buildah_ mount "${ctr}")
  local mirror=()
  [[ -s "${sources}" ]] && mirror=("${sources}")
  mmdebstrap --variant=minbase --quiet "${aptopts[@]}" "${suite}" "${mnt}" "${mirror[@]}" >&2
  buildah_ umount "${ctr}" >/dev/null
  buildah_ config --cmd '["bash"]' \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --label "io.hso.base.made-by=hack/image.sh (mmdebstrap ${suite} minbase)" "${ctr}"
  buildah_ commit --rm --quiet "${ctr}" "${image}" >/dev/null
  trap - EXIT
  rm -f "${sources}"
  say "made ${image} in $((SECONDS - started)) s"
}

# The images the FROM lines name (stage names and scratch are not images).
mapfile -t bases < <(awk '
  toupper($1) == "FROM" {
    image = ""
    for (i = 2; i <= NF; i++) if ($i !~ /^--/) { image = $i; break }
    for (i = 2; i < NF; i++) if (toupper($i) == "AS") stages[tolower($(i + 1))] = 1
    if (image != "" && image != "scratch" && !(tolower(image) in stages)) print image
  }' Dockerfile | sort -u)
for base in "${bases[@]}"; do
  have_image "${base}" && continue
  case "${base}" in
    docker.io/library/debian:bookworm) make_debian "${base}" bookworm ;;
    *) die "the Dockerfile names ${base}, which this script cannot make locally (add a recipe here)" ;;
  esac
done

# ---------------------------------------------------------------------------
# 3. The build.

name=${IMAGE_NAME:-k8s-pod-headless-service-operator}
project_version=$(sed -n 's/^project([^ ]* VERSION \([0-9][0-9.]*\).*/\1/p' CMakeLists.txt)
[[ -n "${project_version}" ]] || die "cannot read the project version from CMakeLists.txt"
tag=${IMAGE_TAG:-${project_version}}
revision=${IMAGE_REVISION:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}
if [[ -z "${IMAGE_VERSION:-}" ]]; then
  # A release tag on HEAD (v1.2.3) is the version; otherwise the project version, marked as a
  # development build of this commit.
  if exact=$(git describe --tags --exact-match --match 'v[0-9]*' 2>/dev/null); then
    IMAGE_VERSION=${exact#v}
  else
    IMAGE_VERSION="${project_version}-dev+g${revision:0:12}"
  fi
  if [[ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]]; then
    IMAGE_VERSION+=".dirty"
  fi
fi
if [[ -z "${IMAGE_SOURCE+set}" ]]; then
  IMAGE_SOURCE=$(git remote get-url origin 2>/dev/null || true)
  # git@host:owner/repo(.git) -> https://host/owner/repo
  if [[ "${IMAGE_SOURCE}" =~ ^[^@/]+@([^:]+):(.+)$ ]]; then
    IMAGE_SOURCE="https://${BASH_REMATCH[1]}/${BASH_REMATCH[2]}"
  fi
  IMAGE_SOURCE=${IMAGE_SOURCE%.git}
  [[ "${IMAGE_SOURCE}" == http* ]] || IMAGE_SOURCE=""
fi

say "building ${name}:${tag} (version ${IMAGE_VERSION}, revision ${revision})"
log=$(mktemp "${TMPDIR:-/tmp}/hso-image-build.XXXXXX")
started=${SECONDS}
# The steps and cache hits on stderr (everything with IMAGE_VERBOSE=1); the whole log on failure.
show() {
  if [[ "${IMAGE_VERBOSE:-0}" == 1 ]]; then cat; else grep --line-buffered -E '^(\[[0-9]+/[0-9]+\] )?(STEP|COMMIT)|^--> Using cache' || true; fi
}
if ! buildah_ build --layers --force-rm --pull=never --identity-label=false \
  --build-arg "VERSION=${IMAGE_VERSION}" \
  --build-arg "REVISION=${revision}" \
  --build-arg "SOURCE=${IMAGE_SOURCE}" \
  --tag "${name}:${tag}" --file Dockerfile . 2>&1 | tee "${log}" | show >&2; then
  [[ "${IMAGE_VERBOSE:-0}" == 1 ]] || tail -n 60 "${log}" >&2
  die "buildah build failed (log: ${log})"
fi
say "built ${name}:${tag} in $((SECONDS - started)) s"

# ---------------------------------------------------------------------------
# 4. Old cached layers. buildah prints the image of every step ("--> Using cache <id>", "--> <id>");
# the untagged images of this Dockerfile's stages (both carry an org.opencontainers.image.title
# label starting with the project's name) that this build did not use are left-overs of earlier
# builds: each holds a full copy of its file system in vfs.
if [[ "${IMAGE_KEEP_CACHE:-0}" != 1 ]]; then
  mapfile -t used < <(grep -oE '^--> (Using cache )?[0-9a-f]{10,64}' "${log}" | grep -oE '[0-9a-f]{10,64}$' || true)
  removed=0
  # Untagged images, in passes: an image with children cannot go before them.
  for _ in $(seq 30); do
    removed_now=0
    while read -r id; do
      keep=0
      for short in "${used[@]}"; do
        [[ "${id}" == "${short}"* ]] && keep=1 && break
      done
      ((keep == 0)) || continue
      title=$(buildah_ inspect --type image "${id}" 2>/dev/null \
        | jq -r '.OCIv1.config.Labels["org.opencontainers.image.title"] // ""' 2>/dev/null || true)
      [[ "${title}" == "${name}"* ]] || continue
      buildah_ rmi "${id}" >/dev/null 2>&1 && removed_now=$((removed_now + 1))
    done < <(buildah_ images --all --json 2>/dev/null | jq -r '.[] | select((.names // []) | length == 0) | .id')
    removed=$((removed + removed_now))
    ((removed_now > 0)) || break
  done
  ((removed == 0)) || say "removed ${removed} cached images of earlier builds"
fi
rm -f "${log}"

size=$(buildah_ images --json "${name}:${tag}" | jq -r '.[0].size // empty')
say "localhost/${name}:${tag}: ${size:-?} uncompressed"
printf 'localhost/%s:%s\n' "${name}" "${tag}"
