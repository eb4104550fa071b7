package main

import (
	"maps"
	"math"
	"slices"
	"sort"
	"sync"
	"time"
)

// histogram counts latencies in buckets 1% wide (log scale) from 10 µs to
// about 2 minutes, so a run of any length keeps a fixed, small memory
// and its percentiles are within 1% of the exact ones.
type histogram struct {
	counts []int64
	n      int64
	max    time.Duration
}

const (
	histBase    = 1.01
	histMin     = 10 * time.Microsecond
	histBuckets = 1700
)

func newHistogram() *histogram { return &histogram{counts: make([]int64, histBuckets)} }

func (h *histogram) add(d time.Duration) {
	i := 0
	if d > histMin {
		i = min(int(math.Log(float64(d)/float64(histMin))/math.Log(histBase))+1, histBuckets-1)
	}
	h.counts[i]++
	h.n++
	h.max = max(h.max, d)
}

// percentile returns the upper bound of the bucket holding the p-th
// percentile (0-100), capped at the largest latency seen.
func (h *histogram) percentile(p float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := int64(math.Ceil(float64(h.n) * p / 100))
	rank = max(rank, 1)
	var seen int64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			upper := time.Duration(float64(histMin) * math.Pow(histBase, float64(i)))
			return min(upper, h.max)
		}
	}
	return h.max
}

// stepStats is what one step of the journeys measured.
type stepStats struct {
	hist   *histogram
	errors int64
}

// Sample is one second of the run, for the live line and the plot.
type Sample struct {
	T        float64 `json:"t_s"`
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	P50Ms    float64 `json:"p50_ms"`
	P99Ms    float64 `json:"p99_ms"`
}

// Mark labels a moment of the run (a drill's fault), drawn on the plot.
type Mark struct {
	T     float64 `json:"t_s"`
	Label string  `json:"label"`
}

// recorder collects every request's outcome. One mutex is plenty: a
// shopper spends far longer waiting on the network than on the lock.
type recorder struct {
	mu      sync.Mutex
	start   time.Time
	steps   map[string]*stepStats
	total   *histogram
	kinds   map[string]int64
	reqs    int64
	errs    int64
	orders  map[string]string // order id -> last status seen
	placed  int64
	second  []time.Duration // latencies of the current second
	secErrs int
	samples []Sample
	marks   []Mark
}

func newRecorder(start time.Time) *recorder {
	return &recorder{start: start, steps: map[string]*stepStats{}, total: newHistogram(),
		kinds: map[string]int64{}, orders: map[string]string{}}
}

// request records one request of step; kind is empty on success.
func (r *recorder) request(step string, d time.Duration, kind string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.steps[step]
	if s == nil {
		s = &stepStats{hist: newHistogram()}
		r.steps[step] = s
	}
	s.hist.add(d)
	r.total.add(d)
	r.reqs++
	r.second = append(r.second, d)
	if kind != "" {
		s.errors++
		r.errs++
		r.kinds[kind]++
		r.secErrs++
	}
}

// failure records a problem that is not one request (an order that never
// settled), counted as an error of its kind.
func (r *recorder) failure(kind string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs++
	r.kinds[kind]++
	r.secErrs++
}

func (r *recorder) orderPlaced(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.orders[id]; !ok {
		r.placed++
	}
	r.orders[id] = "pending"
}

func (r *recorder) orderStatus(id, status string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.orders[id] = status
}

func (r *recorder) mark(now time.Time, label string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.marks = append(r.marks, Mark{T: now.Sub(r.start).Seconds(), Label: label})
}

// tick closes the current second into a Sample and returns it.
func (r *recorder) tick(now time.Time) Sample {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := Sample{T: now.Sub(r.start).Seconds(), Requests: len(r.second), Errors: r.secErrs}
	if len(r.second) > 0 {
		slices.Sort(r.second)
		s.P50Ms = ms(r.second[(len(r.second)-1)/2])
		s.P99Ms = ms(r.second[min(int(math.Ceil(float64(len(r.second))*0.99))-1, len(r.second)-1)])
	}
	r.samples = append(r.samples, s)
	r.second = r.second[:0]
	r.secErrs = 0
	return s
}

