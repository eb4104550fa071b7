// Package browsertest drives the whole shop, as `make run` starts it, in
// headless Chromium. It is a module of its own so that chromedp, which only
// these tests need, stays out of the services' module (and out of what a
// cold `make run` downloads). Set SHOP_SCREENSHOTS to a directory (relative
// to the repository root) to save screenshots of the pages they visit:
//
//	cd src/tools/browsertest && SHOP_SCREENSHOTS=docs/screenshots go test ./...
package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/shop-platform/shop/src/internal/platform/testenv"
)

// repoRoot is the checkout this module sits in, two levels up.
const repoRoot = "../../.."

// browserAdminToken is the catalog admin token the browser tests' shop
// runs with, to change stock behind the shopper's back.
const browserAdminToken = "browser-test-admin-token"

// startShop runs the shop on free ports and returns the storefront's URL.
func startShop(t *testing.T) string {
	t.Helper()
	site, _ := startShopWithCatalog(t)
	return site
}

// startShopWithCatalog builds the shop from the checkout with the services'
// own go.mod, exactly as `make run` does, runs it on free ports and returns
// the storefront's and the catalog's URLs. It is stopped with SIGTERM when
// the test ends and must exit cleanly.
func startShopWithCatalog(t *testing.T) (site, catalogURL string) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "shop")
	if err := testenv.BuildMakeRunShop(t.Context(), repoRoot, bin); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "HOST=127.0.0.1", "LOG_LEVEL=error", "ADMIN_TOKEN=" + browserAdminToken}
	ports := map[string]int{}
	for _, name := range []string{"CATALOG_PORT", "SEARCH_PORT", "ORDER_PORT", "PAYMENT_PORT", "FRONTEND_PORT"} {
		ports[name] = testenv.FreePort(t)
		cmd.Env = append(cmd.Env, fmt.Sprintf("%s=%d", name, ports[name]))
	}
	var out testenv.Output
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
			if code := cmd.ProcessState.ExitCode(); code != 0 {
				t.Errorf("the shop exited with status %d after SIGTERM:\n%s", code, out.String())
			}
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			t.Errorf("the shop did not stop within 30 s of SIGTERM:\n%s", out.String())
		}
	})
	site = fmt.Sprintf("http://127.0.0.1:%d", ports["FRONTEND_PORT"])
	catalogURL = fmt.Sprintf("http://127.0.0.1:%d", ports["CATALOG_PORT"])
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(site + "/ready")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return site, catalogURL
			}
		}
		select {
		case <-exited:
			t.Fatalf("shop stopped before serving (%v):\n%s", cmd.ProcessState, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("storefront never became ready: %v\n%s", err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// newBrowser starts headless Chromium with a fresh profile. Without
// Chromium the test is skipped loudly, or fails under
// SHOP_REQUIRE_INTEGRATION=1.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := os.Getenv("CHROMIUM_PATH")
	if path == "" {
		var err error
		if path, err = exec.LookPath("chromium"); err != nil {
			testenv.Unavailable(t, "Chromium (apt-get install chromium)", err)
		}
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	// The first run starts the browser and must not carry the timeout,
	// which would stop the browser itself; the steps after it do.
	if err := chromedp.Do(browser); err != nil {
		cancelBrowser()
		cancelAlloc()
		t.Fatalf("starting Chromium at %s: %v", path, err)
	}
	ctx, cancelTimeout := context.WithTimeout(browser, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelBrowser(); cancelAlloc() })
	return ctx
}

// step runs browser actions and fails the test with what was being done.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		fail(t, ctx, what, err)
	}
}

// value runs one browser action that reads something.
func value[T any](t *testing.T, ctx context.Context, what string, action chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		fail(t, ctx, what, err)
	}
	return v
}

// fail stops the test, showing where the browser was and what it showed.
func fail(t *testing.T, ctx context.Context, what string, err error) {
	t.Helper()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	t.Fatalf("%s: %v\nat %s:\n%s", what, err, loc, body)
}

