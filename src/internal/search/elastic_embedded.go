//go:build embedded

package search

import (
	"errors"
	"log/slog"
)

// openElastic refuses in builds tagged embedded: make run builds the shop
// without the Elasticsearch client, whose esapi package alone was a tenth
// of a cold make run's compile (docs/benchmarks.md, "Cold make run").
func openElastic(Config, *slog.Logger) (Backend, error) {
	return nil, errors.New("ELASTICSEARCH_URL is set, but this binary was built with -tags embedded (as make run builds it), " +
		"which leaves the Elasticsearch client out: run the search binary or `go run ./src/cmd/shop`")
}
