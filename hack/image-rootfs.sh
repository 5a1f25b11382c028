#!/usr/bin/env bash
# Assembles the image's root filesystem, distroless-style: the operator binary and exactly the
# shared libraries it links (its ldd closure, with the dynamic loader), nothing else runnable.
#
#   hack/image-rootfs.sh BINARY DEST
#
# The Dockerfile's build stage runs this on the binary it just built and the runtime stage (FROM
# scratch) copies DEST as its whole filesystem; tests/e2e/packaging_runtime_libs_test.sh runs it
# on the host's binary and checks the result resolves every library inside DEST.
#
# DEST gets:
#   usr/local/bin/k8s-pod-headless-service-operator   the binary
#   usr/lib/x86_64-linux-gnu/<soname>, usr/lib64/ld-linux-x86-64.so.2
#                                  each library under the name the binary asks for (contents
#                                  copied, symlinks resolved), in the directory Debian keeps it
#   lib -> usr/lib, lib64 -> usr/lib64 (bookworm's merged /usr, so the ELF interpreter path works)
#   etc/passwd, etc/group          root and nonroot (65532), as distroless has them
#   etc/os-release                 from the build stage's base-files (scanners read the distro)
#   var/lib/dpkg/status.d/<pkg>    the dpkg record of each package a library came from, and
#   usr/share/doc/<pkg>/copyright  its copyright file, so scanners and licence audits see them
#   tmp                            empty, mode 1777 (a read-only root filesystem mounts over it)
# and prints one line per library with its package.
set -euo pipefail
shopt -s inherit_errexit

if (($# != 2)); then
  echo "usage: $0 BINARY DEST" >&2
  exit 2
fi
binary=$1
dest=$2
[[ -x "${binary}" ]] || {
  echo "image-rootfs: ${binary} is not an executable" >&2
  exit 1
}
mkdir -p "${dest}"
dest=$(cd "${dest}" && pwd)
if [[ -n "$(ls -A "${dest}")" ]]; then
  echo "image-rootfs: ${dest} is not empty" >&2
  exit 1
fi

install -D -m 0755 "${binary}" "${dest}/usr/local/bin/k8s-pod-headless-service-operator"

# Merged /usr: lib and lib64 are symlinks into usr, as in Debian bookworm.
mkdir -p "${dest}/usr/lib" "${dest}/usr/lib64"
ln -s usr/lib "${dest}/lib"
ln -s usr/lib64 "${dest}/lib64"

# package_of PATH: the Debian package that owns a file (merged /usr aware).
package_of() {
  local path=$1 candidate owner
  for candidate in "${path}" "/usr${path}" "$(realpath -m "${path}")"; do
    if owner=$(dpkg-query -S "${candidate}" 2>/dev/null); then
      owner=${owner%%:*}
      printf '%s\n' "${owner%%,*}"
      return 0
    fi
  done
  return 1
}

ldd_out=$(ldd "${binary}") || {
  echo "image-rootfs: ldd ${binary} failed" >&2
  exit 1
}
if grep -q 'not found' <<<"${ldd_out}"; then
  echo "image-rootfs: ldd cannot resolve every library: ${ldd_out}" >&2
  exit 1
fi

packages=()
while read -r line; do
  # "libssl.so.3 => /lib/x86_64-linux-gnu/libssl.so.3 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)"
  lib=$(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) { print $i; exit } }' <<<"${line}")
  [[ -n "${lib}" ]] || continue # linux-vdso.so.1: in the kernel, no file
  # The file keeps the name the binary (or the ELF interpreter path) asks for; its directory is
  # the real one (lib -> usr/lib), and the copy holds the contents of the versioned file.
  target=$(realpath "$(dirname "${lib}")")/$(basename "${lib}")
  install -D -m 0644 "$(realpath "${lib}")" "${dest}${target}"
  package=$(package_of "${lib}") || {
    echo "image-rootfs: no Debian package owns ${lib}" >&2
    exit 1
  }
  printf '%s <- %s\n' "${target}" "${package}"
  [[ " ${packages[*]} " == *" ${package} "* ]] || packages+=("${package}")
done <<<"${ldd_out}"
chmod 0755 "${dest}"/usr/lib64/ld-linux-* 2>/dev/null || true

mkdir -p "${dest}/var/lib/dpkg/status.d"
for package in "${packages[@]}"; do
  dpkg-query -s "${package}" >"${dest}/var/lib/dpkg/status.d/${package}"
  doc=/usr/share/doc/${package}/copyright
  if [[ -r "${doc}" ]]; then
    install -D -m 0644 "${doc}" "${dest}${doc}"
  fi
done

mkdir -p "${dest}/etc"
cat >"${dest}/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
PASSWD
cat >"${dest}/etc/group" <<'GROUP'
root:x:0:
nonroot:x:65532:
GROUP
chmod 0644 "${dest}/etc/passwd" "${dest}/etc/group"
install -m 0644 "$(realpath /etc/os-release)" "${dest}/etc/os-release"
install -d -m 1777 "${dest}/tmp"
