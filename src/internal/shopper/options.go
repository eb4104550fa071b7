package shopper

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Options are a run's settings: loadgen's flags, which soak and drill
// share with their own defaults (Flags), or a probe's single shopper.
type Options struct {
	// Storefront is the storefront's base URL; CatalogURL, SearchURL and
	// OrderURL are the JSON APIs the api journey uses.
	Storefront, CatalogURL, SearchURL, OrderURL string
	Users                                       int
	// Rate is journeys started per second in total; 0 starts the next
	// journey of a shopper at once.
	Rate float64
	// Duration is how long journeys are started; 0 until stopped.
	Duration    time.Duration
	MaxJourneys int64
	// Think is the mean pause between a shopper's steps.
	Think time.Duration
	// Timeout bounds each request; OrderTimeout how long a shopper follows
	// an order, polling every Poll.
	Timeout, OrderTimeout, Poll time.Duration
	// ErrorPause is how long a shopper waits after an error.
	ErrorPause time.Duration
	// CheckoutRetries is how often a failed order is submitted again (the
	// same form or Idempotency-Key, so the same order).
	CheckoutRetries int
	// Retries is how often a failed GET is repeated, RetryPause apart (a
	// probe waiting for services that start).
	Retries    int
	RetryPause time.Duration
	// TypoRate is the share of searches that are misspelt.
	TypoRate float64
	// DeclineRate is the share of orders paid with a card the test
	// provider declines (docs/payment.md).
	DeclineRate float64
	Mix         []Weight
}

// Weight is one journey's share of the mix.
type Weight struct {
	Journey string
	Weight  int
}

// Journeys are the journeys a shopper takes: browse (home, a category,
// products), search (a query, sometimes misspelt, and a result), buy (the
// cart, checkout and the order followed to its end on the storefront) and
// api (a catalog page, a search and an order through the JSON APIs).
var Journeys = []string{"browse", "search", "buy", "api"}

// Limits that keep a mistyped flag from becoming an endless or enormous run.
const (
	maxUsers    = 10000
	maxDuration = 24 * time.Hour
	// MaxJourneys is the largest -journeys.
	MaxJourneys = 100_000_000
)

// Flags defines the shoppers' flags on fs, into o, and returns the mix
// (Check parses it).
func (o *Options) Flags(fs *flag.FlagSet) *string {
	fs.StringVar(&o.Storefront, "url", "http://127.0.0.1:5004", "storefront base URL (loopback or a cluster-internal address)")
	fs.StringVar(&o.CatalogURL, "catalog-url", "", "catalog API base URL; with it the api journey is possible")
	fs.StringVar(&o.SearchURL, "search-url", "", "search API base URL, used by the api journey")
	fs.StringVar(&o.OrderURL, "order-url", "", "order API base URL, used by the api journey to place orders")
	fs.IntVar(&o.Users, "users", 10, "concurrent shoppers (1-10000)")
	fs.Float64Var(&o.Rate, "rate", 0, "journeys started per second in total; 0 lets every shopper start the next journey at once")
	fs.DurationVar(&o.Duration, "duration", time.Minute, "how long journeys are started (at most 24h); 0 until SIGTERM")
	fs.Int64Var(&o.MaxJourneys, "journeys", 1_000_000, "stop after starting this many journeys")
	fs.DurationVar(&o.Think, "think", 300*time.Millisecond, "mean think time between a shopper's steps")
	fs.DurationVar(&o.Timeout, "timeout", 10*time.Second, "timeout of each request")
	fs.DurationVar(&o.OrderTimeout, "order-timeout", 60*time.Second, "how long a shopper follows an order before calling it unsettled")
	fs.DurationVar(&o.Poll, "poll", time.Second, "how often a shopper reloads a pending order")
	fs.DurationVar(&o.ErrorPause, "error-pause", time.Second, "how long a shopper waits after an error before the next journey")
	fs.IntVar(&o.CheckoutRetries, "checkout-retries", 5, "how often a failed checkout is submitted again (same form, so the same order)")
	fs.Float64Var(&o.TypoRate, "typos", 0.3, "share of searches that are misspelt (0-1)")
	fs.Float64Var(&o.DeclineRate, "declines", 0, "share of orders paid with a declined test card (0-1)")
	return fs.String("mix", "browse=50,search=30,buy=20", "journey mix: name=weight for browse, search, buy, api")
}

// Check validates the options, parses mix into them and trims the URLs.
func (o *Options) Check(mix string) error {
	var errs []error
	bad := func(cond bool, format string, a ...any) {
		if cond {
			errs = append(errs, fmt.Errorf(format, a...))
		}
	}
	bad(o.Users < 1 || o.Users > maxUsers, "-users must be 1-%d, got %d", maxUsers, o.Users)
	bad(o.Duration < 0 || o.Duration > maxDuration, "-duration must be from 0 (until stopped) to %s, got %s", maxDuration, o.Duration)
	bad(o.MaxJourneys < 1 || o.MaxJourneys > MaxJourneys, "-journeys must be 1-%d, got %d", MaxJourneys, o.MaxJourneys)
	bad(o.Rate < 0, "-rate must not be negative, got %g", o.Rate)
	bad(o.Think < 0 || o.ErrorPause < 0 || o.Timeout <= 0 || o.OrderTimeout <= 0 || o.Poll <= 0,
		"-think and -error-pause must not be negative; -timeout, -order-timeout and -poll must be positive")
	bad(o.TypoRate < 0 || o.TypoRate > 1, "-typos must be from 0 to 1, got %g", o.TypoRate)
	bad(o.DeclineRate < 0 || o.DeclineRate > 1, "-declines must be from 0 to 1, got %g", o.DeclineRate)
	bad(o.CheckoutRetries < 0 || o.CheckoutRetries > 20, "-checkout-retries must be 0-20, got %d", o.CheckoutRetries)
	var err error
	o.Mix, err = ParseMix(mix)
	errs = append(errs, err)
	for _, w := range o.Mix {
		bad(w.Journey == "api" && o.CatalogURL == "", "the api journey needs -catalog-url (and -order-url to place orders)")
	}
	for _, u := range []*string{&o.Storefront, &o.CatalogURL, &o.SearchURL, &o.OrderURL} {
		if *u = strings.TrimRight(*u, "/"); *u != "" {
			errs = append(errs, checkTarget(*u))
		}
	}
	return errors.Join(errs...)
}

// ParseMix reads name=weight pairs, comma-separated.
func ParseMix(s string) ([]Weight, error) {
	var out []Weight
	total := 0
	for part := range strings.SplitSeq(s, ",") {
		name, w, ok := strings.Cut(strings.TrimSpace(part), "=")
		n, err := strconv.Atoi(w)
		known := false
		for _, j := range Journeys {
			known = known || j == name
		}
		if !ok || err != nil || n < 0 || !known {
			return nil, fmt.Errorf("-mix: %q is not name=weight with a name of %s and a whole weight", part, strings.Join(Journeys, ", "))
		}
		if n > 0 {
			out = append(out, Weight{name, n})
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
// addresses: the shoppers are for the shop on this machine or in its own
// cluster, never for anyone else's server.
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
