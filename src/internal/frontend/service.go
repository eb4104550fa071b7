// Package frontend is the storefront: server-rendered pages for shoppers,
// built from the catalog, search and order services over HTTP.
package frontend

import (
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"

	"github.com/shop-platform/shop/src/internal/platform"
)

// contentSecurityPolicy allows only our own scripts, styles and images, no
// framing (clickjacking) and forms posting only back to us.
const contentSecurityPolicy = "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

// securityHeaders go on every answer of the storefront: the values of
// Fiber's helmet middleware (its defaults, with our CSP, framing,
// referrer and permissions policies), written out because they must also
// go on the error pages of requests the server could not read, which no
// middleware sees.
var securityHeaders = [][2]string{
	{fiber.HeaderContentSecurityPolicy, contentSecurityPolicy},
	{fiber.HeaderXContentTypeOptions, "nosniff"},
	{fiber.HeaderXFrameOptions, "DENY"},
	{fiber.HeaderReferrerPolicy, "strict-origin-when-cross-origin"},
	{fiber.HeaderPermissionsPolicy, "camera=(), microphone=(), geolocation=(), payment=()"},
	{fiber.HeaderXXSSProtection, "0"},
	{"Cross-Origin-Embedder-Policy", "require-corp"},
	{"Cross-Origin-Opener-Policy", "same-origin"},
	{"Cross-Origin-Resource-Policy", "same-origin"},
	{"Origin-Agent-Cluster", "?1"},
	{"X-DNS-Prefetch-Control", "off"},
	{"X-Download-Options", "noopen"},
	{"X-Permitted-Cross-Domain-Policies", "none"},
}

// securityHeaderBytes are securityHeaders as fasthttp sets them without
// normalizing each name again on every answer.
var securityHeaderBytes = func() [][2][]byte {
	out := make([][2][]byte, len(securityHeaders))
	for i, h := range securityHeaders {
		out[i] = [2][]byte{[]byte(h[0]), []byte(h[1])}
	}
	return out
}()

func setSecurityHeaders(c *fiber.Ctx) {
	for _, h := range securityHeaderBytes {
		c.Response().Header.SetCanonical(h[0], h[1])
	}
}

// secure sets the security headers on every answer.
func secure(c *fiber.Ctx) error {
	setSecurityHeaders(c)
	return c.Next()
}

// NewApp builds the storefront's HTTP app. The backends are reached at the
// URLs in cfg; none needs to be up for the app to start.
func NewApp(cfg Config, logger *slog.Logger, reg *prometheus.Registry) (*fiber.App, error) {
	m := newMetrics(reg)
	static, err := loadAssets()
	if err != nil {
		return nil, err
	}
	r, err := newRenderer(m, static)
	if err != nil {
		return nil, err
	}
	r.publicURL = cfg.PublicURL
	secret := []byte(cfg.CookieSecret.Value())
	if len(secret) == 0 {
		secret = make([]byte, 32)
		_, _ = rand.Read(secret)
		logger.Warn("COOKIE_SECRET is not set: using a random one, so carts do not survive a restart or move between replicas")
	}
	h := &handlers{
		backends: backends{
			catalog: newBackend("catalog", cfg.CatalogURL, cfg.BackendTimeout, cfg.BackendCacheTTL, cfg.Tracer, m),
			search:  newBackend("search", cfg.SearchURL, cfg.BackendTimeout, cfg.BackendCacheTTL, cfg.Tracer, m),
			order:   newBackend("order", cfg.OrderURL, cfg.BackendTimeout, 0, cfg.Tracer, m),
		},
		cookies:   newCookies(secret, cfg.CookieSecure),
		renderer:  r,
		shared:    newTTLCache[sharedContent](cfg.BackendCacheTTL),
		logger:    logger,
		publicURL: cfg.PublicURL,
	}
	// Readiness is the catalog only: without it no page can be built, while
	// search and order outages degrade single pages (and show on the
	// breaker metric), so taking the storefront out of rotation for them
	// would turn a partial outage into a full one.
	app := platform.NewApp("frontend", cfg.Base, logger, reg, platform.Checks{"catalog": h.catalog.ping})
	app.Use(markStart, secure, h.errorPages, recover.New())
	// Requests the server refuses before any handler runs (malformed HTTP,
	// headers or URL beyond the read buffer, a body over BODY_LIMIT, an
	// unknown method) would get the platform's JSON error; a browser gets
	// the storefront's page instead.
	platform.OnReadError(app, h.serverErrorPage(app, cfg.Base))
	protection, err := newCrossOriginProtection(cfg.PublicURL)
	if err != nil {
		return nil, err
	}
	sameSite := refuseCrossSite(protection)
	static.routes(app)
	app.Get("/robots.txt", h.robots)
	app.Get("/sitemap.xml", h.sitemap)
	app.Get("/", h.home)
	app.Get("/category/:slug", h.category)
	app.Get("/product/:id", h.product)
	app.Get("/search", h.search)
	app.Get("/suggest", h.suggest)
	app.Get("/cart", h.addedNotice, h.cart)
	app.Post("/cart/add", sameSite, h.rememberAdded, h.cartAdd)
	app.Post("/cart/update", sameSite, h.cartUpdate)
	app.Post("/cart/remove", sameSite, h.cartRemove)
	app.Get("/checkout", h.checkoutForm)
	app.Post("/checkout", sameSite, perShopperPerMinute(cfg, cfg.CheckoutRateLimit, errTooManyCheckouts), h.checkout)
	app.Get("/orders/:id", h.order)
	app.Get("/find-order", h.findOrderForm)
	app.Post("/find-order", sameSite, perShopperPerMinute(cfg, cfg.FindOrderRateLimit, errTooManyLookups), h.findOrder)
	app.Post("/orders/:id/cancel", sameSite, h.cancelOrder)
	methodNotAllowedPages(app)
	app.Use(func(*fiber.Ctx) error { return notFoundPage("that page") })
	return app, nil
}

