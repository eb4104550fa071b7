package main

import (
	"fmt"
	"slices"
)

// Services are the images built, one per directory of src/cmd: the five
// services and the load generator the chart can run (loadgenerator.enabled).
var Services = []string{"catalog", "search", "order", "payment", "frontend", "loadgen"}

// Recipe is what the Dockerfile's final stage puts into a service's image,
// written down once more for building without Docker. recipe_test.go parses
// the Dockerfile and fails when the two disagree.
type Recipe struct {
	// User is the numeric user:group of distroless's nonroot, the user the
	// chart's security contexts name.
	User string
	// Entrypoint runs the service.
	Entrypoint []string
	// Labels are the OCI annotations of the image config.
	Labels map[string]string
	// Binaries maps paths in the image to the binaries built for them.
	Binaries []string
	// ExposedPorts are the ports the image declares (none: one Dockerfile
	// builds every service, and the chart sets each port).
	ExposedPorts []string
}

// RecipeFor is the recipe of one service's image.
func RecipeFor(service string) (Recipe, error) {
	if !slices.Contains(Services, service) {
		return Recipe{}, fmt.Errorf("unknown service %q: want one of %v", service, Services)
	}
	return Recipe{
		User:       "65532:65532",
		Entrypoint: []string{"/service"},
		Labels: map[string]string{
			"org.opencontainers.image.source":   "https://github.com/shop-platform/shop",
			"org.opencontainers.image.title":    "shop-" + service,
			"org.opencontainers.image.licenses": "MIT",
		},
		Binaries:     []string{"/service", "/probe"},
		ExposedPorts: nil,
	}, nil
}

// The files distroless static gives the services and they need: the user
// and group they run as, and (from the build machine) the CA certificates
// that verify Elasticsearch's and other TLS servers' certificates. No
// service loads a time zone, so there is no tzdata.
const (
	passwd = "root:x:0:0:root:/root:/sbin/nologin\n" +
		"nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n" +
		"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
	group = "root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n"
	// CACertsPath is where Debian (and distroless) keep the CA bundle.
	CACertsPath = "/etc/ssl/certs/ca-certificates.crt"
)
