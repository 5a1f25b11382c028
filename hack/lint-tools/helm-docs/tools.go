//go:build tools

// Package tools pins the helm-docs command, built by hack/build-lint-tools.sh, so that
// `go mod tidy` keeps its dependencies.
package tools

import (
	_ "github.com/norwoodj/helm-docs/cmd/helm-docs"
)
