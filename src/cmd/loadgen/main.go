// Command loadgen simulates shoppers against the storefront (and, when
// asked, the services' JSON APIs): they browse, search with typos, fill
// carts, check out and follow their orders to confirmed or rejected. It
// prints a live progress line and a report with per-step latencies.
//
// Subcommands: `loadgen plot` draws a report's timeline as a PNG;
// `loadgen soak` and `loadgen drill` start the shop on the real
// PostgreSQL and RabbitMQ and run the load against it (make soak, make
// drill).
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	args := os.Args[1:]
	var err error
	switch {
	case len(args) > 0 && args[0] == "plot":
		err = plotCommand(args[1:], os.Stderr)
	case len(args) > 0 && args[0] == "soak":
		err = soakCommand(ctx, args[1:], os.Stdout)
	case len(args) > 0 && args[0] == "drill":
		err = drillCommand(ctx, args[1:], os.Stdout)
	default:
		err = loadCommand(ctx, args, os.Stdout, os.Stderr)
	}
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

// options are one load run's settings.
type options struct {
	target          string
	catalogURL      string
	searchURL       string
	orderURL        string
	users           int
	rate            float64
	duration        time.Duration
	maxJourneys     int64
	think           time.Duration
	timeout         time.Duration
	orderTimeout    time.Duration
	pollInterval    time.Duration
	checkoutRetries int
	typoRate        float64
	mix             []journeyWeight
	progressEvery   time.Duration
	errorPause      time.Duration
	// until, when set, ends the run early (a drill stops the load when
	// its faults are over).
	until <-chan struct{}
}

// journeyWeight is one journey's share of the mix.
type journeyWeight struct {
	name   string
	weight int
}

var journeyNames = []string{"browse", "search", "buy", "api"}

// Limits that keep a mistyped flag from becoming an endless or enormous
// run.
const (
	maxUsers       = 10000
	maxDuration    = 24 * time.Hour
	maxJourneysCap = 100_000_000
)

func (o *options) flags(fs *flag.FlagSet) *string {
	fs.StringVar(&o.target, "url", "http://127.0.0.1:5004", "storefront base URL (loopback or a cluster-internal address)")
	fs.StringVar(&o.catalogURL, "catalog-url", "", "catalog API base URL; with it the api journey is possible")
	fs.StringVar(&o.searchURL, "search-url", "", "search API base URL, used by the api journey")
	fs.StringVar(&o.orderURL, "order-url", "", "order API base URL, used by the api journey to place orders")
	fs.IntVar(&o.users, "users", 10, "concurrent shoppers (1-10000)")
	fs.Float64Var(&o.rate, "rate", 0, "journeys started per second in total; 0 lets every shopper start the next journey at once")
	fs.DurationVar(&o.duration, "duration", time.Minute, "how long journeys are started (at most 24h)")
	fs.Int64Var(&o.maxJourneys, "journeys", 1_000_000, "stop after starting this many journeys")
	fs.DurationVar(&o.think, "think", 300*time.Millisecond, "mean think time between a shopper's steps")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "timeout of each request")
	fs.DurationVar(&o.orderTimeout, "order-timeout", 60*time.Second, "how long a shopper follows an order before calling it unsettled")
	fs.DurationVar(&o.pollInterval, "poll", time.Second, "how often a shopper reloads a pending order")
	fs.DurationVar(&o.errorPause, "error-pause", time.Second, "how long a shopper waits after an error before the next journey")
	fs.IntVar(&o.checkoutRetries, "checkout-retries", 5, "how often a failed checkout is submitted again (same form, so the same order)")
	fs.Float64Var(&o.typoRate, "typos", 0.3, "share of searches that are misspelt (0-1)")
	fs.DurationVar(&o.progressEvery, "progress", 5*time.Second, "how often the progress line is printed when not on a terminal; 0 turns it off")
	mix := fs.String("mix", "browse=50,search=30,buy=20", "journey mix: name=weight for browse, search, buy, api")
	return mix
}

