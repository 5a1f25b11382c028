//go:build tools

// Package tools pins the kube-score command, built by hack/build-lint-tools.sh, so that
// `go mod tidy` keeps its dependencies.
package tools

import (
	_ "github.com/zegl/kube-score/cmd/kube-score"
)
