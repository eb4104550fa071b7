package frontend

import (
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/shop-platform/shop/src/internal/events"
)

// After "Add to cart" the shopper is sent to the cart, whose notice names
// what was added ("Added “Moka Pot” to your cart."). The product goes from
// the add to the cart page in a short-lived cookie rather than in the
// redirect's URL, which stays /cart: a reload or a shared link of the cart
// then never repeats the notice. With JavaScript the product page posts
// the form itself and shows the same notice without leaving the page
// (static/app.js).

// addedCookie holds the id of the product just added, for one visit of
// the cart page.
const addedCookie = "added"

// noticeKey holds a notice for the page being rendered, for renderView.
const noticeKey = "frontend-notice"

// rememberAdded wraps the add-to-cart handler: when the product went into
// the cart, it is remembered for the cart page's notice. A sold-out
// product, which the cart page reports itself, is not.
func (h *handlers) rememberAdded(c *fiber.Ctx) error {
	if err := c.Next(); err != nil {
		return err
	}
	id := strings.TrimSpace(c.FormValue("product_id"))
	loc := string(c.Response().Header.Peek(fiber.HeaderLocation))
	if c.Response().StatusCode() != http.StatusSeeOther || strings.Contains(loc, "soldout=") || !events.ValidProductID(id) {
		return nil
	}
	h.addedCookie(c, id, time.Now().Add(time.Minute))
	return nil
}

// addedNotice reads, and forgets, the product just added, and leaves the
// notice naming it for the cart page; the cart's own notices (a quantity
// lowered to the stock) come first.
func (h *handlers) addedNotice(c *fiber.Ctx) error {
	id := c.Cookies(addedCookie)
	if id == "" {
		return c.Next()
	}
	h.addedCookie(c, "", time.Unix(1, 0))
	if events.ValidProductID(id) && h.cookies.cart(c).Quantity(id) > 0 {
		if p, err := h.backends.product(c.UserContext(), id); err == nil {
			c.Locals(noticeKey, "Added “"+p.Name+"” to your cart.")
		}
	}
	return c.Next()
}

func (h *handlers) addedCookie(c *fiber.Ctx, id string, expires time.Time) {
	c.Cookie(&fiber.Cookie{Name: addedCookie, Value: id, Path: "/cart", Expires: expires,
		HTTPOnly: true, Secure: h.cookies.secure, SameSite: fiber.CookieSameSiteLaxMode})
}
