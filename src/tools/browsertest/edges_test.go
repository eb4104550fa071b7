package browsertest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// The storefront's rough edges of issue 21, at a desktop's 1280 px and a
// phone's 375 px, with JavaScript on and off where it makes a difference.

// viewport is a screen the tests run at.
type viewport struct {
	name          string
	width, height int64
}

var (
	desktop = viewport{"1280px", 1280, 900}
	phone   = viewport{"375px", 375, 667}
)

// browserAt starts Chromium showing pages at v, with or without JavaScript.
func browserAt(t *testing.T, v viewport, javascript bool) context.Context {
	t.Helper()
	ctx := newBrowser(t)
	opts := []chromedp.EmulateViewportOption{}
	if v == phone {
		opts = append(opts, chromedp.EmulateScale(2), chromedp.EmulateMobile)
	}
	step(t, ctx, "emulating "+v.name, chromedp.EmulateViewport(v.width, v.height, opts...))
	if !javascript {
		step(t, ctx, "turning JavaScript off", chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
			_, err := cdp.Call(ctx, target, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
			return err
		}))
	}
	return ctx
}

// eachScreen runs f as a subtest at both viewports, with JavaScript on and,
// when both is true, off.
func eachScreen(t *testing.T, both bool, f func(t *testing.T, v viewport, javascript bool)) {
	for _, v := range []viewport{desktop, phone} {
		for _, js := range []bool{true, false} {
			if !js && !both {
				continue
			}
			name := v.name + map[bool]string{true: " with JavaScript", false: " without JavaScript"}[js]
			t.Run(name, func(t *testing.T) { f(t, v, js) })
		}
	}
}

// andLoad runs action and waits for the page it leads to.
func andLoad(t *testing.T, ctx context.Context, what string, action chromedp.Action[chromedp.Void]) {
	t.Helper()
	loaded := chromedp.Events(ctx, page.LoadEventFired)
	step(t, ctx, what, action)
	for _, err := range loaded {
		if err != nil {
			fail(t, ctx, what, err)
		}
		break
	}
}

// contrastOf is the WCAG contrast ratio of the text of the element sel
// finds against the first opaque background behind it.
func contrastOf(sel string) string {
	return `(function (el) {
  function rgba(s) { return s.match(/[\d.]+/g).map(Number); }
  function lum(c) {
    var a = c.slice(0, 3).map(function (v) { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * a[0] + 0.7152 * a[1] + 0.0722 * a[2];
  }
  var fg = rgba(getComputedStyle(el).color), bg = [255, 255, 255];
  for (var e = el; e; e = e.parentElement) {
    var c = rgba(getComputedStyle(e).backgroundColor);
    if (c.length < 4 || c[3] > 0) { bg = c; break; }
  }
  var a = lum(fg), b = lum(bg);
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
})(document.querySelector(` + "`" + sel + "`" + `))`
}

func TestBrowserReservedProductIDIsAReadable404(t *testing.T) {
	site := startShop(t)
	eachScreen(t, false, func(t *testing.T, v viewport, js bool) {
		ctx := browserAt(t, v, js)
		step(t, ctx, "opening /product/categories", chromedp.Navigate(site+"/product/categories"),
			chromedp.WaitVisible(chromedp.CSS(`main h1`)))
		if got := text(t, ctx, "main h1"); got != "Page not found" {
			t.Fatalf("/product/categories shows %q, want the 404 page", got)
		}
		if value(t, ctx, "looking for an add-to-cart form", chromedp.Evaluate[bool](`!!document.querySelector("form.add")`)) {
			t.Fatal("/product/categories offers to add a product that does not exist")
		}
		if ratio := value(t, ctx, "measuring the contrast of the 404", chromedp.Evaluate[float64](contrastOf(".error-page .code"))); ratio < 4.5 {
			t.Fatalf("the large 404 has a contrast of %.2f:1, want at least 4.5:1 (WCAG AA)", ratio)
		}
		if v == phone {
			screenshot(t, ctx, "phone-404")
		}
	})
}

func TestBrowserPagesHaveCanonicalLinksAndProductData(t *testing.T) {
	site := startShop(t)
	ctx := browserAt(t, desktop, true)
	// In this order: the product page, opened last, is the one whose
	// JSON-LD is read below.
	for _, page := range []struct{ path, canonical string }{
		{"/category/books?sort=-price", site + "/category/books"},
		{"/product/kitchenware-007", site + "/product/kitchenware-007"},
	} {
		step(t, ctx, "opening "+page.path, chromedp.Navigate(site+page.path), chromedp.WaitVisible(chromedp.CSS(`main h1`)))
		if got := value(t, ctx, "reading the canonical link", chromedp.Evaluate[string](`document.querySelector('link[rel=canonical]').href`)); got != page.canonical {
			t.Fatalf("%s: canonical %q, want %q", page.path, got, page.canonical)
		}
	}
	type offer struct {
		Type          string `json:"@type"`
		Price         string `json:"price"`
		PriceCurrency string `json:"priceCurrency"`
		Availability  string `json:"availability"`
	}
	ld := value(t, ctx, "reading the product's JSON-LD", chromedp.Evaluate[struct {
		Type   string `json:"@type"`
		Name   string `json:"name"`
		Offers offer  `json:"offers"`
	}](`JSON.parse(document.querySelector('script[type="application/ld+json"]').textContent)`))
	shown := text(t, ctx, ".price.big")
	if ld.Type != "Product" || ld.Name != text(t, ctx, "main h1") || ld.Offers.Type != "Offer" ||
		"$"+ld.Offers.Price != strings.ReplaceAll(shown, ",", "") || ld.Offers.PriceCurrency != "USD" ||
		ld.Offers.Availability != "https://schema.org/InStock" {
		t.Fatalf("JSON-LD %+v does not describe the product shown (%s)", ld, shown)
	}
}

