// Command bench runs the benchmarks behind `make bench` and prints reports
// to paste into docs/benchmarks.md. Each scenario runs the shop's code and a
// bare baseline in the same run, on the same machine, so the ratio between
// them means something even where absolute numbers do not. The run ends with
// one table of every figure next to its reference and its target.
//
//	go run ./src/tools/bench [scenario ...]   (default: all)
package main

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"runtime"
	"slices"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/service"
	"github.com/shop-platform/shop/src/internal/platform/tracing"
)

// scenario is one benchmark: it prints its report to stdout, adds its
// headline figures to the summary, and hands what it opens to c, which
// closes it when the scenario ends.
type scenario func(ctx context.Context, sum *summary, c *cleanups) error

// cleanups closes what a scenario opened, last opened first, as
// testing.T's Cleanup does: a start that fails halfway leaves what it had
// opened to the scenario's close instead of undoing it step by step.
type cleanups []func()

func (c *cleanups) add(f func()) { *c = append(*c, f) }

// close runs the cleanups and forgets them, so it may run twice.
func (c *cleanups) close() {
	for _, f := range slices.Backward(*c) {
		f()
	}
	*c = nil
}

func main() {
	service.Main("bench", func(ctx context.Context, _ map[string]string) error { return run(ctx, os.Args[1:]) })
}

func run(ctx context.Context, names []string) error {
	scenarios := map[string]scenario{
		"catalog":          benchCatalog,
		"catalog-embedded": benchCatalogEmbedded,
		"catalog-scale":    benchCatalogScale,
		"frontend":         benchFrontend,
		"order":            benchOrder,
		"order-scale":      benchOrderScale,
		"search":           benchSearch,
		"search-scale":     benchSearchScale,
		"services":         benchServices,
		"shop":             benchShop,
	}
	// groups name several scenarios at once: BENCH=scale make bench.
	groups := map[string][]string{"scale": {"catalog-scale", "search-scale", "order-scale"}}
	if len(names) == 0 {
		names = slices.Sorted(maps.Keys(scenarios))
	}
	fmt.Printf("# %s, %s/%s, %d CPUs, %s\n", time.Now().UTC().Format(time.DateOnly), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	sum := &summary{}
	defer sum.print()
	for _, name := range names {
		group, ok := groups[name]
		if !ok {
			group = []string{name}
		}
		for _, name := range group {
			s, ok := scenarios[name]
			if !ok {
				return fmt.Errorf("unknown scenario %q", name)
			}
			fmt.Printf("\n## %s\n", name)
			sum.scenario = name
			var c cleanups
			err := s(ctx, sum, &c)
			c.close()
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
	}
	return nil
}

// summary gathers each scenario's headline figures, printed together at the
// end so one run of `make bench` answers "is every target met?".
type summary struct {
	scenario string
	rows     []summaryRow
}

type summaryRow struct {
	scenario, figure, value, reference, target string
	met                                        bool
}

// add records one figure: its value, what it is measured against (the bare
// baseline's figure, pgbench's, or "-"), the target and whether it is met.
func (s *summary) add(figure, value, reference, target string, met bool) {
	s.rows = append(s.rows, summaryRow{s.scenario, figure, value, reference, target, met})
}

// ratio records shop/reference against a minimum ratio.
func (s *summary) ratio(figure string, shop, reference float64, unit string, minimum float64) {
	r := shop / reference
	s.add(figure, fmt.Sprintf("%.2f (%.0f %s)", r, shop, unit), fmt.Sprintf("%.0f %s", reference, unit), fmt.Sprintf(">= %.2g", minimum), r >= minimum)
}

// latency records a latency against a maximum.
func (s *summary) latency(figure string, got, reference, maximum time.Duration) {
	ref := "-"
	if reference > 0 {
		ref = reference.Round(time.Microsecond).String()
	}
	s.add(figure, got.Round(time.Microsecond).String(), ref, "<= "+maximum.String(), got <= maximum)
}

func (s *summary) print() {
	if len(s.rows) == 0 {
		return
	}
	fmt.Printf("\n## summary\n\n| scenario | figure | value | reference | target | met |\n|---|---|---|---|---|---|\n")
	for _, r := range s.rows {
		met := "yes"
		if !r.met {
			met = "NO"
		}
		fmt.Printf("| %s | %s | %s | %s | %s | %s |\n", r.scenario, r.figure, r.value, r.reference, r.target, met)
	}
}

// traced gives base the tracer provider the bench's own OTEL_* variables
// ask for (none when OTEL_EXPORTER_OTLP_ENDPOINT is unset, as in make
// bench), so the same scenario measures tracing off and on; the scenarios
// build their services from fixed settings and would not see them
// otherwise. Its flush goes to c.
func traced(ctx context.Context, c *cleanups, base *platform.Base, service string) error {
	var cfg platform.TraceConfig
	if err := env.Parse(&cfg); err != nil {
		return fmt.Errorf("reading the OTEL_* variables: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	tracer, flush, err := tracing.Start(ctx, cfg, service, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	c.add(flush)
	base.Trace, base.Tracer = cfg, tracer
	return nil
}
