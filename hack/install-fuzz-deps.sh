#!/usr/bin/env bash
# Installs what the fuzz tier builds with (Debian's clang and its libFuzzer, ASan and UBSan
# runtimes) besides the project's packages, only what is missing.
set -euo pipefail
exec "$(dirname "$0")/install-deps.sh" clang clang-14 libclang-rt-14-dev
