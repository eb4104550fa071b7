package frontend

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/sync/errgroup"

	"github.com/shop-platform/shop/src/internal/events"
)

// cartItem is a cart line with its product as the catalog has it now.
type cartItem struct {
	Product   Product
	Quantity  int
	LineCents int64
	// Short is true when the cart holds more than the catalog has in stock
	// now: ordering it as it is would be rejected.
	Short bool
}

// SoldOut is true when the product has no stock at all: the line is left
// out of the totals.
func (i cartItem) SoldOut() bool { return i.Product.Stock <= 0 }

// MaxQuantity is the most of the product a shopper can choose.
func (i cartItem) MaxQuantity() int { return maxOrderable(i.Product) }

// maxOrderable is the most of p one cart may hold: its stock, up to the
// cart's per-line limit.
func maxOrderable(p Product) int { return max(min(p.Stock, maxQuantity), 0) }

// cartData is what the cart and checkout pages show.
type cartData struct {
	Items []cartItem
	// TotalCents is the sum of the lines that are not sold out.
	TotalCents int64
	Currency   string
	// Quote is the order service's subtotal, shipping, tax and total of
	// the lines that are not sold out; nil when it cannot say now (the
	// page then shows the lines' sum alone).
	Quote *Quote
	// Country is the destination the quote is for.
	Country string
	// Dropped counts lines whose product no longer exists.
	Dropped int
	// Short counts lines that exceed the current stock.
	Short int
	// Limited is the line whose quantity was just lowered to the stock.
	Limited *cartItem
	// PendingOrder is the order placed from this cart, not confirmed yet.
	PendingOrder string
}