// methodNotAllowedPages answers a known path asked with a method it does
// not serve (POST /, DELETE /cart) with a 405 page and the Allow header,
// instead of the catch-all's 404: the page exists, the method is wrong.
func methodNotAllowedPages(app *fiber.App) {
	allowed := map[string][]string{}
	var paths []string
	for _, r := range app.GetRoutes(true) {
		if len(allowed[r.Path]) == 0 {
			paths = append(paths, r.Path)
		}
		if !slices.Contains(allowed[r.Path], r.Method) {
			allowed[r.Path] = append(allowed[r.Path], r.Method)
		}
	}
	for _, p := range paths {
		allow := strings.Join(allowed[p], ", ")
		app.All(p, func(c *fiber.Ctx) error {
			c.Set(fiber.HeaderAllow, allow)
			return &pageError{status: http.StatusMethodNotAllowed, title: "That did not work",
				message: "This page cannot be used that way (" + c.Method() + "). Go back and try again from the shop."}
		})
	}
}

// serverErrorPage renders the HTML error page for requests the server
// could not read or route (the platform's ReadError says which status),
// with the security headers every page has.
func (h *handlers) serverErrorPage(app *fiber.App, base platform.Base) func(*fasthttp.RequestCtx, error) {
	return func(fctx *fasthttp.RequestCtx, err error) {
		c := app.AcquireCtx(fctx)
		defer app.ReleaseCtx(c)
		setSecurityHeaders(c)
		status := base.ReadError(err).Status
		pe := &pageError{status: status, title: "That did not work",
			message: "Your browser sent a request we could not read. Go back and try again."}
		switch status {
		case http.StatusRequestHeaderFieldsTooLarge:
			pe.title, pe.message = "That address is too long",
				"The web address (or the cookies sent with it) is longer than we accept. Try a shorter search, or start again from the home page."
		case http.StatusRequestEntityTooLarge:
			pe.title, pe.message = "That form is too large", "What you sent is larger than we accept. Please shorten it and try again."
		case http.StatusRequestTimeout:
			pe.title, pe.message = "That took too long", "Your browser took too long to send the request. Please try again."
		case http.StatusNotImplemented, http.StatusHTTPVersionNotSupported:
			pe.message = "This page cannot be used that way. Go back and try again from the shop."
		}
		if rerr := h.renderErrorPage(c, pe); rerr != nil {
			h.logger.Error("rendering an error page for an unreadable request", "status", pe.status, "error", rerr)
			fctx.Error(http.StatusText(pe.status), pe.status)
		}
	}
}

