// Command bench runs the benchmarks behind `make bench` and prints reports
// to paste into docs/benchmarks.md. Each scenario runs the shop's code and a
// bare baseline in the same run, on the same machine, so the ratio between
// them means something even where absolute numbers do not.
//
//	go run ./src/cmd/bench [scenario ...]   (default: all)
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"syscall"
	"time"
)

// scenario is one benchmark: it prints its report to stdout.
type scenario func(ctx context.Context) error

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, names []string) error {
	scenarios := map[string]scenario{
		"catalog":  benchCatalog,
		"frontend": benchFrontend,
		"order":    benchOrder,
		"search":   benchSearch,
	}
	if len(names) == 0 {
		for name := range scenarios {
			names = append(names, name)
		}
		slices.Sort(names)
	}
	fmt.Printf("# %s, %s/%s, %d CPUs, %s\n", time.Now().UTC().Format(time.DateOnly), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	for _, name := range names {
		s, ok := scenarios[name]
		if !ok {
			return fmt.Errorf("unknown scenario %q", name)
		}
		fmt.Printf("\n## %s\n", name)
		if err := s(ctx); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}
