//go:build tools

// Package tools pins the helm-unittest command (a helm plugin), built by hack/build-lint-tools.sh, so that
// `go mod tidy` keeps its dependencies.
package tools

import (
	_ "github.com/helm-unittest/helm-unittest/cmd/helm-unittest"
)