// firstCardTop is where the first product of the page starts, in CSS
// pixels from the top of the screen.
const firstCardTop = `document.querySelector("ul.grid li").getBoundingClientRect().top`

func TestBrowserPhoneCategoriesLeaveTheFirstScreenToProducts(t *testing.T) {
	site := startShop(t)
	ctx := browserAt(t, phone, true)
	for _, path := range []string{"/", "/category/coffee-and-tea"} {
		step(t, ctx, "opening "+path, chromedp.Navigate(site+path), chromedp.WaitVisible(chromedp.CSS(`ul.grid`)))
		if path != "/" {
			screenshot(t, ctx, "phone-category")
		}
		if value(t, ctx, "measuring "+path, chromedp.Evaluate[bool](scrollsSideways)) {
			t.Errorf("%s scrolls sideways on a 375 px phone", path)
		}
		nav := value(t, ctx, "measuring the categories", chromedp.Evaluate[float64](`document.querySelector("nav.categories").getBoundingClientRect().height`))
		if nav > 0.2*float64(phone.height) {
			t.Errorf("%s: the categories take %.0f px of a %d px screen, want at most a fifth", path, nav, phone.height)
		}
		// The first product's picture (180 px on a phone) shows, with room
		// to spare, on the first screen.
		if top := value(t, ctx, "finding the first product", chromedp.Evaluate[float64](firstCardTop)); top > float64(phone.height)-200 {
			t.Errorf("%s: the first product starts at %.0f px of a %d px screen, want its picture on the first screen", path, top, phone.height)
		}
		// Every category is still one swipe away: the row scrolls.
		if !value(t, ctx, "checking the row scrolls", chromedp.Evaluate[bool](
			`(function (u) { return u.scrollWidth > u.clientWidth && getComputedStyle(u).overflowX === "auto"; })(document.querySelector("nav.categories ul"))`)) {
			t.Errorf("%s: the category row neither fits nor scrolls", path)
		}
	}
}

const thermometer = "Harbor & Pine Instant-Read Meat Thermometer"

func TestBrowserAddToCartSaysWhatWasAdded(t *testing.T) {
	site := startShop(t)
	eachScreen(t, true, func(t *testing.T, v viewport, js bool) {
		ctx := browserAt(t, v, js)
		step(t, ctx, "opening a product", chromedp.Navigate(site+"/product/kitchenware-007"),
			chromedp.WaitVisible(chromedp.CSS(`form.add`)), chromedp.SetValue(chromedp.CSS(`#quantity`), "2"))
		want := "Added “" + thermometer + "” to your cart."
		if js {
			// The page stays; the notice and the count change in place.
			step(t, ctx, "adding to cart", chromedp.Click(chromedp.CSS(`form.add button`)),
				chromedp.WaitVisible(chromedp.CSS(`[data-testid="added-notice"] a[href="/cart"]`)))
			if loc := value(t, ctx, "reading the address", chromedp.Location()); loc != site+"/product/kitchenware-007" {
				t.Fatalf("adding with JavaScript went to %s, want to stay on the product", loc)
			}
			if got := text(t, ctx, `[data-testid="added-notice"]`); got != want+" View cart" {
				t.Fatalf("the product page says %q, want %q", got, want)
			}
			if v == desktop {
				screenshot(t, ctx, "product-added")
			}
		} else {
			andLoad(t, ctx, "adding to cart", chromedp.Click(chromedp.CSS(`form.add button`)))
			step(t, ctx, "seeing the cart", chromedp.WaitVisible(chromedp.CSS(`table.cart`)))
			if got := text(t, ctx, ".notice"); got != want {
				t.Fatalf("the cart says %q after adding, want %q", got, want)
			}
		}
		if got := text(t, ctx, `[data-testid="cart-count"]`); got != "2" {
			t.Fatalf("cart count %q after adding 2", got)
		}
	})
}

// gridPrices reads the prices of the product grid, in cents, in order.
const gridPrices = `Array.from(document.querySelectorAll("ul.grid .price")).map(function (e) { return +e.textContent.replace(/[^0-9]/g, ""); })`

