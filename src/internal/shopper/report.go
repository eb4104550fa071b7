package shopper

import (
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"sync"
	"time"
)

// histogram counts latencies in buckets 1% wide (log scale) from 10 µs to
// about 2 minutes, so a run of any length keeps a fixed, small memory and
// its percentiles are within 1% of the exact ones.
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
	rank := max(int64(math.Ceil(float64(h.n)*p/100)), 1)
	var seen int64
	for i, c := range h.counts {
		if seen += c; seen >= rank {
			return min(time.Duration(float64(histMin)*math.Pow(histBase, float64(i))), h.max)
		}
	}
	return h.max
}

// Sample is one second of a run, for the live line and the plot.
type Sample struct {
	T        float64 `json:"t_s"`
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	P50Ms    float64 `json:"p50_ms"`
	P99Ms    float64 `json:"p99_ms"`
}

// Mark labels a moment of a run (a drill's fault), drawn on the plot.
type Mark struct {
	T     float64 `json:"t_s"`
	Label string  `json:"label"`
}

// stepStats is what one step of the journeys measured.
type stepStats struct {
	hist   *histogram
	errors int64
}

// Recorder collects every request's outcome and every order's last known
// status. One mutex is plenty: a shopper spends far longer waiting on the
// network than on the lock.
type Recorder struct {
	mu      sync.Mutex
	start   time.Time
	steps   map[string]*stepStats
	total   *histogram
	kinds   map[string]int64
	reqs    int64
	errs    int64
	orders  map[string]string // order id -> last status seen
	second  []time.Duration   // latencies of the current second
	secErrs int
	samples []Sample
	marks   []Mark
}

// NewRecorder returns a recorder of a run that started at start.
func NewRecorder(start time.Time) *Recorder {
	return &Recorder{start: start, steps: map[string]*stepStats{}, total: newHistogram(),
		kinds: map[string]int64{}, orders: map[string]string{}}
}

// request records one request of step; kind is empty on success.
func (r *Recorder) request(step string, d time.Duration, kind string) {
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
		r.count(kind)
	}
}

// failure records a problem that is not one request (an order that never
// settled, a page without what such pages have), as an error of its kind.
func (r *Recorder) failure(kind string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.count(kind)
}

func (r *Recorder) count(kind string) {
	r.errs++
	r.kinds[kind]++
	r.secErrs++
}

// order records the status a shopper saw of order id.
func (r *Recorder) order(id, status string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.orders[id] = status
}

// Totals are the run's numbers so far: requests, errors, orders placed
// and the latency under which 99% of the requests were answered.
func (r *Recorder) Totals() (requests, errors, orders int64, p99 time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reqs, r.errs, int64(len(r.orders)), r.total.percentile(99)
}

// Mark labels now on the run's timeline.
func (r *Recorder) Mark(label string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.marks = append(r.marks, Mark{T: time.Since(r.start).Seconds(), Label: label})
}

// tick closes the current second into a Sample and returns it.
func (r *Recorder) tick(now time.Time) Sample {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := Sample{T: now.Sub(r.start).Seconds(), Requests: len(r.second), Errors: r.secErrs}
	if len(r.second) > 0 {
		slices.Sort(r.second)
		s.P50Ms = ms(r.second[(len(r.second)-1)/2])
		s.P99Ms = ms(r.second[min(int(math.Ceil(float64(len(r.second))*0.99))-1, len(r.second)-1)])
	}
	r.samples = append(r.samples, s)
	r.second, r.secErrs = r.second[:0], 0
	return s
}

// Report is the outcome of a run; its JSON form is what loadgen -json
// writes and what make e2e, soak and drill read.
type Report struct {
	Target string `json:"target"`
	// RunID is in the email address of every order of the run
	// (shopper-<run_id>-<n>@example.com), so the orders of one run can be
	// told apart in the order database (package accounting).
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

// OrderStats counts the orders the shoppers placed, by the last status they
// saw; IDs maps each order to that status, for the accounting.
type OrderStats struct {
	Placed    int64             `json:"placed"`
	Confirmed int64             `json:"confirmed"`
	Rejected  int64             `json:"rejected"`
	Unsettled int64             `json:"unsettled"`
	IDs       map[string]string `json:"ids"`
}

// Report sums the run up to end.
func (r *Recorder) Report(end time.Time) Report {
	r.mu.Lock()
	defer r.mu.Unlock()
	elapsed := end.Sub(r.start)
	rep := Report{Started: r.start, ElapsedS: elapsed.Seconds(), Requests: r.reqs, Errors: r.errs,
		ErrorsByKind: maps.Clone(r.kinds), Steps: map[string]StepStats{},
		P50Ms: ms(r.total.percentile(50)), P95Ms: ms(r.total.percentile(95)), P99Ms: ms(r.total.percentile(99)),
		Timeline: slices.Clone(r.samples), Marks: slices.Clone(r.marks),
		Orders: OrderStats{Placed: int64(len(r.orders)), IDs: maps.Clone(r.orders)}}
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
	for _, status := range r.orders {
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

// Print writes the human-readable report.
func (r Report) Print(w io.Writer) {
	fmt.Fprintf(w, "\nloadgen: %s against %s, %d users", time.Duration(r.ElapsedS*float64(time.Second)).Round(time.Second), r.Target, r.Users)
	if r.Rate > 0 {
		fmt.Fprintf(w, ", %.1f journeys/s", r.Rate)
	}
	fmt.Fprintf(w, ", %d journeys\n", r.Journeys)
	fmt.Fprintf(w, "requests %d  errors %d (%.3f%%)  rps %.1f  p50 %.1fms  p95 %.1fms  p99 %.1fms\n",
		r.Requests, r.Errors, 100*r.ErrorRate, r.RPS, r.P50Ms, r.P95Ms, r.P99Ms)
	if len(r.ErrorsByKind) > 0 {
		fmt.Fprintf(w, "errors by kind:")
		for _, k := range slices.Sorted(maps.Keys(r.ErrorsByKind)) {
			fmt.Fprintf(w, " %s %d", k, r.ErrorsByKind[k])
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "%-18s %8s %7s %9s %9s %9s %9s\n", "step", "count", "errors", "p50 ms", "p95 ms", "p99 ms", "max ms")
	for _, name := range slices.Sorted(maps.Keys(r.Steps)) {
		s := r.Steps[name]
		fmt.Fprintf(w, "%-18s %8d %7d %9.1f %9.1f %9.1f %9.1f\n", name, s.Count, s.Errors, s.P50Ms, s.P95Ms, s.P99Ms, s.MaxMs)
	}
	fmt.Fprintf(w, "orders: placed %d, confirmed %d, rejected %d, unsettled %d\n",
		r.Orders.Placed, r.Orders.Confirmed, r.Orders.Rejected, r.Orders.Unsettled)
}

// Progress returns the live progress line of a run: rewritten in place
// every second on a terminal, else one line every every (0: none).
func Progress(w io.Writer, every time.Duration) func(Sample, *Recorder) {
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
	return func(s Sample, r *Recorder) {
		reqs, errs, orders, p99 := r.Totals()
		line := fmt.Sprintf("%4.0fs  requests %d  errors %d  rps %d  p99 %s (last 1s %.1fms)  orders %d",
			s.T, reqs, errs, s.Requests, p99.Round(100*time.Microsecond), s.P99Ms, orders)
		if tty {
			fmt.Fprintf(w, "\r\033[K%s", line)
			return
		}
		if now := time.Duration(s.T * float64(time.Second)); now-last >= every {
			last = now
			fmt.Fprintln(w, line)
		}
	}
}
