package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shop-platform/shop/src/internal/platform/testenv"
)

// liveNamespace is the namespace label of the live test's targets.
const liveNamespace = "shop-live"

// services are the shop's four, each scraped as its own target.
var services = []string{"catalog", "search", "order", "payment", "frontend"}

// TestLivePrometheus runs the shop on PostgreSQL and RabbitMQ, a real
// Prometheus scraping it with the rules loaded, and traffic; then every
// dashboard query and rule must return series, the exported and used metric
// names must agree, and an induced broker outage must make alerts pending.
func TestLivePrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIPPED: the live Prometheus test takes a few minutes (-short)")
	}
	promBin := os.Getenv("SHOP_PROMETHEUS")
	if promBin == "" {
		promBin = filepath.Join(os.Getenv("HOME"), ".cache/shop/tools/prometheus-v0.316.0/prometheus")
	}
	if _, err := os.Stat(promBin); err != nil {
		testenv.Unavailable(t, "Prometheus (make monitoring-tools builds it)", err)
	}
	if _, err := exec.LookPath("rabbitmqctl"); err != nil {
		testenv.Unavailable(t, "rabbitmqctl (to give the test a vhost of its own)", err)
	}
	dbURL := testenv.NewDatabase(t)
	amqpURL := newVhost(t, testenv.RabbitURL(t))

	ports := map[string]int{}
	for _, s := range services {
		ports[s] = testenv.FreePort(t)
	}
	logs := startShop(t, dbURL, amqpURL, ports)
	prom := startPrometheus(t, promBin, ports)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := &http.Client{Timeout: 10 * time.Second}
	base := func(s string) string { return fmt.Sprintf("http://127.0.0.1:%d", ports[s]) }
	ids := productIDs(t, client, base("catalog"))
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() { browse(ctx, client, base, ids) })
	placeOrders(t, client, base("order"), ids)
	changeProduct(t, client, base("catalog"), ids[0])

	t.Run("every query returns series", func(t *testing.T) {
		eventually(t, 2*time.Minute, func() []string {
			var broken []string
			for _, x := range liveQueries(t) {
				n, err := prom.count(x.expr)
				if err != nil || n == 0 {
					broken = append(broken, fmt.Sprintf("%s: %q returned %d series (%v)", x.where, expand(x.expr), n, err))
				}
			}
			return broken
		})
	})

	t.Run("exported and used names agree", func(t *testing.T) {
		readme, err := os.ReadFile(filepath.Join(root, sourceDir, "README.md"))
		if err != nil {
			t.Fatal(err)
		}
		families := map[string]string{}
		for _, s := range services {
			for name, typ := range scrapeFamilies(t, client, base(s)+"/metrics") {
				families[name] = typ
			}
		}
		used := usedNames(t)
		for name := range families {
			if !used[name] && !mentioned(string(readme), name) {
				t.Errorf("%s is exported but no dashboard or rule uses it and monitoring/README.md does not say why", name)
			}
		}
		for name := range used {
			if _, ok := families[name]; !ok && !slices.Contains(recordedNames(), name) {
				t.Errorf("%s is used by a dashboard or rule but no service exports it", name)
			}
		}
	})

	t.Run("logs carry the service", func(t *testing.T) {
		n := 0
		for line := range strings.SplitSeq(logs.String(), "\n") {
			var rec map[string]any
			if json.Unmarshal([]byte(line), &rec) != nil {
				continue
			}
			if rec["service"] != nil {
				n++
			}
		}
		if n == 0 {
			t.Errorf("no JSON log line names its service:\n%s", logs.String())
		}
	})

	if os.Getenv("SHOP_UPDATE_MONITORING_PNG") == "1" {
		// Three minutes of shopping, so the picture has lines to show: an
		// order every second and a half, every tenth more than the stock.
		for i := 0; i < 120; i++ {
			quantity := 1
			if i%10 == 9 {
				quantity = 100
			}
			createOrder(t, client, base("order"), ids[i%len(ids)], quantity)
			time.Sleep(1500 * time.Millisecond)
		}
		if err := drawOverview(prom, filepath.Join(root, sourceDir, "overview.png")); err != nil {
			t.Errorf("drawing the overview: %v", err)
		}
	}

	t.Run("a broker outage makes alerts pending", func(t *testing.T) {
		deleteVhost(t, amqpURL)
		// An order placed during the outage waits in the outbox.
		createOrder(t, client, base("order"), ids[1], 1)
		for _, a := range []string{"ShopConsumerDown", "ShopOutboxStuck"} {
			eventually(t, 3*time.Minute, func() []string {
				state, err := prom.alertState(a)
				if err != nil || (state != "pending" && state != "firing") {
					return []string{fmt.Sprintf("%s is %q (%v), want pending", a, state, err)}
				}
				return nil
			})
		}
	})
}

