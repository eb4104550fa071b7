package browsertest

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// A shopper chooses express delivery and sees the totals change, pays,
// finds the order page with its amounts, then, as if the link were lost,
// finds the order again with its reference and email. A wrong email gets
// the same answer as an unknown reference.
func TestBrowserShopperChoosesDeliveryAndFindsTheOrderAgain(t *testing.T) {
	site := startShop(t)
	ctx := newBrowser(t)
	step(t, ctx, "opening a product", chromedp.Navigate(site+"/product/kitchenware-007"))
	addToCart(t, ctx, "1")
	if got := text(t, ctx, `[data-testid="shipping"]`); got == "" {
		t.Fatal("the cart shows no shipping line")
	}
	clickAndLoad(t, ctx, "going to checkout", `a[href="/checkout"].button`)
	fillCheckout(t, ctx, "4242 4242 4242 4242")
	step(t, ctx, "choosing express", chromedp.Click(chromedp.CSS(`#method-express`)))
	clickAndLoad(t, ctx, "updating the totals", `button[value="quote"]`)
	if got := text(t, ctx, `[data-testid="delivery-estimate"]`); !strings.Contains(got, "Express delivery to United Kingdom") {
		t.Fatalf("the summary says %q, want express to the UK", got)
	}
	screenshot(t, ctx, "checkout-delivery")
	// The redirect keeps the address but never the card number or CVC.
	fillCheckout(t, ctx, "4242 4242 4242 4242")
	step(t, ctx, "keeping express", chromedp.Click(chromedp.CSS(`#method-express`)))
	clickAndLoad(t, ctx, "placing the order", `#place-order`)
	settled(t, ctx)
	ref := text(t, ctx, `[data-testid="order-ref"]`)
	if got := text(t, ctx, `[data-testid="order-shipping"]`); !strings.HasPrefix(got, "Express delivery") {
		t.Fatalf("the order page says %q about its delivery", got)
	}
	for _, id := range []string{"subtotal", "shipping", "tax", "total", "line-total"} {
		if text(t, ctx, `[data-testid="`+id+`"]`) == "" {
			t.Fatalf("the order page shows no %s", id)
		}
	}
	screenshot(t, ctx, "order-totals")

	step(t, ctx, "opening find my order", chromedp.Navigate(site+"/find-order"), chromedp.WaitVisible(chromedp.CSS(`#reference`)))
	step(t, ctx, "entering the reference with another email",
		chromedp.SetValue(chromedp.CSS(`#reference`), ref), chromedp.SetValue(chromedp.CSS(`#email`), "eve@example.com"))
	clickAndLoad(t, ctx, "finding the order", `form.find-order button[type=submit]`)
	wrongEmail := text(t, ctx, `.notice`)
	step(t, ctx, "entering an unknown reference",
		chromedp.SetValue(chromedp.CSS(`#reference`), "SHP-ZZZZZZ"), chromedp.SetValue(chromedp.CSS(`#email`), "ada@example.com"))
	clickAndLoad(t, ctx, "finding the order", `form.find-order button[type=submit]`)
	if unknown := text(t, ctx, `.notice`); unknown != wrongEmail || !strings.Contains(unknown, "could not find") {
		t.Fatalf("a wrong email says %q, an unknown reference %q: want one message", wrongEmail, unknown)
	}
	step(t, ctx, "entering the reference and email",
		chromedp.SetValue(chromedp.CSS(`#reference`), strings.ToLower(ref)), chromedp.SetValue(chromedp.CSS(`#email`), "ada@example.com"))
	clickAndLoad(t, ctx, "finding the order", `form.find-order button[type=submit]`)
	if got := text(t, ctx, `[data-testid="order-ref"]`); got != ref {
		t.Fatalf("find my order led to %q, want %s", got, ref)
	}
}
