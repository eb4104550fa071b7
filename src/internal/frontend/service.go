// Package frontend is the storefront: server-rendered pages for shoppers,
// built from the catalog, search and order services over HTTP.
package frontend

import (
	"crypto/rand"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/helmet"
	"github.com/gofiber/fiber/v2/middleware/limiter"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/shop-platform/shop/src/internal/platform"
)

// contentSecurityPolicy allows only our own scripts, styles and images, no
// framing (clickjacking) and forms posting only back to us.
const contentSecurityPolicy = "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

// NewApp builds the storefront's HTTP app. The backends are reached at the
// URLs in cfg; none needs to be up for the app to start.
func NewApp(cfg Config, logger *slog.Logger, reg *prometheus.Registry) (*fiber.App, error) {
	m := newMetrics(reg)
	r, err := newRenderer(m)
	if err != nil {
		return nil, err
	}
	secret := []byte(cfg.CookieSecret.Value())
	if len(secret) == 0 {
		secret = make([]byte, 32)
		_, _ = rand.Read(secret)
		logger.Warn("COOKIE_SECRET is not set: using a random one, so carts do not survive a restart or move between replicas")
	}
	h := &handlers{
		backends: backends{
			catalog: newBackend("catalog", cfg.CatalogURL, cfg.BackendTimeout, cfg.BackendCacheTTL, m),
			search:  newBackend("search", cfg.SearchURL, cfg.BackendTimeout, cfg.BackendCacheTTL, m),
			order:   newBackend("order", cfg.OrderURL, cfg.BackendTimeout, 0, m),
		},
		cookies:  newCookies(secret, cfg.CookieSecure),
		renderer: r,
		shared:   newTTLCache[sharedContent](cfg.BackendCacheTTL),
		logger:   logger,
	}
	// Readiness is the catalog only: without it no page can be built, while
	// search and order outages degrade single pages (and show on the
	// breaker metric), so taking the storefront out of rotation for them
	// would turn a partial outage into a full one.
	app := platform.NewApp("frontend", cfg.Base, logger, reg, platform.Checks{"catalog": h.catalog.ping})
	app.Use(markStart, helmet.New(helmet.Config{
		ContentSecurityPolicy: contentSecurityPolicy,
		ReferrerPolicy:        "strict-origin-when-cross-origin",
		XFrameOptions:         "DENY",
		PermissionPolicy:      "camera=(), microphone=(), geolocation=(), payment=()",
	}), h.errorPages, recover.New(), h.cookies.checkCSRF)
	staticRoutes(app)
	app.Get("/", h.home)
	app.Get("/category/:slug", h.category)
	app.Get("/product/:id", h.product)
	app.Get("/search", h.search)
	app.Get("/suggest", h.suggest)
	app.Get("/cart", h.cart)
	app.Post("/cart/add", h.cartAdd)
	app.Post("/cart/update", h.cartUpdate)
	app.Post("/cart/remove", h.cartRemove)
	app.Get("/checkout", h.checkoutForm)
	app.Post("/checkout", limiter.New(limiter.Config{
		Max:          cfg.CheckoutRateLimit,
		Expiration:   time.Minute,
		LimitReached: func(*fiber.Ctx) error { return errTooManyCheckouts },
	}), h.checkout)
	app.Get("/orders/:id", h.order)
	app.Use(func(*fiber.Ctx) error { return notFoundPage("that page") })
	return app, nil
}

var errTooManyCheckouts = &pageError{status: http.StatusTooManyRequests, title: "Slow down a little",
	message: "We received many orders from you in a short time. Please wait a minute and try again."}

// handlers serve the storefront pages.
type handlers struct {
	backends
	cookies  cookies
	renderer *renderer
	shared   *ttlCache[sharedContent]
	logger   *slog.Logger
}

// sharedContent is the rendered content of a page that is the same for
// every shopper (listings, search results), by URL.
type sharedContent struct {
	title   string
	content template.HTML
}

// sharedPage answers a page whose content depends only on its URL: from
// the cache when it was rendered within BACKEND_CACHE_TTL, else by calling
// build and rendering. The layout (cart count, CSRF token) is always
// rendered per shopper.
func (h *handlers) sharedPage(c *fiber.Ctx, page string, build func() (title string, data any, err error)) error {
	key := page + " " + c.OriginalURL()
	if s, ok := h.shared.get(key); ok {
		return h.renderView(c, http.StatusOK, page, view{Title: s.title, Content: s.content})
	}
	title, data, err := build()
	if err != nil {
		return err
	}
	v := view{Title: title, Data: data, Query: c.Query("q")}
	content, err := h.renderer.content(page, v)
	if err != nil {
		return err
	}
	h.shared.put(utils.CopyString(key), sharedContent{title: title, content: content})
	v.Content = content
	return h.renderView(c, http.StatusOK, page, v)
}

// errorPages turns every error of the routes below it into a friendly HTML
// page with the right status.
func (h *handlers) errorPages(c *fiber.Ctx) error {
	err := c.Next()
	if err == nil {
		return nil
	}
	pe := asPageError(err)
	if pe.status >= 500 {
		h.logger.ErrorContext(c.UserContext(), "page failed", "path", c.Path(), "status", pe.status, "error", err)
	}
	c.Response().Header.Del(fiber.HeaderLocation)
	data := errorData{Status: pe.status, Title: pe.title, Message: pe.message}
	if rerr := h.render(c, pe.status, "error", pe.title, data); rerr != nil {
		return fmt.Errorf("rendering error page for %w: %w", err, rerr)
	}
	return nil
}

// errorData is what the error page shows.
type errorData struct {
	Status         int
	Title, Message string
}

// render fills the layout fields every page shares and renders page.
func (h *handlers) render(c *fiber.Ctx, status int, page, title string, data any) error {
	return h.renderView(c, status, page, view{Title: title, Data: data})
}

func (h *handlers) renderView(c *fiber.Ctx, status int, page string, v view) error {
	v.CSRF = h.cookies.csrfToken(c)
	v.CartCount = h.cookies.cart(c).Count()
	if v.Query == "" {
		v.Query = c.Query("q")
	}
	return h.renderer.render(c, status, page, v)
}
