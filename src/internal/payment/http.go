package payment

import (
	"context"
	_ "embed"
	"errors"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/shop-platform/shop/src/internal/platform"
)

// openAPI is the payment service's OpenAPI document, served at /openapi.json.
//
//go:embed openapi.yaml
var openAPI []byte

// Routes registers the payment API on app.
func Routes(app *fiber.App, store Store, provider Provider, timeout time.Duration, adminToken platform.Secret) {
	h := handlers{store: store, provider: provider, timeout: timeout}
	app.Get("/", h.info)
	app.Post("/payment-methods", h.tokenize)
	app.Get("/payments", platform.RequireBearer(adminToken), h.list)
	app.Get("/payments/:id", h.get)
	platform.ServeOpenAPI(app, openAPI)
}

type handlers struct {
	store    Store
	provider Provider
	timeout  time.Duration
}

func (h handlers) info(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{
		"service":  "payment",
		"provider": h.provider.Name(),
		"endpoints": []string{
			"POST /payment-methods", "GET /payments/{id}", "GET /payments", platform.HealthPath, platform.ReadyPath, platform.MetricsPath, platform.OpenAPIPath,
		},
	})
}

// tokenize checks a card and turns it into the provider's token. The card
// is not stored and not logged: the answer holds only the token, the
// brand and the last four digits.
func (h handlers) tokenize(c *fiber.Ctx) error {
	var card platform.Card
	if err := platform.DecodeJSON(c, &card); err != nil {
		return err
	}
	card.Number = platform.NormalizeCardNumber(card.Number)
	if err := platform.CheckCard(card, time.Now()); err != nil {
		return cardError(err)
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), h.timeout)
	defer cancel()
	m, err := h.provider.Tokenize(ctx, card)
	if err != nil {
		return cardError(err)
	}
	return c.Status(http.StatusCreated).JSON(m)
}

// cardError is a 400 naming the card's field, or err as it is.
func cardError(err error) error {
	var ce *platform.CardError
	if errors.As(err, &ce) {
		return platform.BadRequest("invalid_field", "%s: %s", ce.Field, ce.Message)
	}
	return err
}

func (h handlers) get(c *fiber.Ctx) error {
	id := c.Params("id")
	if _, err := uuid.Parse(id); err != nil {
		return platform.NotFound("no payment for order %q", id)
	}
	p, err := h.store.Get(c.UserContext(), id)
	if errors.Is(err, ErrNotFound) {
		return platform.NotFound("no payment for order %s", id)
	}
	if err != nil {
		return err
	}
	return c.JSON(p)
}

// maxList bounds GET /payments.
const maxList = 1000

func (h handlers) list(c *fiber.Ctx) error {
	limit, err := platform.IntParam(func(k string) string { return c.Query(k) }, "limit", 100, 1, maxList)
	if err != nil {
		return err
	}
	list, err := h.store.List(c.UserContext(), limit)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": list})
}