// liveQuery is one expression the live test runs.
type liveQuery struct{ where, expr string }

func liveQueries(t *testing.T) []liveQuery {
	var out []liveQuery
	for file, d := range readDashboards(t) {
		for _, p := range allPanels(d.Panels) {
			for _, target := range p.Targets {
				out = append(out, liveQuery{file + ": " + p.Title, target.Expr})
			}
		}
	}
	for _, g := range rules().Groups {
		for _, r := range g.Rules {
			if r.Record != "" {
				out = append(out, liveQuery{"recording rule " + r.Record, r.Expr}, liveQuery{"recorded series " + r.Record, r.Record})
			}
			for _, p := range r.parts {
				out = append(out, liveQuery{"alert " + r.Alert, p})
			}
		}
	}
	return out
}

// eventually retries check until it reports nothing, failing with its last
// report after timeout.
func eventually(t *testing.T, timeout time.Duration, check func() []string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		problems := check()
		if len(problems) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s:\n%s", timeout, strings.Join(problems, "\n"))
		}
		time.Sleep(3 * time.Second)
	}
}

// newVhost gives the test a vhost of its own on the broker at brokerURL,
// deleted at the end, and returns its URL.
func newVhost(t *testing.T, brokerURL string) string {
	t.Helper()
	u, err := url.Parse(brokerURL)
	if err != nil {
		t.Fatal(err)
	}
	vhost := "monitoring-test-" + testenv.RandomSuffix()
	rabbitmqctl(t, "add_vhost", vhost)
	t.Cleanup(func() {
		out, err := exec.Command("rabbitmqctl", "-q", "delete_vhost", vhost).CombinedOutput()
		if err != nil && !strings.Contains(string(out), "does not exist") && !strings.Contains(string(out), "no_such_vhost") {
			t.Logf("deleting vhost %s: %v\n%s", vhost, err, out)
		}
	})
	rabbitmqctl(t, "set_permissions", "-p", vhost, u.User.Username(), ".*", ".*", ".*")
	u.Path, u.RawPath = "/"+vhost, ""
	return u.String()
}

// deleteVhost takes the shop's broker away: the broker closes the shop's
// connections and refuses new ones, as an unreachable broker would.
func deleteVhost(t *testing.T, amqpURL string) {
	t.Helper()
	u, err := url.Parse(amqpURL)
	if err != nil {
		t.Fatal(err)
	}
	rabbitmqctl(t, "delete_vhost", strings.TrimPrefix(u.Path, "/"))
}

func rabbitmqctl(t *testing.T, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "rabbitmqctl", append([]string{"-q"}, args...)...).CombinedOutput(); err != nil {
		t.Fatalf("rabbitmqctl %v: %v\n%s", args, err, out)
	}
}

const adminToken = "monitoring-test-admin-token"

