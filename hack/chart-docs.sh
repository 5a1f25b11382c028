#!/usr/bin/env bash
# Regenerates helm/k8s-pod-headless-service-operator/README.md from values.yaml and
# README.md.gotmpl with helm-docs (built by hack/build-lint-tools.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(hack/build-lint-tools.sh)
"${bin}/helm-docs" --chart-search-root helm --template-files README.md.gotmpl --sort-values-order file
