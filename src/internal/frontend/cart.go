package frontend

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"golang.org/x/sync/errgroup"
)

// cartItem is a cart line with its product as the catalog has it now.
type cartItem struct {
	Product   Product
	Quantity  int
	LineCents int64
}

// cartData is what the cart and checkout pages show.
type cartData struct {
	Items      []cartItem
	TotalCents int64
	Currency   string
	// Dropped counts lines whose product no longer exists.
	Dropped int
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
		d.Items = append(d.Items, cartItem{Product: *p, Quantity: l.Quantity, LineCents: line})
		d.TotalCents += line
		d.Currency = p.Currency
	}
	if d.Dropped > 0 {
		if err := h.cookies.setCart(c, kept); err != nil {
			return d, err
		}
	}
	return d, nil
}

func (h *handlers) cart(c *fiber.Ctx) error {
	d, err := h.loadCart(c)
	if err != nil {
		return err
	}
	v := view{Title: "Your cart", Data: d}
	if d.Dropped > 0 {
		v.Notice = "Some items in your cart are no longer sold and were removed."
	}
	return h.renderView(c, http.StatusOK, "cart", v)
}

// formProduct reads the product_id field of a cart form.
func formProduct(c *fiber.Ctx) (string, error) {
	id := utils.CopyString(strings.TrimSpace(c.FormValue("product_id")))
	if !productIDPattern.MatchString(id) {
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
	if _, err := h.backends.product(c.UserContext(), id); err != nil {
		if isNotFound(err) {
			return notFoundPage("that product")
		}
		return err
	}
	return h.changeCart(c, id, n, true)
}

func (h *handlers) cartUpdate(c *fiber.Ctx) error {
	id, err := formProduct(c)
	if err != nil {
		return err
	}
	n, err := formQuantity(c, 0)
	if err != nil {
		return err
	}
	return h.changeCart(c, id, n, false)
}

func (h *handlers) cartRemove(c *fiber.Ctx) error {
	id, err := formProduct(c)
	if err != nil {
		return err
	}
	return h.changeCart(c, id, 0, false)
}

// changeCart stores the changed cart and sends the shopper to it (303, so
// a reload does not post the form again).
func (h *handlers) changeCart(c *fiber.Ctx, id string, quantity int, add bool) error {
	cart := h.cookies.cart(c)
	cart.Set(id, quantity, add)
	if err := h.cookies.setCart(c, cart); err != nil {
		return err
	}
	return c.Redirect("/cart", http.StatusSeeOther)
}
