package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shop-platform/shop/src/internal/platform/testenv"
)

// binDir holds the shop's binaries, built once for the package's tests:
// the load generator is tested against the real shop, as a shopper meets it.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "loadgen-test-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	cmd := exec.Command("go", "build", "-o", dir+"/", "../shop", "../catalog", "../search", "../order", "../frontend")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the shop: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// startShop runs the all-in-one shop (embedded backends) on free loopback
// ports and returns the storefront and API URLs.
func startShop(t *testing.T) map[string]string {
	t.Helper()
	urls := map[string]string{}
	env := append(os.Environ(), "HOST=127.0.0.1", "LOG_LEVEL=warn", "CHECKOUT_RATE_LIMIT=100000", "DATABASE_URL=", "AMQP_URL=", "ELASTICSEARCH_URL=")
	for _, name := range serviceNames {
		p, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		env = append(env, fmt.Sprintf("%s_PORT=%d", strings.ToUpper(name), p))
		urls[name] = fmt.Sprintf("http://127.0.0.1:%d", p)
	}
	cmd := exec.Command(filepath.Join(binDir, "shop"))
	cmd.Env = env
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		<-exited
		if t.Failed() {
			t.Logf("shop output:\n%s", logs.String())
		}
	})
	for _, name := range serviceNames {
		if err := waitReady(t.Context(), urls[name]+"/ready", exited, time.Minute); err != nil {
			t.Fatalf("%v\n%s", err, logs.String())
		}
	}
	return urls
}

func testOptions(t *testing.T, target, mix string, d time.Duration) *options {
	t.Helper()
	o := &options{target: target, users: 4, duration: d, maxJourneys: 1000, think: 20 * time.Millisecond,
		timeout: 5 * time.Second, orderTimeout: 30 * time.Second, pollInterval: 200 * time.Millisecond,
		checkoutRetries: 2, typoRate: 0.5, errorPause: 100 * time.Millisecond}
	if err := o.check(mix); err != nil {
		t.Fatal(err)
	}
	return o
}

