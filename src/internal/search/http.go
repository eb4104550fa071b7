package search

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/shop-platform/shop/src/internal/platform"
)

// Routes registers the search endpoints on app.
func Routes(app *fiber.App, backend Backend, ix *Indexer, m *metrics, adminToken platform.Secret) {
	h := handlers{backend: backend, indexer: ix, metrics: m}
	app.Get("/search", h.search)
	app.Get("/search/suggest", h.suggest)
	admin := platform.RequireBearer(adminToken)
	app.Post("/search/reindex", admin, h.startReindex)
	app.Get("/search/reindex", admin, h.reindexStatus)
	platform.ServeOpenAPI(app, openAPI)
}

type handlers struct {
	backend Backend
	indexer *Indexer
	metrics *metrics
}

// search answers GET /search. A page past the last hit is not an error: it
// has no hits, and the total and facets of the whole query.
func (h handlers) search(c *fiber.Ctx) error {
	q, err := ParseQuery(func(key string) string { return c.Query(key) })
	if err != nil {
		return err
	}
	start := time.Now()
	res, err := h.backend.Search(c.UserContext(), q)
	took := time.Since(start)
	platform.Observe(c.UserContext(), h.metrics.queries.WithLabelValues("search", result(err)), took.Seconds())
	if err != nil {
		return h.backendError(err)
	}
	if res.Total == 0 {
		h.metrics.zero.Inc()
	}
	res.TookMS = took.Milliseconds()
	return c.JSON(res)
}

// suggest answers GET /search/suggest with {"suggestions":[{"id","name"}]}.
func (h handlers) suggest(c *fiber.Ctx) error {
	text, err := ParseSuggest(c.Query("q"))
	if err != nil {
		return err
	}
	start := time.Now()
	list, err := h.backend.Suggest(c.UserContext(), text)
	platform.Observe(c.UserContext(), h.metrics.queries.WithLabelValues("suggest", result(err)), time.Since(start).Seconds())
	if err != nil {
		return h.backendError(err)
	}
	return c.JSON(fiber.Map{"suggestions": list})
}

// backendError turns an index that cannot answer into a 503 that says so;
// a request out of time stays a timeout.
func (h handlers) backendError(err error) error {
	if errors.Is(err, platform.ErrUnavailable) && !errors.Is(err, context.DeadlineExceeded) {
		return errBackendDown(h.backend.Name(), err)
	}
	return err
}

// startReindex answers POST /search/reindex: 202 and the rebuild's status;
// GET /search/reindex follows it.
func (h handlers) startReindex(c *fiber.Ctx) error {
	status, err := h.indexer.RequestReindex()
	if err != nil {
		return err
	}
	c.Location("/search/reindex")
	return c.Status(http.StatusAccepted).JSON(status)
}

func (h handlers) reindexStatus(c *fiber.Ctx) error {
	return c.JSON(h.indexer.Status())
}
