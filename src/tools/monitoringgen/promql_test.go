package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/promql/parser"
)

// Grafana's variables, replaced by values Prometheus accepts to parse and
// run a panel's query; rateInterval is recognisable in the parsed query.
const (
	rateInterval = 77 * time.Second
)

// expand replaces the dashboards' variables: every namespace and service,
// and a rate interval of rateInterval.
func expand(expr string) string {
	return strings.NewReplacer("$__rate_interval", "77s", "$namespace", ".+", "$service", ".+").Replace(expr)
}

// selectors are the metric names expr selects, with whether each appears as
// a counter argument of rate() over $__rate_interval.
type selector struct {
	name       string
	rated      bool // inside rate(...[$__rate_interval])
	rangeOther bool // inside some other range
}

func selectors(expr string) ([]selector, error) {
	e, err := parser.NewParser(parser.Options{}).ParseExpr(expand(expr))
	if err != nil {
		return nil, fmt.Errorf("parsing %q: %w", expr, err)
	}
	var out []selector
	parser.Inspect(e, func(n parser.Node, path []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		s := selector{name: vs.Name}
		if len(path) >= 2 {
			if ms, ok := path[len(path)-1].(*parser.MatrixSelector); ok {
				call, _ := path[len(path)-2].(*parser.Call)
				if call != nil && call.Func.Name == "rate" && ms.Range == rateInterval {
					s.rated = true
				} else {
					s.rangeOther = true
				}
			}
		}
		out = append(out, s)
		return nil
	})
	return out, nil
}

// exported lists every name of names.go: what the dashboards and rules may
// use. The lists are the tests' alone: the generator itself needs none.
var exported = []string{
	httpRequests, httpDuration, httpInFlight,
	goroutines, heapInUse, gcDuration, allocated, residentMemory, cpuSeconds, processStartTime, openFDs,
	poolConnections, poolMax, poolWait,
	outboxPublished, outboxFailures, outboxBacklog, outboxOldestAge,
	consumed, consumerFailures, redelivered, deadLettered, consumerUp,
	ordersCreated, ordersConfirmed, ordersRejected, stockReservations, payments, paymentsUnknown,
	searchDocuments, searchEvents, searchDuration, searchReindex, searchZeroResults,
	pageSeconds, backendSeconds, breakerOpen,
}

// histograms are the exported names that are histograms or summaries: they
// are queried through their _bucket, _count and _sum series.
var histograms = []string{httpDuration, gcDuration, searchDuration, pageSeconds, backendSeconds}

// gauges whose names end in _total anyway (fiberprometheus's in-flight
// gauge): not counters, so not wrapped in rate().
var totalGauges = []string{httpInFlight}

// isCounter tells whether a series name is a counter's (or a histogram's
// cumulative _bucket, _count and _sum).
func isCounter(name string) bool {
	if slices.Contains(totalGauges, name) {
		return false
	}
	for _, suffix := range []string{"_total", "_bucket", "_count", "_sum"} {
		if strings.HasSuffix(name, suffix) {
			return true
		}
	}
	return false
}

// family is the exported metric a series name belongs to: a histogram's
// _bucket, _count and _sum series belong to the histogram.
func family(name string) string {
	for _, h := range histograms {
		for _, suffix := range []string{"_bucket", "_count", "_sum"} {
			if name == h+suffix {
				return h
			}
		}
	}
	return name
}

func TestSelectorsTellRatedCounters(t *testing.T) {
	for expr, want := range map[string]selector{
		"sum(http_requests_total)":                                     {name: "http_requests_total"},
		"sum(rate(http_requests_total[$__rate_interval]))":             {name: "http_requests_total", rated: true},
		"sum(rate(http_requests_total[5m]))":                           {name: "http_requests_total", rangeOther: true},
		"increase(http_requests_total[$__rate_interval])":              {name: "http_requests_total", rangeOther: true},
		`changes(process_start_time_seconds{service=~"$service"}[1h])`: {name: "process_start_time_seconds", rangeOther: true},
	} {
		got, err := selectors(expr)
		if err != nil || len(got) != 1 || got[0] != want {
			t.Errorf("selectors(%q) = %+v, %v; want [%+v]", expr, got, err, want)
		}
	}
}