// startShop builds src/cmd/shop as make run does, starts it on the given
// ports and waits until every service is ready; it is stopped with SIGTERM
// at the end.
func startShop(t *testing.T, dbURL, amqpURL string, ports map[string]int) *testenv.Output {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "shop")
	if err := testenv.BuildMakeRunShop(t.Context(), root, bin); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(),
		"HOST=127.0.0.1", "LOG_LEVEL=info", "ADMIN_TOKEN="+adminToken,
		"DATABASE_URL="+dbURL, "AMQP_URL="+amqpURL,
		fmt.Sprintf("CATALOG_PORT=%d", ports["catalog"]), fmt.Sprintf("SEARCH_PORT=%d", ports["search"]),
		fmt.Sprintf("ORDER_PORT=%d", ports["order"]), fmt.Sprintf("FRONTEND_PORT=%d", ports["frontend"]),
		fmt.Sprintf("PAYMENT_PORT=%d", ports["payment"]), fmt.Sprintf("TRACES_PORT=%d", testenv.FreePort(t)))
	out := &testenv.Output{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("shop output:\n%s", tail(out.String(), 4000))
		}
	})
	for _, s := range services {
		waitOK(t, fmt.Sprintf("http://127.0.0.1:%d/ready", ports[s]), 90*time.Second, out)
	}
	return out
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func waitOK(t *testing.T, u string, timeout time.Duration, logs fmt.Stringer) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		res, err := http.Get(u)
		if err == nil {
			_ = res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer 200 within %s (%v); output:\n%s", u, timeout, err, tail(logs.String(), 4000))
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// promServer is a running Prometheus.
type promServer struct{ base string }

// startPrometheus runs Prometheus scraping each service every 2 s, with the
// rules of monitoring/rules evaluated every 2 s. Each target gets the
// namespace and service labels the Prometheus Operator gives every target
// of the chart's monitors (liveNamespace stands for the release's).
func startPrometheus(t *testing.T, bin string, ports map[string]int) *promServer {
	t.Helper()
	dir := t.TempDir()
	rulesPath, err := filepath.Abs(filepath.Join(root, sourceDir, rulesFile))
	if err != nil {
		t.Fatal(err)
	}
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "global:\n  scrape_interval: 2s\n  evaluation_interval: 2s\nrule_files:\n  - %q\nscrape_configs:\n", rulesPath)
	for _, s := range services {
		fmt.Fprintf(&cfg, "  - job_name: %s\n    static_configs:\n      - targets: ['127.0.0.1:%d']\n        labels: {namespace: %s, service: %s}\n", s, ports[s], liveNamespace, s)
	}
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	port := testenv.FreePort(t)
	cmd := exec.Command(bin, "--config.file="+cfgPath, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port), "--log.level=warn")
	out := &testenv.Output{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("prometheus output:\n%s", tail(out.String(), 4000))
		}
	})
	p := &promServer{base: fmt.Sprintf("http://127.0.0.1:%d", port)}
	waitOK(t, p.base+"/-/ready", time.Minute, out)
	return p
}

// apiResult is the part of a Prometheus API answer the test reads.
type apiResult struct {
	Status string `json:"status"`
	Error  string `json:"error"`
	Data   struct {
		ResultType string            `json:"resultType"`
		Result     []json.RawMessage `json:"result"`
		Alerts     []struct {
			Labels map[string]string `json:"labels"`
			State  string            `json:"state"`
		} `json:"alerts"`
	} `json:"data"`
}

func (p *promServer) get(path string, params url.Values) (apiResult, error) {
	var r apiResult
	res, err := http.Get(p.base + path + "?" + params.Encode())
	if err != nil {
		return r, err
	}
	defer func() { _ = res.Body.Close() }()
	body, _ := io.ReadAll(res.Body)
	if err := json.Unmarshal(body, &r); err != nil {
		return r, fmt.Errorf("%s: %s", res.Status, body)
	}
	if r.Status != "success" {
		return r, fmt.Errorf("%s", r.Error)
	}
	return r, nil
}

// count is how many series expr (with the dashboards' variables expanded)
// returns now.
func (p *promServer) count(expr string) (int, error) {
	r, err := p.get("/api/v1/query", url.Values{"query": {expand(expr)}})
	return len(r.Data.Result), err
}

// alertState is the most advanced state of any instance of alert.
func (p *promServer) alertState(alert string) (string, error) {
	r, err := p.get("/api/v1/alerts", nil)
	state := "inactive"
	for _, a := range r.Data.Alerts {
		if a.Labels["alertname"] == alert && (state == "inactive" || a.State == "firing") {
			state = a.State
		}
	}
	return state, err
}

// scrapeFamilies reads the metric families and types of a /metrics page.
func scrapeFamilies(t *testing.T, client *http.Client, u string) map[string]string {
	t.Helper()
	res, err := client.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = res.Body.Close() }()
	body, _ := io.ReadAll(res.Body)
	out := map[string]string{}
	for line := range strings.SplitSeq(string(body), "\n") {
		if f := strings.Fields(line); len(f) == 4 && f[0] == "#" && f[1] == "TYPE" {
			out[f[2]] = f[3]
		}
	}
	return out
}