// check validates the options and parses the mix.
func (o *options) check(mix string) error {
	var errs []error
	if o.users < 1 || o.users > maxUsers {
		errs = append(errs, fmt.Errorf("-users must be 1-%d, got %d", maxUsers, o.users))
	}
	if o.duration <= 0 || o.duration > maxDuration {
		errs = append(errs, fmt.Errorf("-duration must be positive and at most %s, got %s", maxDuration, o.duration))
	}
	if o.maxJourneys < 1 || o.maxJourneys > maxJourneysCap {
		errs = append(errs, fmt.Errorf("-journeys must be 1-%d, got %d", maxJourneysCap, o.maxJourneys))
	}
	if o.rate < 0 {
		errs = append(errs, fmt.Errorf("-rate must not be negative, got %g", o.rate))
	}
	if o.think < 0 || o.errorPause < 0 || o.timeout <= 0 || o.orderTimeout <= 0 || o.pollInterval <= 0 {
		errs = append(errs, errors.New("-think and -error-pause must not be negative; -timeout, -order-timeout and -poll must be positive"))
	}
	if o.typoRate < 0 || o.typoRate > 1 {
		errs = append(errs, fmt.Errorf("-typos must be from 0 to 1, got %g", o.typoRate))
	}
	if o.checkoutRetries < 0 || o.checkoutRetries > 20 {
		errs = append(errs, fmt.Errorf("-checkout-retries must be 0-20, got %d", o.checkoutRetries))
	}
	m, err := parseMix(mix)
	if err != nil {
		errs = append(errs, err)
	}
	o.mix = m
	for _, mw := range m {
		if mw.name == "api" && o.catalogURL == "" {
			errs = append(errs, errors.New("the api journey needs -catalog-url (and -order-url to place orders)"))
		}
	}
	for _, u := range []*string{&o.target, &o.catalogURL, &o.searchURL, &o.orderURL} {
		*u = strings.TrimRight(*u, "/")
		if *u == "" {
			continue
		}
		if err := checkTarget(*u); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func parseMix(s string) ([]journeyWeight, error) {
	var out []journeyWeight
	total := 0
	for part := range strings.SplitSeq(s, ",") {
		name, w, ok := strings.Cut(strings.TrimSpace(part), "=")
		n, err := strconv.Atoi(w)
		known := false
		for _, j := range journeyNames {
			known = known || j == name
		}
		if !ok || err != nil || n < 0 || !known {
			return nil, fmt.Errorf("-mix: %q is not name=weight with a name of %s and a whole weight", part, strings.Join(journeyNames, ", "))
		}
		if n > 0 {
			out = append(out, journeyWeight{name, n})
			total += n
		}
	}
	if total == 0 {
		return nil, errors.New("-mix: the weights add up to 0")
	}
	return out, nil
}

// sharedAddressSpace (RFC 6598) is where some clusters put their pod and
// service addresses.
var sharedAddressSpace = &net.IPNet{IP: net.IPv4(100, 64, 0, 0), Mask: net.CIDRMask(10, 32)}

// checkTarget allows only loopback and private (cluster-internal)
// addresses: the load generator is for the shop on this machine or in
// its own cluster, never for anyone else's server.
func checkTarget(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", raw)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, u.Hostname())
	if err != nil {
		return fmt.Errorf("resolving %s: %w", u.Hostname(), err)
	}
	for _, a := range addrs {
		if !a.IP.IsLoopback() && !a.IP.IsPrivate() && !sharedAddressSpace.Contains(a.IP) {
			return fmt.Errorf("refusing to send load to %s (%s): only loopback and cluster-internal addresses are targets", u.Hostname(), a.IP)
		}
	}
	return nil
}

func loadCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	mix := o.flags(fs)
	jsonOut := fs.String("json", "", "also write the report as JSON to this file (- for stdout); default $LOG_DIR/loadgen.json when LOG_DIR is set")
	listen := fs.String("listen", "", "serve /health and /ready on this address (e.g. :8089) while running, for Kubernetes probes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *jsonOut == "" && os.Getenv("LOG_DIR") != "" {
		*jsonOut = filepath.Join(os.Getenv("LOG_DIR"), "loadgen.json")
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q (subcommands: plot, soak, drill)", fs.Args())
	}
	if err := o.check(*mix); err != nil {
		return err
	}
	if *listen != "" {
		stopProbes, err := serveProbes(*listen)
		if err != nil {
			return err
		}
		defer stopProbes()
	}
	rep := runLoad(ctx, &o, newProgress(stderr, o.progressEvery), nil)
	if *jsonOut != "-" {
		printReport(stdout, rep)
	}
	if *jsonOut != "" {
		return writeJSON(*jsonOut, stdout, rep)
	}
	return nil
}

func writeJSON(path string, stdout io.Writer, rep Report) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if path == "-" {
		_, err = stdout.Write(b)
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// runID tells one run's shoppers' email addresses from another's, so a
// drill can count the orders of each checkout.
func runID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// runLoad runs the shoppers until the duration or the journey count is
// reached, then lets shoppers that placed an order follow it for up to
// the order timeout. onStart, when given, receives the recorder (a drill
// marks its faults on it).
func runLoad(ctx context.Context, o *options, progress func(Sample, *recorder), onStart func(*recorder)) Report {
	start := time.Now()
	rec := newRecorder(start)
	if onStart != nil {
		onStart(rec)
	}
	stopCtx, cancelStop := context.WithTimeout(ctx, o.duration)
	defer cancelStop()
	if o.until != nil {
		go func() {
			select {
			case <-o.until:
				cancelStop()
			case <-stopCtx.Done():
			}
		}()
	}
	hardCtx, cancelHard := context.WithTimeout(ctx, o.duration+o.orderTimeout+o.timeout)
	defer cancelHard()

	transport := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        o.users * 2,
		MaxIdleConnsPerHost: o.users * 2,
		IdleConnTimeout:     90 * time.Second,
	}
	defer transport.CloseIdleConnections()

	id := runID()
	var seq atomic.Int64
	email := func() string { return fmt.Sprintf("shopper-%s-%d@example.com", id, seq.Add(1)) }
	var started atomic.Int64
	w := newWords()

	// Open loop: a ticker hands out journey starts; a start no shopper is
	// waiting for is dropped (the channel has no buffer), so a slow shop
	// sees the configured rate at most, never a burst afterwards.
	var starts chan struct{}
	if o.rate > 0 {
		starts = make(chan struct{})
		go func() {
			t := time.NewTicker(time.Duration(float64(time.Second) / o.rate))
			defer t.Stop()
			for {
				select {
				case <-stopCtx.Done():
					return
				case <-t.C:
					select {
					case starts <- struct{}{}:
					default:
					}
				}
			}
		}()
	}

	total := 0
	for _, m := range o.mix {
		total += m.weight
	}
	var wg sync.WaitGroup
	for i := range o.users {
		sh := newShopper(o, transport, rec, w, uint64(start.UnixNano())+uint64(i)*7919, stopCtx, hardCtx, email)
		wg.Go(func() {
			for stopCtx.Err() == nil {
				if starts != nil {
					select {
					case <-stopCtx.Done():
						return
					case <-starts:
					}
				}
				if started.Add(1) > o.maxJourneys {
					return
				}
				n := sh.rng.IntN(total)
				for _, m := range o.mix {
					if n < m.weight {
						// A shopper shown an error page pauses before
						// trying again, rather than hammering a shop
						// that is down with instant retries.
						if sh.journey(m.name) != nil {
							_ = sleep(stopCtx, o.errorPause)
						}
						break
					}
					n -= m.weight
				}
			}
		})
	}

	done := make(chan struct{})
	var pwg sync.WaitGroup
	pwg.Go(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case now := <-t.C:
				s := rec.tick(now)
				if progress != nil {
					progress(s, rec)
				}
			}
		}
	})
	wg.Wait()
	close(done)
	pwg.Wait()
	// The last, partial second stays out of the timeline (it would show
	// as a drop in throughput) but is in the totals.
	end := time.Now()
	rep := rec.report(end)
	rep.Target, rep.Users, rep.Rate, rep.RunID = o.target, o.users, o.rate, id
	rep.Journeys = min(started.Load(), o.maxJourneys)
	return rep
}

