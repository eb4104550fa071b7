package order

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform"
)

// Routes registers the order API on app.
func Routes(app *fiber.App, p placer, adminToken platform.Secret) {
	h := handlers{placer: p}
	app.Get("/", h.info)
	app.Post("/create-order", h.create)
	app.Post("/quote", h.quote)
	// The collection answers one filter, reference and email, and never
	// lists: it stays outside /orders/*, which callers read orders by id
	// through (the helm test's identity among them).
	app.Get("/orders", h.lookup)
	app.Get("/orders/:id", h.get)
	app.Post("/orders/:id/cancel", h.cancel)
	app.Post("/orders/:id/ship", platform.RequireBearer(adminToken), h.ship)
	platform.ServeOpenAPI(app, openAPI)
}

type handlers struct{ placer placer }

func (h handlers) info(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{
		"service": "order",
		"endpoints": []string{
			"POST /create-order", "POST /quote", "GET /orders?reference=&email=", "GET /orders/{id}", "POST /orders/{id}/cancel", "POST /orders/{id}/ship", platform.HealthPath, platform.ReadyPath, platform.MetricsPath, platform.OpenAPIPath,
		},
	})
}

// CreateAnswer is the 202 body of POST /create-order.
type CreateAnswer struct {
	OrderID string `json:"order_id"`
	Status  Status `json:"status"`
}

func (h handlers) create(c *fiber.Ctx) error {
	key, err := parseIdempotencyKey(c.Get(idempotencyHdr), c.Request().Header.Peek(idempotencyHdr) != nil)
	if err != nil {
		return err
	}
	var r CreateRequest
	if err := platform.DecodeJSON(c, &r); err != nil {
		return err
	}
	r.normalize()
	if err := r.validate(); err != nil {
		return err
	}
	o, _, err := h.placer.place(c.UserContext(), r, key)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderLocation, "/orders/"+o.ID)
	return c.Status(http.StatusAccepted).JSON(CreateAnswer{OrderID: o.ID, Status: o.Status})
}

func (h handlers) get(c *fiber.Ctx) error {
	id := c.Params("id")
	if _, err := uuid.Parse(id); err != nil {
		return platform.NotFound("no order %q", id)
	}
	o, err := h.placer.store.Get(c.UserContext(), id)
	if errors.Is(err, ErrNotFound) {
		return platform.NotFound("no order %s", id)
	}
	if err != nil {
		return err
	}
	return c.JSON(o.shown())
}

// lookupMiss is the one answer to a lookup that finds nothing, whether no
// order has the reference or its email differs: the API tells nobody which
// references exist.
const lookupMiss = "no order has this reference and email"

// lookup finds an order by its human reference and the customer's email
// (case-insensitive), for a shopper who lost its link. The storefront
// rate-limits it.
func (h handlers) lookup(c *fiber.Ctx) error {
	ref := strings.ToUpper(strings.TrimSpace(c.Query("reference")))
	email := strings.TrimSpace(c.Query("email"))
	switch {
	case ref == "":
		return platform.BadRequest("invalid_parameter", "reference: is required, like SHP-7K3M2Q")
	case email == "":
		return platform.BadRequest("invalid_parameter", "email: is required")
	case !referencePattern.MatchString(ref):
		return platform.NotFound(lookupMiss)
	}
	o, err := h.placer.store.ByReference(c.UserContext(), ref)
	if errors.Is(err, ErrNotFound) || (err == nil && !strings.EqualFold(o.Customer.Email, email)) {
		return platform.NotFound(lookupMiss)
	}
	if err != nil {
		return err
	}
	return c.JSON(o.shown())
}

// cancel moves a confirmed order to cancelled with its order.cancelled
// event, on which the payment service refunds and the catalog releases
// the stock. Cancelling a cancelled order again is accepted and changes
// nothing; any other status is a 409 saying why.
func (h handlers) cancel(c *fiber.Ctx) error {
	id := c.Params("id")
	if _, err := uuid.Parse(id); err != nil {
		return platform.NotFound("no order %q", id)
	}
	e, err := events.New(Source, events.OrderCancelled, events.OrderCancelledData{OrderID: id})
	if err != nil {
		return err
	}
	o, err := h.placer.store.Move(c.UserContext(), id, Cancelled, &e)
	switch {
	case errors.Is(err, ErrConflict) && o.Status == Cancelled:
	case errors.Is(err, ErrConflict):
		return platform.NewError(http.StatusConflict, "not_cancellable", "order %s is %s: only a confirmed order that has not shipped can be cancelled", id, o.Status)
	case err != nil:
		return moveError(id, err)
	default:
		h.placer.metrics.cancelled.Inc()
	}
	return c.Status(http.StatusAccepted).JSON(o)
}

// ship marks a confirmed order shipped (admin): it can no longer be
// cancelled.
func (h handlers) ship(c *fiber.Ctx) error {
	id := c.Params("id")
	if _, err := uuid.Parse(id); err != nil {
		return platform.NotFound("no order %q", id)
	}
	o, err := h.placer.store.Move(c.UserContext(), id, Shipped, nil)
	if errors.Is(err, ErrConflict) {
		return platform.NewError(http.StatusConflict, "not_shippable", "order %s is %s: only a confirmed order can be shipped", id, o.Status)
	}
	if err != nil {
		return moveError(id, err)
	}
	return c.JSON(o)
}

func moveError(id string, err error) error {
	if errors.Is(err, ErrNotFound) {
		return platform.NotFound("no order %s", id)
	}
	return err
}
