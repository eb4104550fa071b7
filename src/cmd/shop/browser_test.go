package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/shop-platform/shop/src/internal/platform/testenv"
)

// The browser tests drive the whole shop, as `make run` starts it, in
// headless Chromium. Set SHOP_SCREENSHOTS to a directory (relative to the
// repository root) to save screenshots of the pages they visit:
//
//	SHOP_SCREENSHOTS=docs/screenshots go test ./src/cmd/shop -run Browser

// startShop runs the shop on free ports and returns the storefront's URL.
func startShop(t *testing.T) string {
	t.Helper()
	environ := map[string]string{"HOST": "127.0.0.1", "LOG_LEVEL": "error"}
	for _, name := range []string{"CATALOG_PORT", "SEARCH_PORT", "ORDER_PORT", "FRONTEND_PORT"} {
		environ[name] = fmt.Sprint(freePort(t))
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, environ, &out) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("shop stopped with %v", err)
		}
	})
	site := "http://127.0.0.1:" + environ["FRONTEND_PORT"]
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(site + "/ready")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return site
			}
		}
		select {
		case err := <-done:
			t.Fatalf("shop stopped before serving: %v\n%s", err, out.String())
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
		dir = filepath.Join("..", "..", "..", dir)
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
	clickAndLoad(t, ctx, "adding to cart", `form.add button`)
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
	if got := text(t, ctx, `a[href="/product/kitchenware-007"] .name`); got != "Meat Thermometer Drive" {
		t.Fatalf("the search for thermometr shows %q, want Meat Thermometer Drive", got)
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
		chromedp.SetValue(chromedp.CSS(`#country`), "GB"))
	clickAndLoad(t, ctx, "placing the order", `form.stack button[type=submit]`)
	if got := text(t, ctx, "#email-error"); !strings.Contains(got, "Enter an email address like name@example.com") {
		t.Fatalf("email error %q", got)
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
		chromedp.SendKeys(chromedp.CSS(`#email`), "ada@example.com"))
	clickAndLoad(t, ctx, "placing the order", `form.stack button[type=submit]`)
	step(t, ctx, "seeing the order page", chromedp.WaitVisible(chromedp.CSS(`[data-testid="order-status"]`)))
	if got := text(t, ctx, `[data-testid="cart-count"]`); got != "0" {
		t.Fatalf("cart count %q after placing the order, want an empty cart", got)
	}
	// The page reloads itself while the order is pending; the saga
	// confirms it once the catalog has reserved the stock.
	step(t, ctx, "waiting for the order to be confirmed",
		chromedp.WaitVisible(chromedp.CSS(`.status-confirmed`)))
	if got := text(t, ctx, `[data-testid="order-status"]`); !strings.HasPrefix(got, "Confirmed") {
		t.Fatalf("order status %q", got)
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
}
