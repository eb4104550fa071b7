//go:build e2e

package e2e

import (
	"testing"
	"time"
)

// testJourney: a shopper through the storefront Service, every step
// checked (probe journey, package shopper's Check): the home page, a
// product, a search with a typo that still finds it, two products in the
// cart, checkout, and the order page until the order is confirmed.
func testJourney(t *testing.T, s *suite) {
	s.installed(t)
	s.start(t, testPod{name: "journey", image: s.image("frontend"), command: []string{"/probe", "journey", s.serviceURL("frontend")}})
	t.Log(s.finish(t, "journey", 5*time.Minute))
}
