// Command drill starts the shop's five services as processes on
// PostgreSQL and RabbitMQ and sends shoppers (package shopper) at them,
// to find what only time and faults show (docs/loadgen.md):
//
//	drill [flags]        the resilience drill (make drill): shoppers while the broker, PostgreSQL and each
//	                     service fail in turn, on a PostgreSQL and a RabbitMQ of its own; then the order accounting
//	drill soak [flags]   the soak (make soak): steady shoppers for SOAK_DURATION on the machine's servers;
//	                     the error rate stays in budget and every service's memory levels off
//	drill plot -in F     draws a report's timeline (latency, throughput, faults) as a PNG
//
// It is tooling, kept out of what ships: the load generator's image holds
// only the load generator.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"

	"github.com/shop-platform/shop/src/internal/platform/service"
)

func main() { service.Main("drill", run) }

// run is the command os.Args names; -h is not a failure.
func run(ctx context.Context, _ map[string]string) error {
	args := os.Args[1:]
	var err error
	switch {
	case len(args) > 0 && args[0] == "plot":
		err = plotCommand(args[1:])
	case len(args) > 0 && args[0] == "soak":
		err = soakCommand(ctx, args[1:], os.Stdout)
	default:
		err = drillCommand(ctx, args, os.Stdout)
	}
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// writeJSON writes v, indented, to path.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