// perShopperPerMinute lets each shopper through limit times a minute and
// answers the rest with tooMany. It is keyed on the shopper's address
// (cfg.ClientIP), not on the Ingress or gateway in front.
func perShopperPerMinute(cfg Config, limit int, tooMany error) fiber.Handler {
	return limiter.New(limiter.Config{
		Max: limit, Expiration: time.Minute, KeyGenerator: cfg.ClientIP,
		LimitReached: func(*fiber.Ctx) error { return tooMany },
	})
}

var errTooManyCheckouts = &pageError{status: http.StatusTooManyRequests, title: "Slow down a little",
	message: "We received many orders from you in a short time. Please wait a minute and try again."}

var errTooManyLookups = &pageError{status: http.StatusTooManyRequests, title: "Slow down a little",
	message: "We received many searches for orders from you in a short time. Please wait a minute and try again."}

// handlers serve the storefront pages.
type handlers struct {
	backends
	cookies  cookies
	renderer *renderer
	shared   *platform.Cache[string, sharedContent]
	logger   *slog.Logger
	// publicURL is PUBLIC_URL, the base of the sitemap's and robots.txt's
	// addresses.
	publicURL string
}

// sharedContent is a rendered page that is the same for every shopper
// with as many items in their cart (listings, search results, a product),
// by URL.
type sharedContent = []byte

// sharedPage answers a page whose content depends only on its URL and the
// cart's item count (the layout's badge): from the cache when it was
// rendered within BACKEND_CACHE_TTL, else by calling build (which fills
// the view's Title, Description and Data) and rendering. Executing the
// templates is most of a page's cost; a cached page costs a lookup. While
// one request renders an expired page again, the others get the expired
// one (platform.Cache.GetServingStale), for at most one more TTL.
func (h *handlers) sharedPage(c *fiber.Ctx, page string, build func() (view, error)) error {
	count := h.cookies.cart(c).Count()
	// The canonical link is part of the page, and without PUBLIC_URL it
	// names the host the request came to: that host is part of the key.
	canonical := h.renderer.canonical(c)
	key := page + " " + strconv.Itoa(count) + " " + canonical + " " + c.OriginalURL()
	s, ok, gen := h.shared.GetServingStale(key)
	if !ok {
		v, err := build()
		if err != nil {
			return err
		}
		v.Query, v.CartCount, v.Canonical = c.Query("q"), count, canonical
		body, err := h.renderer.page(page, v)
		if err != nil {
			return err
		}
		s = body
		h.shared.Add(gen, key, s)
	}
	h.renderer.write(c, http.StatusOK, page, s)
	return nil
}

// errorPages turns every error of the routes below it into a friendly HTML
// page with the right status.
func (h *handlers) errorPages(c *fiber.Ctx) error {
	err := c.Next()
	if err == nil {
		return nil
	}
	var re *redirectError
	if errors.As(err, &re) {
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.Redirect(re.to, http.StatusFound)
	}
	pe := asPageError(err)
	if pe.status >= 500 {
		h.logger.ErrorContext(c.UserContext(), "page failed", "path", c.Path(), "status", pe.status, "error", err)
	}
	if rerr := h.renderErrorPage(c, pe); rerr != nil {
		return fmt.Errorf("rendering error page for %w: %w", err, rerr)
	}
	return nil
}

// renderErrorPage writes the friendly page for pe. It sets no cookie: a
// request the server could not read has no readable cookies, and a cookie
// set from it would replace the shopper's valid one.
func (h *handlers) renderErrorPage(c *fiber.Ctx, pe *pageError) error {
	c.Response().Header.Del(fiber.HeaderLocation)
	data := errorData{Status: pe.status, Title: pe.title, Message: pe.message}
	return h.renderer.render(c, pe.status, "error", view{Title: pe.title, Description: pe.message, Data: data,
		CartCount: h.cookies.cart(c).Count(), Query: c.Query("q")})
}

// errorData is what the error page shows.
type errorData struct {
	Status         int
	Title, Message string
}

// renderView renders a page for this shopper alone.
func (h *handlers) renderView(c *fiber.Ctx, status int, page string, v view) error {
	v.CartCount = h.cookies.cart(c).Count()
	v.Canonical = h.renderer.canonical(c)
	if n, ok := c.Locals(noticeKey).(string); ok && v.Notice == "" {
		v.Notice = n
	}
	if v.Query == "" {
		v.Query = c.Query("q")
	}
	body, err := h.renderer.page(page, v)
	if err != nil {
		return err
	}
	h.renderer.write(c, status, page, body)
	return nil
}