func TestShoppersBrowseSearchAndBuyOnTheRealShop(t *testing.T) {
	urls := startShop(t)
	o := testOptions(t, urls["frontend"], "browse=1,search=1,buy=2", 4*time.Second)
	var lines bytes.Buffer
	rep := runLoad(t.Context(), o, newProgress(&lines, time.Second), nil)

	if rep.Errors != 0 {
		t.Fatalf("%d errors against a healthy shop: %v", rep.Errors, rep.ErrorsByKind)
	}
	for _, step := range []string{"home", "category", "product", "search", "cart_add", "cart", "checkout_form", "checkout", "order_status"} {
		if rep.Steps[step].Count == 0 {
			t.Errorf("step %s never ran; steps: %v", step, sortedKeys(rep.Steps))
		}
		if s := rep.Steps[step]; s.Count > 0 && (s.P50Ms <= 0 || s.P99Ms < s.P50Ms || s.MaxMs < s.P99Ms) {
			t.Errorf("step %s: percentiles out of order: %+v", step, s)
		}
	}
	o2 := rep.Orders
	if o2.Placed == 0 || o2.Confirmed+o2.Rejected != o2.Placed || o2.Unsettled != 0 || int64(len(o2.IDs)) != o2.Placed {
		t.Fatalf("orders %+v: want some placed and every one followed to confirmed or rejected", o2)
	}
	// What the shoppers saw is what the order service holds, and every
	// order carries the run's id in its email address (how make e2e counts
	// one run's orders in PostgreSQL).
	if len(rep.RunID) != 8 {
		t.Fatalf("run id %q: want 8 hex digits", rep.RunID)
	}
	for id, status := range o2.IDs {
		resp, err := http.Get(urls["order"] + "/orders/" + id)
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Status   string `json:"status"`
			Customer struct {
				Email string `json:"email"`
			} `json:"customer"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&got)
		_ = resp.Body.Close()
		if got.Status != status {
			t.Errorf("order %s: shopper saw %s, order service says %s", id, status, got.Status)
		}
		if !strings.HasPrefix(got.Customer.Email, "shopper-"+rep.RunID+"-") {
			t.Errorf("order %s: email %q does not carry the run id %s", id, got.Customer.Email, rep.RunID)
		}
	}
	if n := len(rep.Timeline); n < 3 || n > 5 {
		t.Errorf("timeline has %d one-second samples for a 4s run", n)
	}
	if !strings.Contains(lines.String(), "requests ") || !strings.Contains(lines.String(), "p99 ") {
		t.Errorf("no progress line: %q", lines.String())
	}

	var text bytes.Buffer
	printReport(&text, rep)
	for _, want := range []string{"errors 0 (0.000%)", "checkout", "orders: placed"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, text.String())
		}
	}

	// The JSON report feeds the plot.
	dir := t.TempDir()
	path := filepath.Join(dir, "r.json")
	if err := writeJSON(path, nil, rep); err != nil {
		t.Fatal(err)
	}
	png := filepath.Join(dir, "r.png")
	if err := plotCommand([]string{"-in", path, "-out", png}, os.Stderr); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(png)
	if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) || len(b) < 10000 {
		t.Fatalf("plot is not a PNG (%d bytes, %v)", len(b), err)
	}
}

func TestAPIJourneyPlacesOrdersDirectly(t *testing.T) {
	urls := startShop(t)
	o := &options{target: urls["frontend"], catalogURL: urls["catalog"], searchURL: urls["search"], orderURL: urls["order"],
		users: 2, duration: 2 * time.Second, maxJourneys: 1000, timeout: 5 * time.Second, orderTimeout: 30 * time.Second,
		pollInterval: 100 * time.Millisecond, errorPause: 100 * time.Millisecond}
	if err := o.check("api=1"); err != nil {
		t.Fatal(err)
	}
	rep := runLoad(t.Context(), o, nil, nil)
	if rep.Errors != 0 || rep.Steps["api_create_order"].Count == 0 || rep.Steps["api_search"].Count == 0 {
		t.Fatalf("errors %v, steps %v", rep.ErrorsByKind, rep.Steps)
	}
	if rep.Orders.Placed == 0 || rep.Orders.Unsettled != 0 {
		t.Fatalf("orders %+v", rep.Orders)
	}
}

func TestErrorsAreCountedByKind(t *testing.T) {
	port, err := freePort() // nobody listens here
	if err != nil {
		t.Fatal(err)
	}
	o := testOptions(t, fmt.Sprintf("http://127.0.0.1:%d", port), "browse=1", time.Second)
	rep := runLoad(t.Context(), o, nil, nil)
	if rep.Requests == 0 || rep.Errors != rep.Requests || rep.ErrorsByKind["connection_refused"] != rep.Requests {
		t.Fatalf("against a closed port: %d requests, errors %v", rep.Requests, rep.ErrorsByKind)
	}
	// Shoppers pause after an error instead of spinning.
	if rep.Requests > int64(o.users)*12 {
		t.Fatalf("%d requests in 1s from %d shoppers: they do not pause after errors", rep.Requests, o.users)
	}
}

func TestOptionsAreChecked(t *testing.T) {
	for _, tc := range []struct{ target, mix, want string }{
		{"http://8.8.8.8", "browse=1", "refusing to send load to 8.8.8.8"},
		{"ftp://127.0.0.1", "browse=1", "is not an http(s) URL"},
		{"http://127.0.0.1", "browse=x", `"browse=x" is not name=weight`},
		{"http://127.0.0.1", "dance=1", `"dance=1" is not name=weight`},
		{"http://127.0.0.1", "browse=0", "add up to 0"},
		{"http://127.0.0.1", "api=1", "the api journey needs -catalog-url"},
	} {
		o := &options{target: tc.target, users: 1, duration: time.Second, maxJourneys: 1, timeout: time.Second, orderTimeout: time.Second, pollInterval: time.Second}
		err := o.check(tc.mix)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %s: error %v, want %q", tc.target, tc.mix, err, tc.want)
		}
	}
	o := &options{target: "http://localhost:5004", users: 0, duration: 48 * time.Hour, maxJourneys: 1, timeout: time.Second, orderTimeout: time.Second, pollInterval: time.Second}
	err := o.check("browse=1")
	if err == nil || !strings.Contains(err.Error(), "-users must be") || !strings.Contains(err.Error(), "-duration must be") {
		t.Errorf("unbounded run accepted: %v", err)
	}
}

func TestHistogramPercentilesWithinOnePercent(t *testing.T) {
	h := newHistogram()
	for i := 1; i <= 1000; i++ {
		h.add(time.Duration(i) * time.Millisecond)
	}
	for _, p := range []float64{50, 95, 99} {
		want := time.Duration(p*10) * time.Millisecond
		got := h.percentile(p)
		if got < want || float64(got) > float64(want)*1.011 {
			t.Errorf("p%g = %s, want %s within 1%%", p, got, want)
		}
	}
	if h.percentile(100) != time.Second {
		t.Errorf("p100 = %s, want the largest, 1s", h.percentile(100))
	}
}

func TestTypos(t *testing.T) {
	o := testOptions(t, "http://127.0.0.1:1", "browse=1", time.Second)
	sh := newShopper(o, http.DefaultTransport, newRecorder(time.Now()), newWords(), 1, t.Context(), t.Context(), nil)
	changed := 0
	for range 100 {
		if w := typo(sh.rng, "headphones"); w != "headphones" {
			changed++
			if d := len(w) - len("headphones"); d < -1 || d > 1 {
				t.Fatalf("typo %q is more than one letter off", w)
			}
		}
	}
	if changed < 80 {
		t.Fatalf("only %d of 100 typos changed the word", changed)
	}
}

func TestLevelsOff(t *testing.T) {
	flat := []int64{}
	leak := []int64{}
	for i := range 40 {
		flat = append(flat, int64(50<<20+(i%3)<<20))
		leak = append(leak, int64(50<<20+i*2<<20))
	}
	if v := levelsOff(flat, 0.15); !v.OK {
		t.Errorf("steady memory called a leak: %+v", v)
	}
	if v := levelsOff(leak, 0.15); v.OK {
		t.Errorf("memory growing 2 MiB a sample called level: %+v", v)
	}
}

// TestSoakOnPostgresAndRabbitMQ runs a short soak on the machine's
// PostgreSQL and RabbitMQ and checks it cleans up after itself.
func TestSoakOnPostgresAndRabbitMQ(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped with -short: a 20 s soak on PostgreSQL and RabbitMQ")
	}
	pgURL := testenv.PostgresAdminURL()
	u, err := url.Parse(pgURL)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(t.Context(), pgURL)
	if err != nil {
		testenv.Unavailable(t, "PostgreSQL", err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	testenv.RabbitURL(t)
	if _, err := exec.LookPath("rabbitmqctl"); err != nil {
		testenv.Unavailable(t, "rabbitmqctl (to make the soak's vhost)", err)
	}
	var out bytes.Buffer
	err = soakCommand(t.Context(), []string{"-bin", binDir, "-pg", u.Host, "-duration", "20s", "-users", "6", "-sample", "1s",
		"-max-growth", "1"}, &out)
	t.Log(out.String())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "soak OK") {
		t.Fatal("no verdict")
	}
	run := strings.Fields(out.String()[strings.Index(out.String(), "databases ")+len("databases "):])[0]
	run = strings.TrimSuffix(strings.TrimSuffix(run, ","), "_catalog")
	var n int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_database WHERE datname LIKE $1`, run+"%").Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d databases of run %s left behind (%v)", n, run, err)
	}
	vhosts, err := exec.Command("rabbitmqctl", "-q", "list_vhosts").CombinedOutput()
	if err != nil || strings.Contains(string(vhosts), "shop-"+run) {
		t.Fatalf("vhost shop-%s left behind (%v):\n%s", run, err, vhosts)
	}
}