func (s *shopper) journey(name string) error {
	switch name {
	case "browse":
		return s.browse()
	case "search":
		return s.search()
	case "buy":
		return s.buy()
	default:
		return s.api()
	}
}

// newProgress returns the live progress line: rewritten in place every
// second on a terminal, else one line every `every`.
func newProgress(w io.Writer, every time.Duration) func(Sample, *recorder) {
	if every <= 0 {
		return nil
	}
	tty := false
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	var last time.Duration
	return func(s Sample, r *recorder) {
		r.mu.Lock()
		reqs, errs, placed := r.reqs, r.errs, r.placed
		p99 := r.total.percentile(99)
		r.mu.Unlock()
		line := fmt.Sprintf("%4.0fs  requests %d  errors %d  rps %d  p99 %s (last 1s %.1fms)  orders %d",
			s.T, reqs, errs, s.Requests, p99.Round(100*time.Microsecond), s.P99Ms, placed)
		if tty {
			fmt.Fprintf(w, "\r\033[K%s", line)
			return
		}
		now := time.Duration(s.T * float64(time.Second))
		if now-last >= every {
			last = now
			fmt.Fprintln(w, line)
		}
	}
}

// printReport writes the human-readable report.
func printReport(w io.Writer, r Report) {
	fmt.Fprintf(w, "\nloadgen: %s against %s, %d users", time.Duration(r.ElapsedS*float64(time.Second)).Round(time.Second), r.Target, r.Users)
	if r.Rate > 0 {
		fmt.Fprintf(w, ", %.1f journeys/s", r.Rate)
	}
	fmt.Fprintf(w, ", %d journeys\n", r.Journeys)
	fmt.Fprintf(w, "requests %d  errors %d (%.3f%%)  rps %.1f  p50 %.1fms  p95 %.1fms  p99 %.1fms\n",
		r.Requests, r.Errors, 100*r.ErrorRate, r.RPS, r.P50Ms, r.P95Ms, r.P99Ms)
	if len(r.ErrorsByKind) > 0 {
		fmt.Fprint(w, "errors by kind:")
		for _, k := range sortedKeys(r.ErrorsByKind) {
			fmt.Fprintf(w, " %s %d", k, r.ErrorsByKind[k])
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "%-18s %8s %7s %9s %9s %9s %9s\n", "step", "count", "errors", "p50 ms", "p95 ms", "p99 ms", "max ms")
	for _, name := range sortedKeys(r.Steps) {
		s := r.Steps[name]
		fmt.Fprintf(w, "%-18s %8d %7d %9.1f %9.1f %9.1f %9.1f\n", name, s.Count, s.Errors, s.P50Ms, s.P95Ms, s.P99Ms, s.MaxMs)
	}
	fmt.Fprintf(w, "orders: placed %d, confirmed %d, rejected %d, unsettled %d\n",
		r.Orders.Placed, r.Orders.Confirmed, r.Orders.Rejected, r.Orders.Unsettled)
}

// serveProbes answers /health and /ready while the load runs, so a
// Deployment of the load generator has the probes every workload has.
func serveProbes(addr string) (func(), error) {
	ln, err := net.Listen("tcp", addr)
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
