#!/usr/bin/env bash
# Fails when a tracked C++ file is not clang-formatted; `make format` fixes them.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.hpp.in')
unformatted=()
for file in "${files[@]}"; do
  [[ -f "$file" ]] || continue
  clang-format --dry-run --Werror "$file" >/dev/null 2>&1 || unformatted+=("$file")
done
if ((${#unformatted[@]} > 0)); then
  echo "check-format: not clang-formatted (run 'make format'): ${unformatted[*]}" >&2
  exit 1
fi
