package frontend

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"github.com/shop-platform/shop/src/internal/platform"
)

// countries the shop delivers to, by ISO 3166-1 alpha-2 code.
var countries = []struct{ Code, Name string }{
	{"AU", "Australia"}, {"AT", "Austria"}, {"BE", "Belgium"}, {"CA", "Canada"}, {"DK", "Denmark"},
	{"FI", "Finland"}, {"FR", "France"}, {"DE", "Germany"}, {"IE", "Ireland"}, {"IT", "Italy"},
	{"JP", "Japan"}, {"NL", "Netherlands"}, {"NZ", "New Zealand"}, {"NO", "Norway"}, {"PL", "Poland"},
	{"PT", "Portugal"}, {"ES", "Spain"}, {"SE", "Sweden"}, {"CH", "Switzerland"},
	{"GB", "United Kingdom"}, {"US", "United States"},
}

var postalCodePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 -]{1,11}$`)

// checkoutForm is the checkout form as posted, and its problems by field.
type checkoutForm struct {
	Name, Email, Line1, Line2, City, PostalCode, Country string
	// Nonce is issued with the form; it makes the Idempotency-Key of one
	// filled-in form stable across double submits, and different for the
	// next order.
	Nonce string
	// The card: its number and CVC are forwarded to the order service and
	// never rendered back; the expiry is kept for the form.
	CardNumber, CVC   string
	ExpMonth, ExpYear string
	Errors            map[string]string
	// Problem is an error that belongs to no single field.
	Problem string
}

// checkoutData is what the checkout page shows.
type checkoutData struct {
	Form      checkoutForm
	Cart      cartData
	Countries []struct{ Code, Name string }
}

func readCheckoutForm(c *fiber.Ctx) checkoutForm {
	v := func(k string) string { return utils.CopyString(strings.TrimSpace(c.FormValue(k))) }
	return checkoutForm{
		Name: v("name"), Email: v("email"), Line1: v("line1"), Line2: v("line2"), City: v("city"),
		PostalCode: v("postal_code"), Country: strings.ToUpper(v("country")), Nonce: v("nonce"),
		CardNumber: platform.NormalizeCardNumber(v("card_number")), CVC: v("cvc"), ExpMonth: v("exp_month"), ExpYear: v("exp_year"),
	}
}

// validate fills f.Errors with a message per wrong field and reports
// whether the form is good.
func (f *checkoutForm) validate() bool {
	f.Errors = map[string]string{}
	text := func(field, value, label string, required bool, limit int) {
		switch {
		case required && value == "":
			f.Errors[field] = "Enter your " + label + "."
		case utf8.RuneCountInString(value) > limit:
			f.Errors[field] = strings.ToUpper(label[:1]) + label[1:] + " must be at most " + strconv.Itoa(limit) + " characters."
		}
	}
	text("name", f.Name, "name", true, 100)
	text("line1", f.Line1, "street address", true, 200)
	text("line2", f.Line2, "second address line", false, 200)
	text("city", f.City, "town or city", true, 100)
	if addr, err := mail.ParseAddress(f.Email); f.Email == "" {
		f.Errors["email"] = "Enter your email address."
	} else if err != nil || addr.Address != f.Email || !strings.Contains(f.Email[strings.LastIndex(f.Email, "@"):], ".") || len(f.Email) > 254 {
		f.Errors["email"] = "Enter an email address like name@example.com."
	}
	if f.PostalCode == "" {
		f.Errors["postal_code"] = "Enter your postal code."
	} else if !postalCodePattern.MatchString(f.PostalCode) {
		f.Errors["postal_code"] = "Enter a postal code of letters, digits, spaces or dashes (2 to 12 characters)."
	}
	if !knownCountry(f.Country) {
		f.Errors["country"] = "Choose the country to deliver to."
	}
	f.validateCard()
	return len(f.Errors) == 0
}

// card is the form's card as the order service takes it.
func (f checkoutForm) card() platform.Card {
	month, _ := strconv.Atoi(f.ExpMonth)
	year, _ := strconv.Atoi(f.ExpYear)
	return platform.Card{Number: f.CardNumber, ExpMonth: month, ExpYear: year, CVC: f.CVC, Name: f.Name}
}

// validateCard checks the card as the order service will, so a mistyped
// card is shown next to its field before anything is sent.
func (f *checkoutForm) validateCard() {
	var ce *platform.CardError
	if err := platform.CheckCard(f.card(), time.Now()); errors.As(err, &ce) {
		f.setCardError(ce.Field, ce.Message)
	}
}

// cardFields maps the card's fields to the form's.
var cardFields = map[string]string{"card_number": "card_number", "exp_month": "exp", "exp_year": "exp", "cvc": "cvc"}

func (f *checkoutForm) setCardError(field, message string) bool {
	id, ok := cardFields[field]
	if ok && message != "" {
		f.Errors[id] = "Card " + strings.ReplaceAll(field, "_", " ") + ": " + message + "."
	}
	return ok
}

func knownCountry(code string) bool {
	for _, c := range countries {
		if c.Code == code {
			return true
		}
	}
	return false
}

// idempotencyKey is derived from everything the shopper submitted, so the
// same form posted twice (a double click, a retried request) places one
// order, while a changed form or a new checkout places a new one.
func (f checkoutForm) idempotencyKey(cart Cart) string {
	h := sha256.New()
	card := f.card()
	for _, s := range []string{f.Nonce, f.Name, f.Email, f.Line1, f.Line2, f.City, f.PostalCode, f.Country, card.Brand() + card.Last4(), f.ExpMonth, f.ExpYear} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	for _, l := range cart.Lines {
		h.Write([]byte(l.ProductID + ":" + strconv.Itoa(l.Quantity) + "\x00"))
	}
	return "checkout-" + hex.EncodeToString(h.Sum(nil))[:40]
}

func newNonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (h *handlers) checkoutForm(c *fiber.Ctx) error {
	if h.cookies.cart(c).Count() == 0 {
		return c.Redirect("/cart", http.StatusSeeOther)
	}
	return h.renderCheckout(c, http.StatusOK, checkoutForm{Country: "US", Nonce: newNonce()}, "")
}

// shortNotice warns that some lines exceed the stock. Placing the order
// is still allowed: the stock shown may be up to BACKEND_CACHE_TTL old,
// and the catalog, which reserves atomically, has the last word; a
// rejected order keeps the cart and its page says which product was short.
const shortNotice = "Some items are not in stock in the quantity in your cart: lower the quantity in your cart before you place the order, or it will be rejected."

func (h *handlers) renderCheckout(c *fiber.Ctx, status int, f checkoutForm, notice string) error {
	if err := h.settleCart(c); err != nil {
		return err
	}
	d, err := h.loadCart(c)
	if err != nil {
		return err
	}
	if notice == "" && d.Short > 0 {
		notice = shortNotice
	}
	return h.renderView(c, status, "checkout", view{Title: "Checkout", Notice: notice,
		Description: "Enter your name, email and delivery address to place your order.",
		Data:        checkoutData{Form: f, Cart: d, Countries: countries}})
}

func (h *handlers) checkout(c *fiber.Ctx) error {
	cart := h.cookies.cart(c)
	if cart.Count() == 0 {
		return c.Redirect("/cart", http.StatusSeeOther)
	}
	f := readCheckoutForm(c)
	if f.Nonce == "" {
		f.Nonce = newNonce()
	}
	if !f.validate() {
		return h.renderCheckout(c, http.StatusUnprocessableEntity, f, "")
	}
	card := f.card()
	req := OrderRequest{
		Customer: Customer{Email: f.Email, Name: f.Name, Address: Address{
			Line1: f.Line1, Line2: f.Line2, City: f.City, PostalCode: f.PostalCode, Country: f.Country,
		}},
		Payment: &card,
	}
	for _, l := range cart.Lines {
		req.Items = append(req.Items, OrderItem(l))
	}
	id, err := h.createOrder(c.UserContext(), f.idempotencyKey(cart), req)
	var ae *apiError
	switch {
	case isUnavailable(err):
		return h.renderCheckout(c, http.StatusServiceUnavailable, f,
			"We could not place your order: ordering is unavailable right now. Nothing was ordered and your cart is kept; please try again in a moment.")
	case errors.As(err, &ae):
		f.attachProblem(ae)
		return h.renderCheckout(c, http.StatusUnprocessableEntity, f, "")
	case err != nil:
		return err
	}
	// The cart stays until the order is confirmed: a rejected order leaves
	// it for the shopper to adjust and try again.
	cart.Order = id
	if err := h.cookies.setCart(c, cart); err != nil {
		return err
	}
	return c.Redirect("/orders/"+id, http.StatusSeeOther)
}

// attachProblem shows an order service rejection next to the field it
// names ("customer.email: must be ..."), or above the form when it names
// none.
func (f *checkoutForm) attachProblem(ae *apiError) {
	path, detail, found := strings.Cut(ae.Message, ": ")
	if !found {
		path, detail = ae.Code, ae.Message
	}
	if card, ok := strings.CutPrefix(path, "payment."); ok && f.setCardError(card, detail) {
		return
	}
	for _, field := range []string{"email", "postal_code", "line1", "line2", "city", "country", "name"} {
		if strings.HasSuffix(path, "."+field) && detail != "" {
			f.Errors[field] = strings.ToUpper(detail[:1]) + detail[1:] + "."
			return
		}
	}
	f.Problem = "We could not place your order: " + ae.Message
}

// orderData is what the order status page shows.
type orderData struct {
	Order Order
	// Ref is the order's short reference for people.
	Ref string
	// Reason is the rejection reason as a shopper reads it.
	Reason string
	// CartKept is true when the order was rejected and the cart it came
	// from is still there to adjust.
	CartKept bool
}

// productRef matches the catalog's "product <id>" in a rejection reason.
var productRef = regexp.MustCompile(`\bproduct ([a-z0-9][a-z0-9-]{0,63})\b`)

// shopperReason names the products of o in its rejection reason instead of
// their internal ids ("insufficient stock for product books-001: ..." becomes
// "Insufficient stock for “Dune”: ..."), from the order's own lines.
func shopperReason(o Order) string {
	names := make(map[string]string, len(o.Items))
	for _, it := range o.Items {
		if it.Name != "" {
			names[it.ProductID] = it.Name
		}
	}
	reason := productRef.ReplaceAllStringFunc(o.Reason, func(m string) string {
		if name, ok := names[productRef.FindStringSubmatch(m)[1]]; ok {
			return "“" + name + "”"
		}
		return m
	})
	if reason == "" {
		return ""
	}
	r, size := utf8.DecodeRuneInString(reason)
	return strings.ToUpper(string(r)) + reason[size:]
}

var orderIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// orderRefreshSeconds is how often the status page reloads while the order
// is pending: the saga usually settles within a second or two.
const orderRefreshSeconds = 2

func (h *handlers) order(c *fiber.Ctx) error {
	id := utils.CopyString(c.Params("id"))
	if !orderIDPattern.MatchString(id) {
		return notFoundPage("that order")
	}
	o, err := h.getOrder(c.UserContext(), id)
	if isNotFound(err) {
		return notFoundPage("that order")
	}
	if err != nil {
		return err
	}
	cart := h.cookies.cart(c)
	if err := h.settleCartWith(c, cart, o); err != nil {
		return err
	}
	d := orderData{Order: o, Ref: orderRef(o.ID), Reason: shopperReason(o), CartKept: o.Status == "rejected" && cart.Order == o.ID}
	v := view{Title: "Order " + d.Ref, Data: d, Description: "The status of your order: pending, confirmed or rejected, with its items and total."}
	if c.Query("cancel") == "refused" && o.Status != "cancelled" {
		v.Notice = "This order can no longer be cancelled: it has shipped."
	}
	if o.Status == "pending" {
		v.Refresh = orderRefreshSeconds
	}
	return h.renderView(c, http.StatusOK, "order", v)
}

// cancelOrder cancels a confirmed order from its page (the Cancel button)
// and shows the page again; an order that can no longer be cancelled (it
// shipped) says so there.
func (h *handlers) cancelOrder(c *fiber.Ctx) error {
	id := utils.CopyString(c.Params("id"))
	if !orderIDPattern.MatchString(id) {
		return notFoundPage("that order")
	}
	err := h.backends.cancelOrder(c.UserContext(), id)
	var ae *apiError
	switch {
	case isNotFound(err):
		return notFoundPage("that order")
	case errors.As(err, &ae) && ae.Status == http.StatusConflict:
		return c.Redirect("/orders/"+id+"?cancel=refused", http.StatusSeeOther)
	case err != nil:
		return err
	}
	return c.Redirect("/orders/"+id, http.StatusSeeOther)
}
