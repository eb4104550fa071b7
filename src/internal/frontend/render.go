package frontend

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/bytebufferpool"

	"github.com/shop-platform/shop/src/internal/platform"
)

//go:embed templates/*.html templates/partials/*.html
var templateFS embed.FS

// view is what every page template gets: the layout's fields and the
// page's own Data.
type view struct {
	Title string
	// Description is the page's meta description, the snippet search
	// engines and link previews show.
	Description string
	CartCount   int
	Query       string
	Notice      string
	Refresh     int // seconds; the order page reloads itself while pending
	// Canonical is the page's one absolute address (see canonicalURL).
	Canonical string
	Data      any
	// Content is the page's rendered part inside the layout.
	Content template.HTML
}

// renderer holds one parsed template set per page, each the layout plus the
// page's "content".
type renderer struct {
	pages   map[string]*template.Template
	metrics *metrics
	// publicURL is PUBLIC_URL, the base of canonical links.
	publicURL string
}

func newRenderer(m *metrics, a *assets) (*renderer, error) {
	funcs := template.FuncMap{
		"money": formatMoney, "slug": slug, "title": titleCase, "image": a.image, "asset": a.url,
		"highlight": highlight, "add": func(a, b int) int { return a + b },
		"dict": dict, "maxQuantity": maxOrderable, "productLD": productJSONLD, "days": deliveryDays, "methodName": methodName,
	}
	// The partials (templates/partials) are shared by several pages.
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("parsing layout: %w", err)
	}
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	r := &renderer{pages: make(map[string]*template.Template), metrics: m}
	for _, f := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(f, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, f)
		if err != nil {
			return nil, fmt.Errorf("parsing %s: %w", f, err)
		}
		r.pages[name] = t
	}
	return r, nil
}

// dict builds a map from key, value pairs, to pass several values to a
// shared template.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, errors.New("dict needs key, value pairs")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

// startKey holds when the request reached the storefront, for the page
// latency metric.
const startKey = "frontend-start"

func markStart(c *fiber.Ctx) error {
	c.Locals(startKey, time.Now())
	return c.Next()
}

// content renders the page's own part, without the layout.
func (r *renderer) content(page string, v view) (template.HTML, error) {
	t, ok := r.pages[page]
	if !ok {
		return "", fmt.Errorf("no template for page %q", page)
	}
	buf := bytebufferpool.Get()
	defer bytebufferpool.Put(buf)
	if err := t.ExecuteTemplate(buf, "content", v); err != nil {
		return "", fmt.Errorf("rendering %s: %w", page, err)
	}
	return template.HTML(buf.String()), nil //nolint:gosec // produced by html/template above
}

// page renders the whole page, layout included, and returns a copy the
// caller may keep. When v.Content is empty the page's content is rendered
// first.
func (r *renderer) page(page string, v view) ([]byte, error) {
	if v.Content == "" {
		content, err := r.content(page, v)
		if err != nil {
			return nil, err
		}
		v.Content = content
	}
	buf := bytebufferpool.Get()
	defer bytebufferpool.Put(buf)
	if err := r.pages[page].ExecuteTemplate(buf, "layout.html", v); err != nil {
		return nil, fmt.Errorf("rendering %s: %w", page, err)
	}
	// A copy: buf goes back to the pool, and another request's page would
	// be sent instead.
	return slices.Clone(buf.Bytes()), nil
}

// canonical is the request's page address (see canonicalURL).
func (r *renderer) canonical(c *fiber.Ctx) string {
	return canonicalURL(c, publicBase(c, r.publicURL))
}

// render renders page and writes it with status.
func (r *renderer) render(c *fiber.Ctx, status int, page string, v view) error {
	v.Canonical = r.canonical(c)
	body, err := r.page(page, v)
	if err != nil {
		return err
	}
	r.write(c, status, page, body)
	return nil
}

// write sends a rendered page with status and records how long the page
// took from the request's arrival. The response keeps body: it must not
// change afterwards.
func (r *renderer) write(c *fiber.Ctx, status int, page string, body []byte) {
	c.Status(status).Type("html", "utf-8")
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Response().SetBodyRaw(body)
	if start, ok := c.Locals(startKey).(time.Time); ok {
		platform.Observe(c.UserContext(), r.metrics.page.WithLabelValues(page, strconv.Itoa(status)), time.Since(start).Seconds())
	}
}

// pageError is an error a shopper sees as a friendly page.
type pageError struct {
	status         int
	title, message string
}

func (e *pageError) Error() string { return e.title + ": " + e.message }

func notFoundPage(what string) *pageError {
	return &pageError{status: http.StatusNotFound, title: "Page not found",
		message: "We could not find " + what + ". It may have been removed, or the link may be mistyped."}
}

// asPageError maps any handler error to the page the shopper gets: a
// backend outage is a 503 that says so, never a blank 500.
func asPageError(err error) *pageError {
	var pe *pageError
	var ue *unavailableError
	var platErr *platform.Error
	var fe *fiber.Error
	var ae *apiError
	switch {
	case errors.As(err, &pe):
		return pe
	case isNotFound(err):
		return notFoundPage("that page")
	case errors.As(err, &ae) && ae.Status < 500:
		return &pageError{status: ae.Status, title: "That did not work", message: ae.Message}
	case errors.As(err, &ue):
		return &pageError{status: http.StatusServiceUnavailable, title: "We'll be right back",
			message: "Part of the shop (" + ue.backend + ") is not answering right now. Your cart is safe; please try again in a moment."}
	case errors.As(err, &platErr) && platErr.Status == http.StatusNotFound,
		errors.As(err, &fe) && fe.Code == http.StatusNotFound:
		return notFoundPage("that page")
	case errors.As(err, &platErr) && platErr.Status < 500:
		return &pageError{status: platErr.Status, title: "That did not work", message: platErr.Message}
	case errors.As(err, &fe) && fe.Code < 500:
		return &pageError{status: fe.Code, title: "That did not work", message: fe.Message}
	}
	return &pageError{status: http.StatusInternalServerError, title: "Something went wrong",
		message: "Sorry, something went wrong on our side. Please try again."}
}
