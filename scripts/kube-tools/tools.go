//go:build tools

// Package tools pins the commands this module builds, so go mod tidy keeps
// their dependencies: make bin/kube-apiserver and make bin/etcd build them.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
)