// Report is the outcome of a run; its JSON form is what -json writes.
type Report struct {
	Target string `json:"target"`
	// RunID is in the email address of every checkout of the run
	// (shopper-<run_id>-<n>@example.com), so the orders of one run can be
	// told apart in the order database.
	RunID        string               `json:"run_id"`
	Started      time.Time            `json:"started"`
	ElapsedS     float64              `json:"elapsed_s"`
	Users        int                  `json:"users"`
	Rate         float64              `json:"rate"`
	Journeys     int64                `json:"journeys"`
	Requests     int64                `json:"requests"`
	Errors       int64                `json:"errors"`
	ErrorRate    float64              `json:"error_rate"`
	ErrorsByKind map[string]int64     `json:"errors_by_kind"`
	RPS          float64              `json:"rps"`
	P50Ms        float64              `json:"p50_ms"`
	P95Ms        float64              `json:"p95_ms"`
	P99Ms        float64              `json:"p99_ms"`
	Steps        map[string]StepStats `json:"steps"`
	Orders       OrderStats           `json:"orders"`
	Timeline     []Sample             `json:"timeline"`
	Marks        []Mark               `json:"marks"`
}

// StepStats are one step's numbers in the report.
type StepStats struct {
	Count  int64   `json:"count"`
	Errors int64   `json:"errors"`
	P50Ms  float64 `json:"p50_ms"`
	P95Ms  float64 `json:"p95_ms"`
	P99Ms  float64 `json:"p99_ms"`
	MaxMs  float64 `json:"max_ms"`
}

// OrderStats counts the orders the shoppers placed, by the last status
// they saw; IDs maps each order to that status, for a drill's accounting.
type OrderStats struct {
	Placed    int64             `json:"placed"`
	Confirmed int64             `json:"confirmed"`
	Rejected  int64             `json:"rejected"`
	Unsettled int64             `json:"unsettled"`
	IDs       map[string]string `json:"ids"`
}

func (r *recorder) report(end time.Time) Report {
	r.mu.Lock()
	defer r.mu.Unlock()
	elapsed := end.Sub(r.start)
	rep := Report{Started: r.start, ElapsedS: elapsed.Seconds(), Requests: r.reqs, Errors: r.errs,
		ErrorsByKind: maps.Clone(r.kinds), Steps: map[string]StepStats{},
		P50Ms: ms(r.total.percentile(50)), P95Ms: ms(r.total.percentile(95)), P99Ms: ms(r.total.percentile(99)),
		Timeline: slices.Clone(r.samples), Marks: slices.Clone(r.marks)}
	if elapsed > 0 {
		rep.RPS = float64(r.reqs) / elapsed.Seconds()
	}
	if r.reqs > 0 {
		rep.ErrorRate = float64(r.errs) / float64(r.reqs)
	}
	for name, s := range r.steps {
		rep.Steps[name] = StepStats{Count: s.hist.n, Errors: s.errors, P50Ms: ms(s.hist.percentile(50)),
			P95Ms: ms(s.hist.percentile(95)), P99Ms: ms(s.hist.percentile(99)), MaxMs: ms(s.hist.max)}
	}
	rep.Orders = OrderStats{Placed: r.placed, IDs: map[string]string{}}
	for id, status := range r.orders {
		rep.Orders.IDs[id] = status
		switch status {
		case "confirmed":
			rep.Orders.Confirmed++
		case "rejected":
			rep.Orders.Rejected++
		default:
			rep.Orders.Unsettled++
		}
	}
	return rep
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }

// sortedKeys returns m's keys in order, for stable reports.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
