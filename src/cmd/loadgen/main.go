// Command loadgen simulates shoppers against the storefront and, when
// asked, the services' JSON APIs (package shopper): they browse, search
// with typos, fill carts, check out and follow their orders to confirmed
// or rejected. It prints a live progress line and a report with per-step
// latencies, and the report as JSON with -json.
//
// It runs for -duration, or with -duration=0 until SIGTERM (how the chart
// runs it): either way the shoppers then finish the journey they are on,
// following an order they placed to its end, and the report is printed.
// A second SIGINT or SIGTERM stops at once. The soak and the resilience
// drill, which start the shop on PostgreSQL and RabbitMQ of their own, are
// src/tools/drill (make soak, make drill).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/shop-platform/shop/src/internal/shopper"
)

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop := make(chan struct{})
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-signals
		close(stop)
		<-signals
		cancel()
	}()
	err := run(ctx, os.Args[1:], stop, os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

// run is one load run with args; closing stop ends it as -duration would.
func run(ctx context.Context, args []string, stop <-chan struct{}, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o shopper.Options
	mix := o.Flags(fs)
	progress := fs.Duration("progress", 5*time.Second, "how often the progress line is printed when not on a terminal; 0 turns it off")
	jsonOut := fs.String("json", "", "also write the report as JSON to this file (- for stdout); default $LOG_DIR/loadgen.json when LOG_DIR is set")
	listen := fs.String("listen", "", "serve /health and /ready on this address (e.g. :8089) while running, for Kubernetes probes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *jsonOut == "" && os.Getenv("LOG_DIR") != "" {
		*jsonOut = filepath.Join(os.Getenv("LOG_DIR"), "loadgen.json")
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q (soak and drill are make soak and make drill)", fs.Args())
	}
	if err := o.Check(*mix); err != nil {
		return err
	}
	if *listen != "" {
		stopProbes, err := serveProbes(ctx, *listen)
		if err != nil {
			return err
		}
		defer stopProbes()
	}
	rep := shopper.Run(ctx, &o, shopper.NewRecorder(time.Now()), stop, shopper.Progress(stderr, *progress))
	if *jsonOut != "-" {
		rep.Print(stdout)
	}
	if *jsonOut == "" {
		return nil
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if *jsonOut == "-" {
		_, err = stdout.Write(b)
		return err
	}
	return os.WriteFile(*jsonOut, b, 0o600)
}

// serveProbes answers /health and /ready while the load runs, so a
// Deployment of the load generator has the probes every workload has.
func serveProbes(ctx context.Context, addr string) (func(), error) {
	ln, err := new(net.ListenConfig).Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("-listen: %w", err)
	}
	mux := http.NewServeMux()
	ok := func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") }
	mux.HandleFunc("GET /health", ok)
	mux.HandleFunc("GET /ready", ok)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return func() { _ = srv.Close() }, nil
}
