package shopper

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shop-platform/shop/src/internal/platform/testenv"
)

// shopBin is the all-in-one shop (src/cmd/shop) as make run builds it
// (-tags embedded), built once for the package's tests: the shoppers are
// tested against the real shop, as a person meets it.
var shopBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "shopper-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	shopBin = filepath.Join(dir, "shop")
	if err := testenv.BuildMakeRunShop(context.Background(), "../../..", shopBin); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// startShop runs the shop (embedded backends) on free loopback ports and
// returns the URLs of its services by name.
func startShop(t *testing.T) map[string]string {
	t.Helper()
	urls := map[string]string{}
	env := append(os.Environ(), "HOST=127.0.0.1", "LOG_LEVEL=warn", "CHECKOUT_RATE_LIMIT=100000", "DATABASE_URL=", "AMQP_URL=", "ELASTICSEARCH_URL=")
	for _, name := range []string{"catalog", "search", "order", "frontend"} {
		p := testenv.FreePort(t)
		env = append(env, fmt.Sprintf("%s_PORT=%d", strings.ToUpper(name), p))
		urls[name] = fmt.Sprintf("http://127.0.0.1:%d", p)
	}
	cmd := exec.Command(shopBin)
	cmd.Env = env
	var logs testenv.Output
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
	deadline := time.Now().Add(time.Minute)
	for name, u := range urls {
		for {
			resp, err := http.Get(u + "/ready")
			if err == nil {
				_ = resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			select {
			case <-exited:
				t.Fatalf("the shop exited:\n%s", logs.String())
			case <-time.After(100 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s never became ready:\n%s", name, logs.String())
			}
		}
	}
	return urls
}

func testOptions(t *testing.T, storefront, mix string, d time.Duration) *Options {
	t.Helper()
	o := &Options{Storefront: storefront, Users: 4, Duration: d, MaxJourneys: 1000, Think: 20 * time.Millisecond,
		Timeout: 5 * time.Second, OrderTimeout: 30 * time.Second, Poll: 200 * time.Millisecond,
		CheckoutRetries: 2, TypoRate: 0.5, ErrorPause: 100 * time.Millisecond}
	if err := o.Check(mix); err != nil {
		t.Fatal(err)
	}
	return o
}

func TestShoppersBrowseSearchAndBuyOnTheRealShop(t *testing.T) {
	urls := startShop(t)
	o := testOptions(t, urls["frontend"], "browse=1,search=1,buy=2", 4*time.Second)
	var lines bytes.Buffer
	rep := Run(t.Context(), o, NewRecorder(time.Now()), nil, Progress(&lines, time.Second))

	if rep.Errors != 0 {
		t.Fatalf("%d errors against a healthy shop: %v", rep.Errors, rep.ErrorsByKind)
	}
	for _, step := range []string{"home", "category", "product", "search", "cart_add", "cart", "checkout_form", "checkout", "order_status"} {
		s := rep.Steps[step]
		if s.Count == 0 {
			t.Errorf("step %s never ran; steps: %v", step, rep.Steps)
		}
		if s.Count > 0 && (s.P50Ms <= 0 || s.P99Ms < s.P50Ms || s.MaxMs < s.P99Ms) {
			t.Errorf("step %s: percentiles out of order: %+v", step, s)
		}
	}
	ord := rep.Orders
	if ord.Placed == 0 || ord.Confirmed+ord.Rejected != ord.Placed || ord.Unsettled != 0 || int64(len(ord.IDs)) != ord.Placed {
		t.Fatalf("orders %+v: want some placed and every one followed to confirmed or rejected", ord)
	}
	// What the shoppers saw is what the order service holds, and every
	// order carries the run's id in its email address (how the accounting
	// counts one run's orders).
	if len(rep.RunID) != 8 {
		t.Fatalf("run id %q: want 8 hex digits", rep.RunID)
	}
	for id, status := range ord.IDs {
		var got struct {
			Status   string `json:"status"`
			Customer struct {
				Email string `json:"email"`
			} `json:"customer"`
		}
		getJSON(t, urls["order"]+"/orders/"+id, &got)
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
	rep.Print(&text)
	for _, want := range []string{"errors 0 (0.000%)", "checkout", "orders: placed"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, text.String())
		}
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
}

// A run stopped early (the probe's SIGTERM, a drill's last fault) starts no
// journey after the stop, yet the orders already placed are followed to
// their end: the accounting then finds every one final.
func TestStoppedRunFollowsItsOrdersToTheEnd(t *testing.T) {
	urls := startShop(t)
	o := &Options{Storefront: urls["frontend"], CatalogURL: urls["catalog"], SearchURL: urls["search"], OrderURL: urls["order"],
		Users: 3, MaxJourneys: 1000, Timeout: 5 * time.Second, OrderTimeout: 30 * time.Second, Poll: 100 * time.Millisecond}
	if err := o.Check("api=1,buy=1"); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	time.AfterFunc(2*time.Second, func() { close(stop) })
	start := time.Now()
	rep := Run(t.Context(), o, NewRecorder(start), stop, nil)
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("the run went on %s after the stop", took)
	}
	if rep.Errors != 0 || rep.Steps["api_create_order"].Count == 0 || rep.Steps["api_search"].Count == 0 {
		t.Fatalf("errors %v, steps %v", rep.ErrorsByKind, rep.Steps)
	}
	if rep.Orders.Placed == 0 || rep.Orders.Unsettled != 0 {
		t.Fatalf("orders %+v: want some, every one followed to its end", rep.Orders)
	}
}

// The probe's checks: the verified journey ends with a confirmed order,
// and an order through the APIs reaches a final state.
func TestCheckAndOrderOnTheRealShop(t *testing.T) {
	urls := startShop(t)
	o := &Options{Storefront: urls["frontend"], CatalogURL: urls["catalog"], OrderURL: urls["order"],
		Timeout: 5 * time.Second, OrderTimeout: 30 * time.Second, Poll: 100 * time.Millisecond}
	var said []string
	say := func(format string, a ...any) { said = append(said, fmt.Sprintf(format, a...)) }
	if err := New(t.Context(), o, NewRecorder(time.Now()), "check@example.com").Check(say); err != nil {
		t.Fatalf("%v; said %q", err, said)
	}
	if last := said[len(said)-1]; !strings.HasSuffix(last, "confirmed") || !strings.Contains(strings.Join(said, "\n"), "search: ") {
		t.Fatalf("said %q", said)
	}
	if err := New(t.Context(), o, NewRecorder(time.Now()), "order@example.com").Order(say); err != nil {
		t.Fatal(err)
	}
}

func TestErrorsAreCountedByKind(t *testing.T) {
	o := testOptions(t, testenv.DeadURL(t), "browse=1", time.Second)
	rep := Run(t.Context(), o, NewRecorder(time.Now()), nil, nil)
	if rep.Requests == 0 || rep.Errors != rep.Requests || rep.ErrorsByKind["connection_refused"] != rep.Requests {
		t.Fatalf("against a closed port: %d requests, errors %v", rep.Requests, rep.ErrorsByKind)
	}
	// Shoppers pause after an error instead of spinning.
	if rep.Requests > int64(o.Users)*12 {
		t.Fatalf("%d requests in 1s from %d shoppers: they do not pause after errors", rep.Requests, o.Users)
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
		o := &Options{Storefront: tc.target, Users: 1, Duration: time.Second, MaxJourneys: 1, Timeout: time.Second, OrderTimeout: time.Second, Poll: time.Second}
		if err := o.Check(tc.mix); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %s: error %v, want %q", tc.target, tc.mix, err, tc.want)
		}
	}
	o := &Options{Storefront: "http://localhost:5004", Users: 0, Duration: 48 * time.Hour, MaxJourneys: 1, Timeout: time.Second, OrderTimeout: time.Second, Poll: time.Second}
	err := o.Check("browse=1")
	if err == nil || !strings.Contains(err.Error(), "-users must be") || !strings.Contains(err.Error(), "-duration must be") {
		t.Errorf("unbounded run accepted: %v", err)
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
	o.Users, o.Rate, o.Think = 10, 20, 0
	rep := Run(t.Context(), o, NewRecorder(time.Now()), nil, nil)
	if rep.Errors != 0 {
		t.Fatalf("errors %v", rep.ErrorsByKind)
	}
	if rep.Journeys < 30 || rep.Journeys > 42 {
		t.Fatalf("%d journeys in 2s at 20/s", rep.Journeys)
	}
}