func TestProbesAnswerWhileRunning(t *testing.T) {
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	stop, err := serveProbes(fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/health", "/ready"} {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d%s", port, path))
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %v %v", path, resp, err)
		}
		_ = resp.Body.Close()
	}
	stop()
	if _, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/health", port)); err == nil {
		t.Fatal("probes still answer after the run")
	}
}

func TestOpenLoopStartsJourneysAtTheRate(t *testing.T) {
	// A minimal storefront: a home page with a category, a category page
	// with a product, a product page.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `<a href="/category/lamps">Lamps</a> <a href="/product/lamp-1"><span class="name">Desk Lamp</span></a>`)
	}))
	defer srv.Close()
	o := testOptions(t, srv.URL, "browse=1", 2*time.Second)
	o.users, o.rate, o.think = 10, 20, 0
	rep := runLoad(t.Context(), o, nil, nil)
	if rep.Errors != 0 {
		t.Fatalf("errors %v", rep.ErrorsByKind)
	}
	if rep.Journeys < 30 || rep.Journeys > 42 {
		t.Fatalf("%d journeys in 2s at 20/s", rep.Journeys)
	}
}

func TestWordsAreLearntFromListingsAndSearchResults(t *testing.T) {
	w := newWords()
	w.learn(`<span class="name">Ergonomic <mark>Walnut</mark> Bookshelf</span><span class="name">USB-C Hub (4-port)</span>`)
	for _, want := range []string{"ergonomic", "walnut", "bookshelf"} {
		if !w.seen[want] {
			t.Errorf("%q not learnt; pool %v", want, w.list)
		}
	}
	if w.seen["usb-c"] || w.seen["hub"] {
		t.Errorf("learnt a word with digits or under four letters: %v", w.list)
	}
}
