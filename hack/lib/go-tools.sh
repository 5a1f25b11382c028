# shellcheck shell=bash
# What hack/build-tools.sh (the control plane) and hack/build-lint-tools.sh (the chart and
# manifest checkers) share: finding Go, the build environment, the cache key of a folder of
# builder modules, and the cache's lock. The caller defines log and die.

# go_tools_find_go: the go command to use (GO, else go on PATH, else /usr/local/go/bin/go).
go_tools_find_go() {
  if [[ -n "${GO:-}" ]]; then
    printf '%s\n' "${GO}"
  elif command -v go >/dev/null 2>&1; then
    command -v go
  elif [[ -x /usr/local/go/bin/go ]]; then
    printf '%s\n' /usr/local/go/bin/go
  else
    return 1
  fi
}

# go_tools_env: never let the go command fetch another toolchain behind our back (the pins say
# go 1.26.0, which the local toolchain must satisfy); static binaries, no C toolchain needed.
go_tools_env() {
  export GOTOOLCHAIN=local
  export CGO_ENABLED=0
}

# go_tools_module_digest DIR: one sha256sum line per go.mod, go.sum and .go file under DIR, in a
# stable order (the part of a cache key that changes with any pin or source of the modules).
go_tools_module_digest() {
  (cd "$1" && find . -type f \( -name go.mod -o -name go.sum -o -name '*.go' \) -print0 \
    | LC_ALL=C sort -z | xargs -0 sha256sum)
}

# go_tools_cache_root: the parent of the per-key bin directories of all the project's Go tools.
go_tools_cache_root() {
  printf '%s\n' "${XDG_CACHE_HOME:-${HOME}/.cache}/k8s-pod-headless-service-operator"
}

# go_tools_lock DIR: takes DIR/.lock on file descriptor 9 (held until the script exits), waiting
# for another build that holds it.
go_tools_lock() {
  mkdir -p "$1"
  exec 9>"$1/.lock"
  if ! flock -n 9; then
    log "another build holds $1/.lock; waiting"
    flock 9
  fi
}
