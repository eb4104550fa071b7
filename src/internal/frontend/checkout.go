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
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/shop-platform/shop/src/internal/platform"
)

// country is a destination the shop delivers to. Region and Phone say
// what its addresses need, as the order service requires them: a state,
// province or territory (US, CA, AU), a phone number for customs (outside
// the US and Europe).
type country struct {
	Code, Name    string
	Region, Phone bool
}

// countries the shop delivers to, by ISO 3166-1 alpha-2 code.
var countries = []country{
	{"AU", "Australia", true, true}, {"AT", "Austria", false, false}, {"BE", "Belgium", false, false},
	{"CA", "Canada", true, true}, {"DK", "Denmark", false, false}, {"FI", "Finland", false, false},
	{"FR", "France", false, false}, {"DE", "Germany", false, false}, {"IE", "Ireland", false, false},
	{"IT", "Italy", false, false}, {"JP", "Japan", false, true}, {"NL", "Netherlands", false, false},
	{"NZ", "New Zealand", false, true}, {"NO", "Norway", false, false}, {"PL", "Poland", false, false},
	{"PT", "Portugal", false, false}, {"ES", "Spain", false, false}, {"SE", "Sweden", false, false},
	{"CH", "Switzerland", false, false}, {"GB", "United Kingdom", false, false}, {"US", "United States", true, false},
}

// shippingMethods are the delivery choices, as the order service names them.
var shippingMethods = []string{"standard", "express"}

var postalCodePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 -]{1,11}$`)

// checkoutForm is the checkout form as posted, and its problems by field.
type checkoutForm struct {
	Name, Email, Phone, Line1, Line2, City, Region, PostalCode, Country, Method string
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
	// Notice is a message above the form (an outage, a blocked cart).
	Notice string
}

// errorOrder is the order of the fields in the form, so the error summary
// lists the problems as the shopper meets them.
var errorOrder = []struct{ ID, Label string }{
	{"name", "Full name"}, {"email", "Email"}, {"phone", "Phone"}, {"line1", "Street address"}, {"line2", "Apartment, suite"},
	{"city", "Town or city"}, {"region", "State, province or region"}, {"postal_code", "Postal code"}, {"country", "Country"}, {"method", "Delivery"},
	{"card_number", "Card number"}, {"exp", "Expiry date"}, {"cvc", "Security code"},
}

// fieldError is one problem of the error summary, linking to its field.
type fieldError struct{ ID, Label, Message string }

// ErrorList is the form's problems in the order of the form.
func (f checkoutForm) ErrorList() []fieldError {
	var out []fieldError
	for _, e := range errorOrder {
		if msg, ok := f.Errors[e.ID]; ok {
			out = append(out, fieldError{ID: e.ID, Label: e.Label, Message: msg})
		}
	}
	return out
}

// checkoutData is what the checkout page shows.
type checkoutData struct {
	Form      checkoutForm
	Cart      cartData
	Countries []country
	Methods   []string
}

// Destination is the country the form delivers to.
func (d checkoutData) Destination() country {
	for _, c := range countries {
		if c.Code == d.Form.Country {
			return c
		}
	}
	return country{}
}

// PhoneLabel names the phone field, saying whether the destination needs it.
func (d checkoutData) PhoneLabel() string {
	if d.Destination().Phone {
		return "Phone (needed for customs)"
	}
	return "Phone (optional)"
}

// RegionLabel names the region field, saying whether the destination needs it.
func (d checkoutData) RegionLabel() string {
	if d.Destination().Region {
		return "State, province or territory"
	}
	return "State, province or region (optional)"
}

func readCheckoutForm(c *fiber.Ctx) checkoutForm {
	v := func(k string) string { return strings.TrimSpace(c.FormValue(k)) }
	f := checkoutForm{
		Name: v("name"), Email: v("email"), Phone: v("phone"), Line1: v("line1"), Line2: v("line2"), City: v("city"),
		Region: v("region"), PostalCode: v("postal_code"), Country: strings.ToUpper(v("country")), Method: v("method"), Nonce: v("nonce"),
		CardNumber: platform.NormalizeCardNumber(v("card_number")), CVC: v("cvc"), ExpMonth: v("exp_month"), ExpYear: v("exp_year"),
	}
	if f.Method == "" {
		f.Method = "standard"
	}
	return f
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
	dest, known := countryOf(f.Country)
	text("region", f.Region, "state, province or region", known && dest.Region, 100)
	switch {
	case f.Phone == "" && known && dest.Phone:
		f.Errors["phone"] = "Enter a phone number: the carrier needs one for customs outside the US and Europe."
	case f.Phone != "" && !phonePattern.MatchString(f.Phone):
		f.Errors["phone"] = "Enter a phone number of digits, like +44 20 7946 0958."
	}
	if !slices.Contains(shippingMethods, f.Method) {
		f.Errors["method"] = "Choose standard or express delivery."
	}
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
	if !known {
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

// phonePattern is a phone number as people type it, 6 to 15 digits.
var phonePattern = regexp.MustCompile(`^\+?(?:[ ().-]*[0-9]){6,15}[ ().-]*$`)

func countryOf(code string) (country, bool) {
	for _, c := range countries {
		if c.Code == code {
			return c, true
		}
	}
	return country{}, false
}

// idempotencyKey is derived from everything the shopper submitted, so the
// same form posted twice (a double click, a retried request) places one
// order, while a changed form or a new checkout places a new one.
func (f checkoutForm) idempotencyKey(cart Cart) string {
	h := sha256.New()
	card := f.card()
	for _, s := range []string{f.Nonce, f.Name, f.Email, f.Phone, f.Line1, f.Line2, f.City, f.Region, f.PostalCode, f.Country, f.Method,
		card.Brand() + card.Last4(), f.ExpMonth, f.ExpYear} {
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

// checkoutForm shows the form: empty with a new nonce, or as the last
// post left it (its errors, a notice), which the post keeps in a flash
// cookie before redirecting here: post/redirect/get, so Back and reload
// never post the form again.
func (h *handlers) checkoutForm(c *fiber.Ctx) error {
	if h.cookies.cart(c).Count() == 0 {
		return c.Redirect("/cart", http.StatusSeeOther)
	}
	f, ok := h.cookies.takeCheckout(c)
	if !ok {
		f = checkoutForm{Country: defaultCountry, Method: "standard", Nonce: newNonce()}
	}
	return h.renderCheckout(c, http.StatusOK, f)
}

func (h *handlers) renderCheckout(c *fiber.Ctx, status int, f checkoutForm) error {
	if err := h.settleCart(c); err != nil {
		return err
	}
	d, err := h.loadCart(c)
	if err != nil {
		return err
	}
	notice := f.Notice
	if notice == "" && d.Blocked() {
		notice = blockedNotice
	}
	if _, known := countryOf(f.Country); known {
		h.quoteCart(c, &d, f.Country, f.Method)
	}
	return h.renderView(c, status, "checkout", view{Title: "Checkout", Notice: notice,
		Description: "Enter your name, email and delivery address, choose a delivery, and place your order.",
		Data:        checkoutData{Form: f, Cart: d, Countries: countries, Methods: shippingMethods}})
}

// backToForm keeps f for the form page and redirects there (303). The card
// number and CVC are never kept, not even in the encrypted cookie: the
// shopper types them again.
func (h *handlers) backToForm(c *fiber.Ctx, f checkoutForm) error {
	f.CardNumber, f.CVC = "", ""
	if err := h.cookies.keepCheckout(c, f); err != nil {
		return err
	}
	return c.Redirect("/checkout", http.StatusSeeOther)
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
	// "Update delivery and totals" re-prices the form without placing it.
	if c.FormValue("action") == "quote" {
		return h.backToForm(c, f)
	}
	if !f.validate() {
		return h.backToForm(c, f)
	}
	d, err := h.loadCart(c)
	if err != nil {
		return err
	}
	if d.Blocked() {
		f.Notice = blockedNotice
		return h.backToForm(c, f)
	}
	card := f.card()
	req := OrderRequest{
		Customer: Customer{Email: f.Email, Name: f.Name, Phone: f.Phone, Address: Address{
			Line1: f.Line1, Line2: f.Line2, City: f.City, Region: f.Region, PostalCode: f.PostalCode, Country: f.Country,
		}},
		Shipping: ShippingChoice{Method: f.Method},
		Payment:  &card,
	}
	for _, l := range cart.Lines {
		req.Items = append(req.Items, OrderItem(l))
	}
	id, err := h.createOrder(c.UserContext(), f.idempotencyKey(cart), req)
	var ae *apiError
	switch {
	case isUnavailable(err):
		// Not redirected: a 503 tells browsers and scripts alike to try
		// again, and posting the same form again is what trying again
		// means here (its nonce makes it the same order, never a second).
		f.Notice = "We could not place your order: ordering is unavailable right now. Nothing was ordered and your cart is kept; please try again in a moment."
		return h.renderCheckout(c, http.StatusServiceUnavailable, f)
	case errors.As(err, &ae):
		f.attachProblem(ae)
		return h.backToForm(c, f)
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
	for _, field := range []string{"email", "phone", "postal_code", "line1", "line2", "city", "region", "country", "name", "method"} {
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
	// Country is the delivery country's name.
	Country string
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
	id := c.Params("id")
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
	d := orderData{Order: o, Ref: o.Reference, Reason: shopperReason(o), CartKept: o.Status == "rejected" && cart.Order == o.ID, Country: o.Customer.Address.Country}
	if d.Ref == "" {
		// Placed before the order service gave references.
		d.Ref = orderRef(o.ID)
	}
	if c, ok := countryOf(d.Country); ok {
		d.Country = c.Name
	}
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
	id := c.Params("id")
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