// loadCart looks up every product in the cart. Products the catalog no
// longer has are left out and the cookie is rewritten without them.
func (h *handlers) loadCart(c *fiber.Ctx) (cartData, error) {
	cart := h.cookies.cart(c)
	products := make([]*Product, len(cart.Lines))
	g, ctx := errgroup.WithContext(c.UserContext())
	g.SetLimit(8)
	for i, l := range cart.Lines {
		g.Go(func() error {
			p, err := h.backends.product(ctx, l.ProductID)
			if isNotFound(err) {
				return nil
			}
			products[i] = &p
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return cartData{}, err
	}
	d := cartData{Currency: "USD"}
	var kept Cart
	for i, l := range cart.Lines {
		p := products[i]
		if p == nil {
			d.Dropped++
			continue
		}
		kept.Lines = append(kept.Lines, l)
		line := p.PriceCents * int64(l.Quantity)
		item := cartItem{Product: *p, Quantity: l.Quantity, LineCents: line, Short: l.Quantity > p.Stock}
		if item.Short {
			d.Short++
		}
		d.Items = append(d.Items, item)
		if !item.SoldOut() {
			d.TotalCents += line
		}
		d.Currency = p.Currency
	}
	kept.Order = cart.Order
	d.PendingOrder = cart.Order
	if d.Dropped > 0 {
		if err := h.cookies.setCart(c, kept); err != nil {
			return d, err
		}
	}
	return d, nil
}

// Blocked is true while a line cannot be ordered as it is (sold out, or
// more than the stock): "Place order" waits until the shopper fixes it.
func (d cartData) Blocked() bool { return d.Short > 0 }

// defaultCountry is where the cart's quote delivers before the shopper
// has given an address, and the checkout form's first choice.
const defaultCountry = "US"

// quoteCart asks the order service for the totals of the cart's orderable
// lines delivered to country by method. An order service that cannot
// answer, or refuses, leaves d.Quote nil: the page still works.
func (h *handlers) quoteCart(c *fiber.Ctx, d *cartData, country, method string) {
	d.Country = country
	req := QuoteRequest{Country: country, Shipping: ShippingChoice{Method: method}}
	for _, it := range d.Items {
		if !it.SoldOut() {
			req.Items = append(req.Items, OrderItem{ProductID: it.Product.ID, Quantity: it.Quantity})
		}
	}
	if len(req.Items) == 0 {
		return
	}
	q, err := h.quote(c.UserContext(), req)
	if err != nil {
		h.logger.WarnContext(c.UserContext(), "no quote for the cart", "error", err)
		return
	}
	d.Quote = &q
}

// settleCart takes the ordered lines out of the cart once the order placed
// from it is confirmed,
// and forgets a rejected order while keeping its lines. A pending order, or
// one the order service cannot tell about now, leaves the cart as it is.
func (h *handlers) settleCart(c *fiber.Ctx) error {
	cart := h.cookies.cart(c)
	if cart.Order == "" {
		return nil
	}
	o, err := h.getOrder(c.UserContext(), cart.Order)
	switch {
	case isNotFound(err):
		o = Order{ID: cart.Order, Status: "rejected"}
	case err != nil:
		return nil //nolint:nilerr // the order service cannot say now: the cart stays as it is
	}
	return h.settleCartWith(c, cart, o)
}

// settleCartWith settles cart with o, the order placed from it.
func (h *handlers) settleCartWith(c *fiber.Ctx, cart Cart, o Order) error {
	if cart.Order != o.ID || o.Status == "pending" {
		return nil
	}
	if o.Status == "confirmed" {
		// Take out what was ordered; anything added since stays.
		for _, it := range o.Items {
			cart.Set(it.ProductID, cart.Quantity(it.ProductID)-it.Quantity, false)
		}
	}
	cart.Order = ""
	return h.cookies.setCart(c, cart)
}

func (h *handlers) cart(c *fiber.Ctx) error {
	if err := h.settleCart(c); err != nil {
		return err
	}
	d, err := h.loadCart(c)
	if err != nil {
		return err
	}
	if id := c.Query("limited"); id != "" {
		for i := range d.Items {
			if d.Items[i].Product.ID == id && d.Items[i].Quantity == maxOrderable(d.Items[i].Product) {
				d.Limited = &d.Items[i]
			}
		}
	}
	h.quoteCart(c, &d, defaultCountry, "standard")
	v := view{Title: "Your cart", Data: d, Description: "The products in your cart, their quantities and the total, before checkout."}
	var soldOut *Product
	if id := c.Query("soldout"); events.ValidProductID(id) {
		if p, err := h.backends.product(c.UserContext(), id); err == nil && p.Stock <= 0 {
			soldOut = &p
		}
	}
	switch {
	case c.Query("full") != "":
		v.Notice = "Your cart already has " + strconv.Itoa(maxCartLines) + " different products, the most it can hold, so that one was not added. Check out or remove a product first."
	case soldOut != nil:
		v.Notice = soldOut.Name + " is out of stock right now, so it was not added to your cart."
	case d.Dropped > 0:
		v.Notice = "Some items in your cart are no longer sold and were removed."
	case d.Short > 0:
		v.Notice = blockedNotice
	case d.Limited != nil:
		v.Notice = "We have only " + strconv.Itoa(d.Limited.Quantity) + " of " + d.Limited.Product.Name +
			" in stock, so your cart holds " + strconv.Itoa(d.Limited.Quantity) + "."
	}
	return h.renderView(c, http.StatusOK, "cart", v)
}

// formProduct reads the product_id field of a cart form.
func formProduct(c *fiber.Ctx) (string, error) {
	id := strings.TrimSpace(c.FormValue("product_id"))
	if !events.ValidProductID(id) {
		return "", notFoundPage("that product")
	}
	return id, nil
}

// formQuantity reads the quantity field: a whole number from lowest to
// maxQuantity.
func formQuantity(c *fiber.Ctx, lowest int) (int, error) {
	raw := strings.TrimSpace(c.FormValue("quantity", "1"))
	n, err := strconv.Atoi(raw)
	if err != nil || n < lowest || n > maxQuantity {
		return 0, &pageError{status: http.StatusBadRequest, title: "That quantity does not work",
			message: "Quantity must be a whole number from " + strconv.Itoa(lowest) + " to " + strconv.Itoa(maxQuantity) + "."}
	}
	return n, nil
}

func (h *handlers) cartAdd(c *fiber.Ctx) error {
	id, err := formProduct(c)
	if err != nil {
		return err
	}
	n, err := formQuantity(c, 1)
	if err != nil {
		return err
	}
	p, err := h.backends.product(c.UserContext(), id)
	if err != nil {
		if isNotFound(err) {
			return notFoundPage("that product")
		}
		return err
	}
	if p.Stock <= 0 {
		// Sold out since the product page was shown: back to the cart,
		// which says so.
		return c.Redirect("/cart?soldout="+url.QueryEscape(id), http.StatusSeeOther)
	}
	cart := h.cookies.cart(c)
	if cart.Quantity(id) == 0 && len(cart.Lines) >= maxCartLines {
		return c.Redirect("/cart?full=1", http.StatusSeeOther)
	}
	return h.changeCart(c, p, cart.Quantity(id)+n)
}

// blockedNotice says why the order cannot be placed yet and what to do.
const blockedNotice = "Some items are out of stock or not in stock in the quantity in your cart. They are not counted in the total: remove them or lower the quantity to place your order."

func (h *handlers) cartUpdate(c *fiber.Ctx) error {
	id, err := formProduct(c)
	if err != nil {
		return err
	}
	n, err := formQuantity(c, 0)
	if err != nil {
		return err
	}
	if n == 0 {
		return h.changeCart(c, Product{ID: id}, 0)
	}
	p, err := h.backends.product(c.UserContext(), id)
	if isNotFound(err) {
		return h.changeCart(c, Product{ID: id}, 0)
	}
	if err != nil {
		return err
	}
	return h.changeCart(c, p, n)
}

func (h *handlers) cartRemove(c *fiber.Ctx) error {
	id, err := formProduct(c)
	if err != nil {
		return err
	}
	return h.changeCart(c, Product{ID: id}, 0)
}

// changeCart sets the quantity of p in the cart, lowered to what is in
// stock, and sends the shopper to the cart (303, so a reload does not post
// the form again), saying so when the quantity was lowered.
func (h *handlers) changeCart(c *fiber.Ctx, p Product, quantity int) error {
	cart := h.cookies.cart(c)
	target := "/cart"
	if quantity > 0 && quantity > maxOrderable(p) {
		quantity = maxOrderable(p)
		target += "?limited=" + url.QueryEscape(p.ID)
	}
	cart.Set(p.ID, quantity, false)
	if err := h.cookies.setCart(c, cart); err != nil {
		return err
	}
	return c.Redirect(target, http.StatusSeeOther)
}
