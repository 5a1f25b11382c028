//go:build tools

// Package tools pins chart-testing's ct command, built by hack/build-lint-tools.sh, so that
// `go mod tidy` keeps its dependencies.
package tools

import (
	_ "github.com/helm/chart-testing/v3/ct"
)
