package browsertest

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// fillCheckout fills the checkout form with an address and card.
func fillCheckout(t *testing.T, ctx context.Context, card string) {
	t.Helper()
	step(t, ctx, "filling the checkout form with card "+card,
		chromedp.WaitVisible(chromedp.CSS(`#card_number`)),
		chromedp.SetValue(chromedp.CSS(`#name`), "Ada Lovelace"),
		chromedp.SetValue(chromedp.CSS(`#email`), "ada@example.com"),
		chromedp.SetValue(chromedp.CSS(`#line1`), "12 Analytical Way"),
		chromedp.SetValue(chromedp.CSS(`#city`), "London"),
		chromedp.SetValue(chromedp.CSS(`#postal_code`), "N1 9GU"),
		chromedp.SetValue(chromedp.CSS(`#country`), "GB"),
		chromedp.SetValue(chromedp.CSS(`#card_number`), card),
		chromedp.SetValue(chromedp.CSS(`#exp_month`), "12"),
		chromedp.SetValue(chromedp.CSS(`#exp_year`), "2040"),
		chromedp.SetValue(chromedp.CSS(`#cvc`), "123"))
}

// settled waits on the order page until the saga has decided.
func settled(t *testing.T, ctx context.Context) string {
	t.Helper()
	step(t, ctx, "waiting for the order to settle",
		chromedp.WaitVisible(chromedp.CSS(`.status-confirmed, .status-rejected`)))
	return text(t, ctx, `[data-testid="order-status"]`)
}

// A shopper whose card is declined reads why next to the order, keeps the
// cart, pays with another card, and then cancels the order from its page.
func TestBrowserShopperPaysAfterADeclineAndCancels(t *testing.T) {
	site := startShop(t)
	ctx := newBrowser(t)

	step(t, ctx, "opening a product", chromedp.Navigate(site+"/product/kitchenware-007"))
	addToCart(t, ctx, "1")
	clickAndLoad(t, ctx, "going to checkout", `a[href="/checkout"].button`)
	fillCheckout(t, ctx, "4242 4242 4242 4241")
	clickAndLoad(t, ctx, "placing the order with a mistyped card", `#place-order`)
	if got := text(t, ctx, "#card_number-error"); !strings.Contains(got, "not a valid card number") {
		t.Fatalf("the error next to the card number is %q", got)
	}

	fillCheckout(t, ctx, "4000 0000 0000 0002")
	clickAndLoad(t, ctx, "placing the order with a declined card", `#place-order`)
	if got := settled(t, ctx); !strings.Contains(got, "Your card was declined: try another card.") {
		t.Fatalf("order status %q, want the decline's reason", got)
	}
	screenshot(t, ctx, "order-declined")
	if got := text(t, ctx, `[data-testid="cart-count"]`); got != "1" {
		t.Fatalf("cart count %q after the decline, want the cart kept", got)
	}

	step(t, ctx, "going back to checkout", chromedp.Navigate(site+"/checkout"))
	fillCheckout(t, ctx, "4242 4242 4242 4242")
	clickAndLoad(t, ctx, "paying with another card", `#place-order`)
	if got := settled(t, ctx); !strings.HasPrefix(got, "Confirmed") {
		t.Fatalf("order status %q after paying with another card", got)
	}
	if got := text(t, ctx, `[data-testid="order-payment"]`); !strings.Contains(got, "visa ending 4242") {
		t.Fatalf("the order shows the payment %q", got)
	}

	clickAndLoad(t, ctx, "cancelling the order", `[data-testid="cancel-order"]`)
	if got := text(t, ctx, `[data-testid="order-cancelled"]`); !strings.Contains(got, "refunded") {
		t.Fatalf("after cancelling the page says %q", got)
	}
	screenshot(t, ctx, "order-cancelled")
}
