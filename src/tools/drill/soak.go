package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/shopper"
)

// soakCommand runs the shop's five services on the machine's PostgreSQL
// and RabbitMQ (databases and a vhost of the run's own, dropped at the
// end) under steady load, samples each service's memory every interval,
// and fails when errors pass the budget or memory keeps growing.
func soakCommand(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("drill soak", flag.ContinueOnError)
	// A soak's own defaults: enough shoppers to keep the services busy
	// for the whole of the classic ten minutes.
	sf := newStackFlags(fs, map[string]string{"users": "20", "duration": "10m", "think": "200ms",
		"progress": "30s", "journeys": strconv.Itoa(shopper.MaxJourneys), "mix": "browse=45,search=30,buy=25"})
	o := &sf.o
	pgHost := fs.String("pg", "127.0.0.1:5432", "PostgreSQL host:port (user postgres, trust)")
	every := fs.Duration("sample", 0, "how often each service's memory is sampled; 0: a 30th of the duration, from 1s to 10s")
	budget := fs.Float64("max-error-rate", 0.001, "largest error rate that passes")
	growth := fs.Float64("max-growth", 0.15, "largest growth of memory from the second quarter of the run to the last that passes")
	jsonOut := fs.String("json", "", "write the report and memory samples as JSON to this file")
	if err := sf.parse(fs, args); err != nil {
		return err
	}
	if *every <= 0 {
		*every = min(max(o.Duration/30, time.Second), 10*time.Second)
	}
	if _, _, err := net.SplitHostPort(*pgHost); err != nil {
		return fmt.Errorf("-pg %q is not host:port: %w", *pgHost, err)
	}
	run := "soak_" + randomHex(4)
	dir, err := os.MkdirTemp("", "shop-"+run+"-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	cleanup := context.WithoutCancel(ctx)
	pg := &postgres{addr: *pgHost}
	mq, err := sharedRabbit(ctx, "shop-"+run)
	if err != nil {
		return err
	}
	defer func() { _ = mq.destroy(cleanup) }()
	st, err := sf.startStack(ctx, dir, run, pg, mq)
	if err != nil {
		return err
	}
	defer func() { _ = st.stop(cleanup) }()
	fmt.Fprintf(stdout, "soak: %s of %d shoppers against %s (databases %s, %s; vhost %s)\n",
		o.Duration, o.Users, o.Storefront, st.dbs["catalog"], st.dbs["order"], mq.vhost)

	samples, heap := map[string][]int64{}, map[string][]int64{}
	var times []float64
	sampleCtx, stopSampling := context.WithCancel(ctx)
	var wg sync.WaitGroup
	start := time.Now()
	sample := func() {
		times = append(times, time.Since(start).Seconds())
		for _, name := range serviceNames {
			n, _ := st.procs[name].Memory("VmRSS")
			samples[name] = append(samples[name], n)
			h, _ := heapInuse(ctx, st.url(name))
			heap[name] = append(heap[name], h)
		}
	}
	wg.Go(func() {
		sample()
		for platform.Sleep(sampleCtx, *every) {
			sample()
		}
	})
	rep := shopper.Run(ctx, o, shopper.NewRecorder(time.Now()), nil, shopper.Progress(stdout, sf.progress))
	stopSampling()
	wg.Wait()
	rep.Print(stdout)

	var problems []error
	if rep.Requests == 0 || rep.ErrorRate > *budget {
		problems = append(problems, fmt.Errorf("error rate %.4f%% of %d requests is over the %.2f%% budget", 100*rep.ErrorRate, rep.Requests, 100**budget))
	}
	fmt.Fprintf(stdout, "\nmemory (RSS MiB, sampled every %s; Go heap in use MiB):\n%-10s %8s %8s %8s %8s %8s %9s %9s  %s\n",
		*every, "service", "start", "q2 mean", "q4 mean", "max", "end", "heap q2", "heap q4", "verdict")
	mem := map[string]memoryVerdict{}
	for _, name := range serviceNames {
		v := levelsOff(samples[name], *growth)
		verdict := "levels off"
		switch {
		case len(samples[name]) < 8:
			verdict = "too few samples"
			problems = append(problems, fmt.Errorf("%s: %d memory samples are too few to tell whether memory levels off (-sample shorter)", name, len(samples[name])))
		case !v.OK:
			verdict = "GROWS"
			problems = append(problems, fmt.Errorf("%s memory grows: %.1f MiB in the second quarter, %.1f MiB in the last", name, v.Q2MiB, v.Q4MiB))
		}
		hv := levelsOff(heap[name], *growth)
		v.HeapQ2MiB, v.HeapQ4MiB = hv.Q2MiB, hv.Q4MiB
		mem[name] = v
		fmt.Fprintf(stdout, "%-10s %8.1f %8.1f %8.1f %8.1f %8.1f %9.1f %9.1f  %s\n", name, v.StartMiB, v.Q2MiB, v.Q4MiB, v.MaxMiB, v.EndMiB, v.HeapQ2MiB, v.HeapQ4MiB, verdict)
	}
	if *jsonOut != "" {
		if err := writeJSON(*jsonOut, struct {
			shopper.Report
			MemoryTimesS []float64                `json:"memory_times_s"`
			MemoryBytes  map[string][]int64       `json:"memory_bytes"`
			HeapBytes    map[string][]int64       `json:"heap_inuse_bytes"`
			Memory       map[string]memoryVerdict `json:"memory"`
		}{rep, times, samples, heap, mem}); err != nil {
			return err
		}
	}
	if len(problems) == 0 {
		fmt.Fprintf(stdout, "soak OK: error rate %.4f%%, every service's memory levels off\n", 100*rep.ErrorRate)
	}
	return errors.Join(problems...)
}

// memoryVerdict summarises one service's memory over a soak.
type memoryVerdict struct {
	StartMiB float64 `json:"start_mib"`
	Q2MiB    float64 `json:"q2_mean_mib"`
	Q4MiB    float64 `json:"q4_mean_mib"`
	MaxMiB   float64 `json:"max_mib"`
	EndMiB   float64 `json:"end_mib"`
	// The Go heap in use, from /metrics: tells a growing live heap from
	// memory the runtime has not returned yet.
	HeapQ2MiB float64 `json:"heap_q2_mean_mib"`
	HeapQ4MiB float64 `json:"heap_q4_mean_mib"`
	OK        bool    `json:"levels_off"`
}

// levelsOff compares the mean of the second quarter of the samples (after
// warm-up: caches filled, pools grown) with the last quarter. A leak keeps
// growing; a service that has levelled off stays within the allowed
// growth, plus 4 MiB for the noise of a garbage-collected heap.
func levelsOff(s []int64, growth float64) memoryVerdict {
	mib := func(b float64) float64 { return b / (1 << 20) }
	if len(s) < 8 {
		return memoryVerdict{}
	}
	mean := func(part []int64) float64 {
		var t float64
		for _, v := range part {
			t += float64(v)
		}
		return t / float64(len(part))
	}
	q := len(s) / 4
	q2, q4 := mean(s[q:2*q]), mean(s[len(s)-q:])
	return memoryVerdict{StartMiB: mib(float64(s[0])), Q2MiB: mib(q2), Q4MiB: mib(q4),
		MaxMiB: mib(float64(slices.Max(s))), EndMiB: mib(float64(s[len(s)-1])),
		OK: q4 <= q2*(1+growth)+4<<20}
}

// heapInuse reads the Go heap in use off a service's /metrics.
func heapInuse(ctx context.Context, base string) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer func() { _ = resp.Body.Close() }()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return 0, fmt.Errorf("reading %s/metrics: %w", base, err)
	}
	for _, m := range families[platform.MetricHeapInUse].GetMetric() {
		return int64(m.GetGauge().GetValue()), nil
	}
	return 0, fmt.Errorf("no %s in %s/metrics", platform.MetricHeapInUse, base)
}