func TestBrowserSortAppliesOnChangeWithJavaScriptAndByApplyWithout(t *testing.T) {
	site := startShop(t)
	eachScreen(t, true, func(t *testing.T, v viewport, js bool) {
		ctx := browserAt(t, v, js)
		for _, path := range []string{"/category/coffee-and-tea", "/search?q=steel"} {
			step(t, ctx, "opening "+path, chromedp.Navigate(site+path), chromedp.WaitVisible(chromedp.CSS(`form.sort`)))
			applyShown := value(t, ctx, "looking at Apply", chromedp.Evaluate[bool](`document.querySelector("form.sort button").offsetParent !== null`))
			if applyShown == js {
				t.Fatalf("%s: the Apply button is shown: %v, want it only without JavaScript", path, applyShown)
			}
			if js {
				andLoad(t, ctx, "picking high to low", chromedp.Evaluate[chromedp.Void](
					`(function (s) { s.value = "-price"; s.dispatchEvent(new Event("change", { bubbles: true })); })(document.getElementById("sort"))`))
			} else {
				step(t, ctx, "picking high to low", chromedp.SetValue(chromedp.CSS(`#sort`), "-price"))
				andLoad(t, ctx, "applying", chromedp.Click(chromedp.CSS(`form.sort button`)))
			}
			step(t, ctx, "seeing the sorted list", chromedp.WaitVisible(chromedp.CSS(`ul.grid`)))
			if loc := value(t, ctx, "reading the address", chromedp.Location()); !strings.Contains(loc, "sort=-price") {
				t.Fatalf("%s: sorting led to %s", path, loc)
			}
			prices := value(t, ctx, "reading the prices", chromedp.Evaluate[[]int64](gridPrices))
			for i := 1; i < len(prices); i++ {
				if prices[i] > prices[i-1] {
					t.Fatalf("%s sorted high to low lists %v", path, prices)
				}
			}
			if len(prices) < 5 {
				t.Fatalf("%s lists %d products, too few to show an order", path, len(prices))
			}
		}
	})
}

func TestBrowserSuggestionsForgiveATypo(t *testing.T) {
	site := startShop(t)
	for _, v := range []viewport{desktop, phone} {
		t.Run(v.name, func(t *testing.T) {
			ctx := browserAt(t, v, true)
			step(t, ctx, "typing a typo", chromedp.Navigate(site+"/"), chromedp.WaitVisible(chromedp.CSS(`#q`)),
				chromedp.SendKeys(chromedp.CSS(`#q`), "cofee"),
				chromedp.WaitReady(chromedp.CSS(`#suggestions option`)))
			got := value(t, ctx, "reading the suggestions", chromedp.Evaluate[[]string](
				`Array.from(document.querySelectorAll("#suggestions option")).map(function (o) { return o.value; })`))
			for _, name := range got {
				if !strings.Contains(strings.ToLower(name), "coffee") {
					t.Fatalf("cofee suggests %q among %v, want only coffees", name, got)
				}
			}
			if len(got) == 0 {
				t.Fatal("cofee suggests nothing")
			}
		})
	}
}

// A form on another site that posts to the shop, as a forged request
// would, gets the shop's 403 page in a real browser and adds nothing to
// the cart: Chromium marks the post cross-site (Sec-Fetch-Site), which the
// storefront refuses. The same form on the shop's own page works
// (TestBrowserAddToCartSaysWhatWasAdded).
func TestBrowserRefusesAFormPostedFromAnotherSite(t *testing.T) {
	site := startShop(t)
	forger := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = fmt.Fprintf(w, `<!doctype html><title>Win a prize</title><form id="prize" method="post" action="%s/cart/add">`+
			`<input type="hidden" name="product_id" value="kitchenware-007"><input type="hidden" name="quantity" value="3">`+
			`<button type="submit">Claim</button></form>`, site)
	}))
	t.Cleanup(forger.Close)
	// localhost is another site than the shop's 127.0.0.1, on the same machine.
	other := strings.Replace(forger.URL, "127.0.0.1", "localhost", 1)
	ctx := newBrowser(t)
	step(t, ctx, "opening the other site", chromedp.Navigate(other), chromedp.WaitVisible(chromedp.CSS(`#prize button`)))
	clickAndLoad(t, ctx, "posting its form to the shop", `#prize button`)
	step(t, ctx, "seeing the shop's answer", chromedp.WaitVisible(chromedp.CSS(`.error-page`)))
	if got := text(t, ctx, "main"); !strings.Contains(got, "This form came from another site") {
		t.Fatalf("the shop answered the other site's form with %q, want its 403 page", got)
	}
	step(t, ctx, "opening the cart", chromedp.Navigate(site+"/cart"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="cart-count"]`)))
	if got := text(t, ctx, `[data-testid="cart-count"]`); got != "0" {
		t.Fatalf("the cart holds %s items after the other site's post, want 0", got)
	}
}