// productIDs are a few products of the seeded catalog.
func productIDs(t *testing.T, client *http.Client, catalog string) []string {
	t.Helper()
	res, err := client.Get(catalog + "/catalog?page_size=20&in_stock=true")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = res.Body.Close() }()
	var page struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if err := json.NewDecoder(res.Body).Decode(&page); err != nil || len(page.Items) < 3 {
		t.Fatalf("reading products: %v (%d)", err, len(page.Items))
	}
	var ids []string
	for _, it := range page.Items {
		ids = append(ids, it.ID)
	}
	return ids
}

// browse is a shopper and a few API clients until ctx ends: storefront
// pages, searches (one finding nothing), suggestions, catalog pages and a
// request for a product that does not exist.
func browse(ctx context.Context, client *http.Client, base func(string) string, ids []string) {
	paths := []string{
		base("frontend") + "/", base("frontend") + "/product/" + ids[0], base("frontend") + "/search?q=mug",
		base("frontend") + "/cart",
		base("search") + "/search?q=mug", base("search") + "/search?q=zzqxjvw", base("search") + "/search/suggest?q=te",
		base("catalog") + "/catalog?page_size=5", base("catalog") + "/catalog/categories", base("catalog") + "/catalog/no-such-product",
		base("order") + "/",
	}
	for ctx.Err() == nil {
		for _, p := range paths {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p, nil)
			if res, err := client.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, res.Body)
				_ = res.Body.Close()
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func createOrder(t *testing.T, client *http.Client, orderURL, productID string, quantity int) string {
	t.Helper()
	body := fmt.Sprintf(`{"customer":{"email":"ann@example.com","name":"Ann","address":{"line1":"1 High St","city":"London","postal_code":"N1 1AA","country":"GB"}},"items":[{"product_id":%q,"quantity":%d}],"payment":{"card_number":"4242424242424242","exp_month":12,"exp_year":2040,"cvc":"123"}}`, productID, quantity)
	res, err := client.Post(orderURL+"/create-order", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = res.Body.Close() }()
	var created struct {
		OrderID string `json:"order_id"`
	}
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusAccepted || json.Unmarshal(raw, &created) != nil {
		t.Fatalf("creating an order: %s %s", res.Status, raw)
	}
	return created.OrderID
}

// placeOrders places orders that are confirmed and one that is rejected
// (more than the stock), and waits for the saga to settle them all.
func placeOrders(t *testing.T, client *http.Client, orderURL string, ids []string) {
	t.Helper()
	orders := map[string]string{}
	for i := range 5 {
		orders[createOrder(t, client, orderURL, ids[i%3], 1)] = "confirmed"
	}
	orders[createOrder(t, client, orderURL, ids[2], 100)] = "rejected"
	eventually(t, time.Minute, func() []string {
		var waiting []string
		for id, want := range orders {
			res, err := client.Get(orderURL + "/orders/" + id)
			if err != nil {
				return []string{err.Error()}
			}
			var o struct {
				Status string `json:"status"`
			}
			_ = json.NewDecoder(res.Body).Decode(&o)
			_ = res.Body.Close()
			if o.Status != want {
				waiting = append(waiting, fmt.Sprintf("order %s is %q, want %q", id, o.Status, want))
			}
		}
		return waiting
	})
}

// changeProduct replaces a product through the admin API, so a
// product.upserted event reaches the search index.
func changeProduct(t *testing.T, client *http.Client, catalogURL, id string) {
	t.Helper()
	res, err := client.Get(catalogURL + "/catalog/" + id)
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	_ = json.NewDecoder(res.Body).Decode(&p)
	_ = res.Body.Close()
	p["description"] = "Changed by the monitoring test."
	for _, k := range []string{"id", "created_at", "updated_at", "revision"} {
		delete(p, k)
	}
	body, _ := json.Marshal(p)
	req, _ := http.NewRequest(http.MethodPut, catalogURL+"/catalog/"+id, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	res, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("changing product %s: %s %s", id, res.Status, raw)
	}
}
