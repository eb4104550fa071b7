package order

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"
	"golang.org/x/sync/errgroup"

	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/tracing"
)

// Prices looks up authoritative prices: the order service never trusts a
// price a client sends.
type Prices interface {
	// Lookup returns the catalog's product for each id, in order. An
	// unknown id is an *UnknownProductError; a catalog that cannot be
	// reached is platform.ErrUnavailable.
	Lookup(ctx context.Context, ids []string) ([]Product, error)
}

// Product is what the order service needs of a catalog product.
type Product struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	PriceCents int64  `json:"price_cents"`
	Currency   string `json:"currency"`
}

// UnknownProductError names a product the catalog does not have.
type UnknownProductError struct{ ID string }

func (e *UnknownProductError) Error() string { return "unknown product " + e.ID }

// CatalogClient asks the catalog service, GET /catalog/{id} per product, a
// few at a time, each bounded by a timeout.
type CatalogClient struct {
	base   string
	client *http.Client
}

// lookupsAtOnce bounds the concurrent lookups of one order.
const lookupsAtOnce = 8

// NewCatalogClient returns a client of the catalog at base. Each lookup
// carries the caller's request id and, with tracing on (tp not nil), is a
// client span whose W3C trace context goes to the catalog.
func NewCatalogClient(base string, timeout time.Duration, tp trace.TracerProvider) *CatalogClient {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 64
	return &CatalogClient{base: strings.TrimRight(base, "/"), client: &http.Client{Timeout: timeout, Transport: tracing.Transport(tp, "catalog", transport)}}
}

// Lookup implements Prices.
func (c *CatalogClient) Lookup(ctx context.Context, ids []string) ([]Product, error) {
	out := make([]Product, len(ids))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(lookupsAtOnce)
	for i, id := range ids {
		g.Go(func() error {
			p, err := c.get(gctx, id)
			out[i] = p
			return err
		})
	}
	return out, g.Wait()
}

func (c *CatalogClient) get(ctx context.Context, id string) (Product, error) {
	var p Product
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/catalog/"+url.PathEscape(id), nil)
	if err != nil {
		return p, fmt.Errorf("building catalog request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return p, fmt.Errorf("looking up product %s: %w: %w", id, platform.ErrUnavailable, err)
	}
	defer func() { _ = resp.Body.Close() }()
	// Only a catalog that cannot answer (5xx, or no answer at all) makes
	// the order wait; any 4xx, or an answer that is not this product (a
	// route such as /catalog/categories), means the catalog cannot return
	// it: the client asked for something that does not exist.
	switch {
	case resp.StatusCode >= 500:
		return p, fmt.Errorf("looking up product %s: catalog answered %d: %w", id, resp.StatusCode, platform.ErrUnavailable)
	case resp.StatusCode != http.StatusOK:
		return p, &UnknownProductError{ID: id}
	}
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		return p, fmt.Errorf("decoding product %s: %w: %w", id, platform.ErrUnavailable, err)
	}
	if p.ID != id {
		return p, &UnknownProductError{ID: id}
	}
	return p, nil
}

// asUnknown reports whether err names an unknown product.
func asUnknown(err error) (*UnknownProductError, bool) {
	var u *UnknownProductError
	return u, errors.As(err, &u)
}
