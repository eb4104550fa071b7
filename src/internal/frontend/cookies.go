package frontend

import (
	"crypto/hmac"
	"crypto/sha256"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gorilla/securecookie"

	"github.com/shop-platform/shop/src/internal/events"
)

// Cookie names and limits.
const (
	cartCookie = "cart"
	// checkoutCookie keeps the checkout form between a post and its page.
	checkoutCookie = "checkout"
	flashMaxAge    = 10 * time.Minute
	cookieMaxAge   = 30 * 24 * time.Hour
	maxCartLines   = 50
	maxQuantity    = 99
)

// CartLine is one product in the cart. Only ids and quantities are kept in
// the cookie; names and prices always come fresh from the catalog.
type CartLine struct {
	ProductID string `json:"p"`
	Quantity  int    `json:"q"`
}

// Cart is the shopper's cart.
type Cart struct {
	Lines []CartLine `json:"l"`
	// Order is the order placed from this cart that is not confirmed yet:
	// the cart is emptied only once it is, so a rejected order leaves the
	// shopper's choice intact to adjust and try again.
	Order string `json:"o,omitempty"`
}

// Quantity is how many of id the cart holds.
func (c Cart) Quantity(id string) int {
	for _, l := range c.Lines {
		if l.ProductID == id {
			return l.Quantity
		}
	}
	return 0
}

// Count is the number of items in the cart.
func (c Cart) Count() int {
	n := 0
	for _, l := range c.Lines {
		n += l.Quantity
	}
	return n
}

// Set puts quantity of id in the cart (adding to what is there when add is
// true), removing the line at zero; quantities are capped at maxQuantity.
func (c *Cart) Set(id string, quantity int, add bool) {
	for i, l := range c.Lines {
		if l.ProductID != id {
			continue
		}
		if add {
			quantity += l.Quantity
		}
		if quantity <= 0 {
			c.Lines = append(c.Lines[:i], c.Lines[i+1:]...)
			return
		}
		c.Lines[i].Quantity = min(quantity, maxQuantity)
		return
	}
	if quantity > 0 && len(c.Lines) < maxCartLines {
		c.Lines = append(c.Lines, CartLine{ProductID: id, Quantity: min(quantity, maxQuantity)})
	}
}

// valid checks a decoded cart, so a cookie signed by an older version or
// edited with a valid key still cannot carry nonsense.
func (c Cart) valid() bool {
	if len(c.Lines) > maxCartLines || (c.Order != "" && !orderIDPattern.MatchString(c.Order)) {
		return false
	}
	for _, l := range c.Lines {
		if !events.ValidProductID(l.ProductID) || l.Quantity < 1 || l.Quantity > maxQuantity {
			return false
		}
	}
	return true
}

// cookies signs and checks the storefront's cookies: the cart and the
// checkout form kept for its page. Both are HttpOnly, SameSite=Lax, and
// Secure when configured.
type cookies struct {
	codec *securecookie.SecureCookie
	// flash signs and encrypts the checkout form kept between a post and
	// the page it redirects to: it holds the shopper's address.
	flash  *securecookie.SecureCookie
	secure bool
}

func newCookies(secret []byte, secure bool) cookies {
	// Separate keys per purpose, derived from the one configured secret.
	hashKey := hmac.New(sha256.New, secret)
	hashKey.Write([]byte("shop-frontend-cookie-signing"))
	codec := securecookie.New(hashKey.Sum(nil), nil)
	codec.SetSerializer(securecookie.JSONEncoder{})
	codec.MaxAge(int(cookieMaxAge.Seconds()))
	flashHash, flashBlock := hmac.New(sha256.New, secret), hmac.New(sha256.New, secret)
	flashHash.Write([]byte("shop-frontend-flash-signing"))
	flashBlock.Write([]byte("shop-frontend-flash-encryption"))
	flash := securecookie.New(flashHash.Sum(nil), flashBlock.Sum(nil))
	flash.SetSerializer(securecookie.JSONEncoder{})
	flash.MaxAge(int(flashMaxAge.Seconds()))
	return cookies{codec: codec, flash: flash, secure: secure}
}

// keepCheckout keeps the checkout form as posted, with its problems, for
// the page the post redirects to.
func (k cookies) keepCheckout(c *fiber.Ctx, f checkoutForm) error {
	value, err := k.flash.Encode(checkoutCookie, f)
	if err != nil {
		return err
	}
	k.set(c, checkoutCookie, value, flashMaxAge)
	return nil
}

// takeCheckout reads the kept checkout form once: it is cleared, so a
// later visit starts from a fresh form.
func (k cookies) takeCheckout(c *fiber.Ctx) (checkoutForm, bool) {
	raw := c.Cookies(checkoutCookie)
	if raw == "" {
		return checkoutForm{}, false
	}
	k.set(c, checkoutCookie, "", -time.Second)
	var f checkoutForm
	if k.flash.Decode(checkoutCookie, raw, &f) != nil {
		return checkoutForm{}, false
	}
	return f, true
}

// cart reads the cart cookie. A missing, expired or tampered cookie is an
// empty cart: the shopper loses the cart, never sees an error.
//
// A cart set earlier in the same request is the one returned, so the page
// rendered after a change shows it.
func (k cookies) cart(c *fiber.Ctx) Cart {
	if cart, ok := c.Locals(cartCookie).(Cart); ok {
		return cart
	}
	var cart Cart
	raw := c.Cookies(cartCookie)
	if raw == "" || k.codec.Decode(cartCookie, raw, &cart) != nil || !cart.valid() {
		return Cart{}
	}
	return cart
}

func (k cookies) setCart(c *fiber.Ctx, cart Cart) error {
	value, err := k.codec.Encode(cartCookie, cart)
	if err != nil {
		return err
	}
	k.set(c, cartCookie, value, cookieMaxAge)
	c.Locals(cartCookie, cart)
	return nil
}

func (k cookies) set(c *fiber.Ctx, name, value string, maxAge time.Duration) {
	c.Cookie(&fiber.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: int(maxAge.Seconds()),
		HTTPOnly: true, Secure: k.secure, SameSite: fiber.CookieSameSiteLaxMode,
	})
}