// screenshot saves the page under SHOP_SCREENSHOTS, when set.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("SHOP_SCREENSHOTS")
	if dir == "" {
		return
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(repoRoot, dir)
	}
	png := value(t, ctx, "screenshot "+name, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// clickAndLoad clicks what sel finds and waits for the page it leads to.
func clickAndLoad(t *testing.T, ctx context.Context, what, sel string) {
	t.Helper()
	loaded := chromedp.Events(ctx, page.LoadEventFired)
	step(t, ctx, what, chromedp.Click(chromedp.CSS(sel)))
	for _, err := range loaded {
		if err != nil {
			fail(t, ctx, what, err)
		}
		break
	}
}

func text(t *testing.T, ctx context.Context, selector string) string {
	t.Helper()
	return strings.TrimSpace(value(t, ctx, "reading "+selector, chromedp.Text(chromedp.CSS(selector))))
}

// addToCart opens a product page and adds quantity of it.
func addToCart(t *testing.T, ctx context.Context, quantity string) {
	t.Helper()
	step(t, ctx, "filling the quantity",
		chromedp.WaitVisible(chromedp.CSS(`form.add`)),
		chromedp.SetValue(chromedp.CSS(`#quantity`), quantity))
	// With JavaScript the product page stays and says what was added.
	step(t, ctx, "adding to cart", chromedp.Click(chromedp.CSS(`form.add button`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="added-notice"] a[href="/cart"]`)))
	clickAndLoad(t, ctx, "opening the cart", `[data-testid="added-notice"] a[href="/cart"]`)
	step(t, ctx, "seeing the cart", chromedp.WaitVisible(chromedp.CSS(`table.cart`)))
}

func TestBrowserShopperBuysSomething(t *testing.T) {
	site := startShop(t)
	ctx := newBrowser(t)

	step(t, ctx, "opening the home page", chromedp.Navigate(site+"/"), chromedp.WaitVisible(chromedp.CSS(`ul.grid`)))
	screenshot(t, ctx, "home")

	// A typo still finds the product.
	step(t, ctx, "typing a search with a typo", chromedp.SendKeys(chromedp.CSS(`#q`), "thermometr"))
	clickAndLoad(t, ctx, "searching", `form.search button`)
	step(t, ctx, "seeing results", chromedp.WaitVisible(chromedp.CSS(`h1#heading`)))
	if got := text(t, ctx, `a[href="/product/kitchenware-007"] .name`); got != "Harbor & Pine Instant-Read Meat Thermometer" {
		t.Fatalf("the search for thermometr shows %q, want Harbor & Pine Instant-Read Meat Thermometer", got)
	}
	screenshot(t, ctx, "search")
	clickAndLoad(t, ctx, "opening the product from the results", `a[href="/product/kitchenware-007"]`)
	addToCart(t, ctx, "1")

	step(t, ctx, "going back to the home page", chromedp.Navigate(site+"/"), chromedp.WaitVisible(chromedp.CSS(`ul.grid`)))
	clickAndLoad(t, ctx, "opening a category", `a[href="/category/coffee-and-tea"]`)
	if got := text(t, ctx, "h1#heading"); got != "Coffee and Tea" {
		t.Fatalf("category heading %q", got)
	}
	screenshot(t, ctx, "category")
	clickAndLoad(t, ctx, "opening the first product", `ul.grid li:first-child a`)
	screenshot(t, ctx, "product")
	addToCart(t, ctx, "2")
	if got := text(t, ctx, `[data-testid="cart-count"]`); got != "3" {
		t.Fatalf("cart count %q after adding 1 + 2 items", got)
	}
	step(t, ctx, "changing a quantity", chromedp.SetValue(chromedp.CSS(`#qty-kitchenware-007`), "3"))
	clickAndLoad(t, ctx, "updating the cart", `#qty-kitchenware-007 ~ button`)
	if got := text(t, ctx, `[data-testid="cart-count"]`); got != "5" {
		t.Fatalf("cart count %q after changing 1 to 3", got)
	}
	screenshot(t, ctx, "cart")

	clickAndLoad(t, ctx, "going to checkout", `a[href="/checkout"].button`)
	step(t, ctx, "filling the checkout form with a bad email",
		chromedp.SendKeys(chromedp.CSS(`#name`), "Ada Lovelace"),
		chromedp.SendKeys(chromedp.CSS(`#email`), "ada-at-example"),
		chromedp.SendKeys(chromedp.CSS(`#line1`), "12 Analytical Way"),
		chromedp.SendKeys(chromedp.CSS(`#city`), "London"),
		chromedp.SendKeys(chromedp.CSS(`#postal_code`), "N1 9GU"),
		chromedp.SetValue(chromedp.CSS(`#country`), "GB"),
		chromedp.SendKeys(chromedp.CSS(`#card_number`), "4242 4242 4242 4242"),
		chromedp.SendKeys(chromedp.CSS(`#exp_month`), "12"),
		chromedp.SendKeys(chromedp.CSS(`#exp_year`), "2040"),
		chromedp.SendKeys(chromedp.CSS(`#cvc`), "123"))
	clickAndLoad(t, ctx, "placing the order", `#place-order`)
	if got := text(t, ctx, "#email-error"); !strings.Contains(got, "Enter an email address like name@example.com") {
		t.Fatalf("email error %q", got)
	}
	// Post/redirect/get: the page with the errors is a GET of /checkout,
	// and the error summary has the focus.
	if loc := value(t, ctx, "reading the address", chromedp.Location()); loc != site+"/checkout" {
		t.Fatalf("after a refused checkout the browser is at %s, want %s/checkout", loc, site)
	}
	if got := value(t, ctx, "reading the focus", chromedp.Evaluate[string](`document.activeElement.id`)); got != "error-summary" {
		t.Fatalf("the focus is on %q, want the error summary", got)
	}
	describedBy := value(t, ctx, "reading the email field", chromedp.AttributeValue(chromedp.CSS(`#email`), "aria-describedby"))
	if describedBy.Value != "email-error" {
		t.Fatalf("the email field is described by %q, want the error next to it", describedBy.Value)
	}
	if got := text(t, ctx, `[data-testid="cart-count"]`); got != "5" {
		t.Fatalf("cart count %q after the rejected checkout", got)
	}
	screenshot(t, ctx, "checkout-errors")

	step(t, ctx, "correcting the email",
		chromedp.Clear(chromedp.CSS(`#email`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), "ada@example.com"),
		// The card number and CVC are never sent back into the page.
		chromedp.SendKeys(chromedp.CSS(`#card_number`), "4242 4242 4242 4242"),
		chromedp.SendKeys(chromedp.CSS(`#cvc`), "123"))
	clickAndLoad(t, ctx, "placing the order", `#place-order`)
	step(t, ctx, "seeing the order page", chromedp.WaitVisible(chromedp.CSS(`[data-testid="order-status"]`)))
	// The page reloads itself while the order is pending; the saga
	// confirms it once the catalog has reserved the stock, and only then
	// is the cart emptied.
	step(t, ctx, "waiting for the order to be confirmed",
		chromedp.WaitVisible(chromedp.CSS(`.status-confirmed`)))
	if got := text(t, ctx, `[data-testid="order-status"]`); !strings.HasPrefix(got, "Confirmed") {
		t.Fatalf("order status %q", got)
	}
	if got := text(t, ctx, `[data-testid="cart-count"]`); got != "0" {
		t.Fatalf("cart count %q once the order is confirmed, want an empty cart", got)
	}
	if got := text(t, ctx, `[data-testid="order-ref"]`); !regexp.MustCompile(`^SHP-[2-9A-HJKMNP-TV-Z]{6}$`).MatchString(got) {
		t.Fatalf("the order page leads with %q, want a reference like SHP-7K3M2Q", got)
	}
	screenshot(t, ctx, "order")
}

// scrollsSideways is true when a page is wider than the screen.
const scrollsSideways = `document.documentElement.scrollWidth > window.innerWidth`

func TestBrowserPhoneViewport(t *testing.T) {
	site := startShop(t)
	ctx := newBrowser(t)
	step(t, ctx, "emulating a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	for _, path := range []string{"/", "/category/books", "/product/kitchenware-007"} {
		step(t, ctx, "opening "+path, chromedp.Navigate(site+path), chromedp.WaitVisible(chromedp.CSS(`main h1`)))
		if value(t, ctx, "measuring "+path, chromedp.Evaluate[bool](scrollsSideways)) {
			t.Errorf("%s scrolls sideways on a 390 px wide phone", path)
		}
		if path == "/" {
			screenshot(t, ctx, "phone-home")
		}
	}
	addToCart(t, ctx, "1")
	step(t, ctx, "seeing the cart on a phone", chromedp.WaitVisible(chromedp.CSS(`[data-testid="cart-total"]`)))
	if value(t, ctx, "measuring the cart", chromedp.Evaluate[bool](scrollsSideways)) {
		t.Error("the cart scrolls sideways on a 390 px wide phone")
	}
	screenshot(t, ctx, "phone-cart")
	// A second product: the Checkout button and the totals are still on
	// the first screen, above the lines.
	step(t, ctx, "opening a second product", chromedp.Navigate(site+"/product/books-001"))
	addToCart(t, ctx, "1")
	if !value(t, ctx, "measuring the Checkout button", chromedp.Evaluate[bool](
		`document.querySelector('a[href="/checkout"].button').getBoundingClientRect().bottom <= window.innerHeight`)) {
		t.Error("with two items the cart's Checkout button is below the first screen of a phone")
	}
	clickAndLoad(t, ctx, "going to checkout", `a[href="/checkout"].button`)
	if !value(t, ctx, "comparing the summary and Place order", chromedp.Evaluate[bool](
		`document.querySelector('.checkout .summary').getBoundingClientRect().top < document.getElementById('place-order').getBoundingClientRect().top`)) {
		t.Error("on a phone the order summary comes after Place order")
	}
}

// catalogProduct is a product as the catalog API has it.
type catalogProduct struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Category    string `json:"category"`
	PriceCents  int64  `json:"price_cents"`
	Currency    string `json:"currency"`
	Image       string `json:"image"`
	Stock       int    `json:"stock"`
}

// lowStockProduct finds a product of which only a few are left.
func lowStockProduct(t *testing.T, catalogURL string) catalogProduct {
	t.Helper()
	resp, err := http.Get(catalogURL + "/catalog?page_size=100&in_stock=true&sort=name")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var page struct {
		Items []catalogProduct `json:"items"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		t.Fatal(err)
	}
	for _, p := range page.Items {
		if p.Stock >= 3 && p.Stock < 10 {
			return p
		}
	}
	t.Fatal("the sample catalog has no product with a few left in its first 100")
	return catalogProduct{}
}

// setStock changes a product's stock through the catalog's admin API.
func setStock(t *testing.T, catalogURL string, p catalogProduct, stock int) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"name": p.Name, "description": p.Description, "category": p.Category,
		"price_cents": p.PriceCents, "currency": p.Currency, "image": p.Image, "stock": stock})
	req, _ := http.NewRequest(http.MethodPut, catalogURL+"/catalog/"+p.ID, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+browserAdminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("setting the stock of %s: catalog answered %d", p.ID, resp.StatusCode)
	}
}

func TestBrowserStockLimitsAndWarnings(t *testing.T) {
	site, catalogURL := startShopWithCatalog(t)
	ctx := newBrowser(t)
	p := lowStockProduct(t, catalogURL)
	left := strconv.Itoa(p.Stock)

	step(t, ctx, "opening a product with few left", chromedp.Navigate(site+"/product/"+p.ID),
		chromedp.WaitVisible(chromedp.CSS(`form.add`)))
	if got := text(t, ctx, `.stock.in`); !strings.Contains(got, "only "+left+" left") {
		t.Fatalf("the product page says %q, want only %s left", got, left)
	}
	// The browser itself refuses more than the stock.
	step(t, ctx, "asking for more than the stock", chromedp.SetValue(chromedp.CSS(`#quantity`), "50"))
	if value(t, ctx, "checking the quantity field", chromedp.Evaluate[bool](`document.getElementById("quantity").checkValidity()`)) {
		t.Fatalf("the quantity field accepts 50 of a product with %s left", left)
	}
	addToCart(t, ctx, left)
	if got := value(t, ctx, "reading the quantity in the cart", chromedp.Value(chromedp.CSS(`#qty-`+p.ID))); got != left {
		t.Fatalf("the cart holds %s, want %s", got, left)
	}

	// The last ones sell elsewhere: the cart and the checkout say so.
	// The storefront may answer from its catalog cache (BACKEND_CACHE_TTL,
	// 1 s) for a moment.
	setStock(t, catalogURL, p, 1)
	for deadline := time.Now().Add(10 * time.Second); ; {
		step(t, ctx, "reloading the cart", chromedp.Navigate(site+"/cart"), chromedp.WaitVisible(chromedp.CSS(`table.cart`)))
		if value(t, ctx, "looking for a stock warning", chromedp.Evaluate[bool](`!!document.querySelector('[data-testid="stock-warning"]')`)) {
			break
		}
		if time.Now().After(deadline) {
			fail(t, ctx, "waiting for the cart to warn about the stock", fmt.Errorf("no warning after 10 s"))
		}
		time.Sleep(200 * time.Millisecond)
	}
	if got := text(t, ctx, `[data-testid="stock-warning"]`); !strings.Contains(got, "Only 1 left in stock") {
		t.Fatalf("the cart line warns %q, want only 1 left", got)
	}
	if got := text(t, ctx, `.notice`); !strings.Contains(got, "not in stock in the quantity in your cart") {
		t.Fatalf("the cart's notice is %q", got)
	}
	screenshot(t, ctx, "cart-stock")
	clickAndLoad(t, ctx, "going to checkout", `a[href="/checkout"].button`)
	if got := text(t, ctx, `.summary [data-testid="stock-warning"]`); !strings.Contains(got, "Only 1 left") {
		t.Fatalf("the checkout summary warns %q, want only 1 left", got)
	}
	if !value(t, ctx, "checking Place order", chromedp.Evaluate[bool](`document.getElementById("place-order").disabled`)) {
		t.Fatal("Place order is enabled while a line exceeds the stock")
	}
}

func TestBrowserPagingAndErrorPages(t *testing.T) {
	site := startShop(t)
	ctx := newBrowser(t)
	step(t, ctx, "paging past the end", chromedp.Navigate(site+"/category/books?page=99"),
		chromedp.WaitVisible(chromedp.CSS(`ul.grid`)))
	loc := value(t, ctx, "reading the address", chromedp.Location())
	if !strings.Contains(loc, "page=3") || text(t, ctx, `.pager span`) != "Page 3 of 3" {
		t.Fatalf("page 99 of books led to %s, want the last page, 3", loc)
	}
	for _, c := range []struct{ path, heading string }{
		{"/search?q=" + strings.Repeat("a", 9000), "That address is too long"},
		{"/no/such/page", "Page not found"},
	} {
		step(t, ctx, "opening "+c.path[:min(len(c.path), 30)], chromedp.Navigate(site+c.path),
			chromedp.WaitVisible(chromedp.CSS(`main h1`)))
		if got := text(t, ctx, "main h1"); got != c.heading {
			t.Fatalf("%.30s shows %q, want the %q page", c.path, got, c.heading)
		}
	}
}
