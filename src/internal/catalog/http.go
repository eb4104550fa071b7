package catalog

import (
	"errors"
	"net/http"

	"github.com/gofiber/fiber/v2"

	"github.com/shop-platform/shop/src/internal/platform"
)

// Routes registers the catalog endpoints on app.
func Routes(app *fiber.App, store Store, adminToken platform.Secret) {
	h := handlers{store: store, enc: newEncoder()}
	app.Get("/catalog", h.list)
	app.Get("/catalog/categories", h.categories)
	app.Get("/catalog/:id", h.get)
	admin := platform.RequireBearer(adminToken)
	app.Put("/catalog/:id", admin, h.put)
	app.Delete("/catalog/:id", admin, h.delete)
	platform.ServeOpenAPI(app, openAPI)
}

type handlers struct {
	store Store
	enc   encoder
}

func (h handlers) list(c *fiber.Ctx) error {
	q, err := ParseQuery(func(key string) string { return c.Query(key) })
	if err != nil {
		return err
	}
	// The version is read before the listing, so a kept page is never
	// older than its version (Versioned).
	var version uint64
	keep := false
	if versioned, ok := h.store.(Versioned); ok {
		version, keep = versioned.Version()
	}
	if keep {
		if b, ok := h.enc.keptPage(q, version); ok {
			return sendJSON(c, b)
		}
	}
	page, err := h.store.List(c.UserContext(), q)
	if err != nil {
		return err
	}
	b, err := h.enc.appendPage(nil, page)
	if err != nil {
		return err
	}
	if keep {
		h.enc.keepPage(q, version, b)
	}
	return sendJSON(c, b)
}

func (h handlers) categories(c *fiber.Ctx) error {
	list, err := h.store.Categories(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"categories": list})
}

// productID reads and checks the id path parameter; the platform's app is
// immutable, so the id may be kept by the store.
func productID(c *fiber.Ctx) (string, error) {
	id := c.Params("id")
	return id, ValidateID(id)
}

func (h handlers) get(c *fiber.Ctx) error {
	id, err := productID(c)
	if err != nil {
		return notFoundOr(id, err)
	}
	p, err := h.store.Get(c.UserContext(), id)
	if err != nil {
		return notFoundOr(id, err)
	}
	return h.enc.sendProduct(c, p)
}

func (h handlers) put(c *fiber.Ctx) error {
	id, err := productID(c)
	if err != nil {
		return err
	}
	if err := platform.RequireJSON(c); err != nil {
		return err
	}
	in, err := ParseProductInput(c.Body())
	if err != nil {
		return err
	}
	p, created, err := h.store.Upsert(c.UserContext(), id, in)
	if err != nil {
		return err
	}
	if created {
		c.Status(http.StatusCreated).Location("/catalog/" + p.ID)
	}
	return c.JSON(p)
}

func (h handlers) delete(c *fiber.Ctx) error {
	id, err := productID(c)
	if err != nil {
		return notFoundOr(id, err)
	}
	if err := h.store.Delete(c.UserContext(), id); err != nil {
		return notFoundOr(id, err)
	}
	return c.SendStatus(http.StatusNoContent)
}

// notFoundOr answers an unknown or malformed id with a 404, since no product
// can have it, and passes other errors on.
func notFoundOr(id string, err error) error {
	var pe *platform.Error
	if errors.Is(err, ErrNotFound) || errors.As(err, &pe) {
		return platform.NotFound("product %q not found", id)
	}
	return err
}
