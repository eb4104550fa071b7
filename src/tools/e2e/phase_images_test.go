//go:build e2e

package e2e

import "testing"

// testImages builds the four services' and the load generator's images
// from this checkout (make images, no Docker) and loads them into the
// cluster's node: containerd's ctr, or kind load image-archive.
func testImages(t *testing.T, s *suite) { s.images(t) }
