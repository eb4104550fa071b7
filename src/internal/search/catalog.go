package search

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/sethvargo/go-retry"
	"go.opentelemetry.io/otel/trace"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/tracing"
)

// CatalogClient reads every product from the catalog service, the source
// of truth the index is rebuilt from.
type CatalogClient struct {
	base     string
	http     *http.Client
	pageSize int
	backoff  func() retry.Backoff
}

// catalogPageSize is the catalog's own maximum page size.
const catalogPageSize = 100

// NewCatalogClient reads from the catalog at base (CATALOG_URL). Each page
// request has timeout and is retried twice, with a growing pause, when the
// catalog is unreachable or answers 5xx. Each carries the caller's request
// id and, with tracing on (tp not nil), is a client span whose W3C trace
// context goes to the catalog.
func NewCatalogClient(base string, timeout time.Duration, tp trace.TracerProvider) *CatalogClient {
	return &CatalogClient{
		base:     base,
		http:     &http.Client{Timeout: timeout, Transport: tracing.Transport(tp, "catalog", nil)},
		pageSize: catalogPageSize,
		backoff: func() retry.Backoff {
			return retry.WithMaxRetries(2, retry.NewExponential(200*time.Millisecond))
		},
	}
}

type catalogPage struct {
	Items []events.Product `json:"items"`
	Total int              `json:"total"`
}

// Each calls fn with every product, page by page (GET /catalog), and
// returns how many there were.
func (c *CatalogClient) Each(ctx context.Context, fn func(events.Product) error) (int, error) {
	n := 0
	for page := 1; ; page++ {
		p, err := retry.DoValue(ctx, c.backoff(), func(ctx context.Context) (catalogPage, error) {
			return c.page(ctx, page)
		})
		if err != nil {
			return n, err
		}
		for _, item := range p.Items {
			if err := fn(item); err != nil {
				return n, err
			}
			n++
		}
		if len(p.Items) < c.pageSize || page*c.pageSize >= p.Total {
			return n, nil
		}
	}
}

func (c *CatalogClient) page(ctx context.Context, page int) (catalogPage, error) {
	u := c.base + "/catalog?" + url.Values{
		"page": {strconv.Itoa(page)}, "page_size": {strconv.Itoa(c.pageSize)}, "sort": {"name"},
	}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return catalogPage{}, fmt.Errorf("building catalog request: %w", err)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return catalogPage{}, retry.RetryableError(fmt.Errorf("reading catalog page %d: %w: %w", page, err, platform.ErrUnavailable))
	}
	defer func() { _ = res.Body.Close() }()
	if res.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(res.Body, 512))
		err := fmt.Errorf("reading catalog page %d: catalog answered %d: %s", page, res.StatusCode, body)
		if res.StatusCode >= 500 {
			return catalogPage{}, retry.RetryableError(fmt.Errorf("%w: %w", err, platform.ErrUnavailable))
		}
		return catalogPage{}, err
	}
	var p catalogPage
	if err := json.NewDecoder(res.Body).Decode(&p); err != nil {
		return catalogPage{}, fmt.Errorf("decoding catalog page %d: %w", page, err)
	}
	return p, nil
}
