package catalog

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/shop-platform/shop/src/internal/platform"
)

// productKey names one version of a product: every write gives a product
// a new revision (and updated_at), so the JSON of a key never changes.
type productKey struct {
	id       string
	revision int64
	updated  int64 // UnixNano of UpdatedAt: a store recreated under a running replica restarts its revisions
}

// encoder writes the catalog's JSON answers, keeping each product's
// encoding: encoding the same twenty products (two timestamps each, through
// their MarshalJSON) on every listing was half the CPU of a catalog page.
// A page is then its products' bytes joined, the same bytes json.Marshal
// writes (TestEncoderWritesWhatJSONMarshalWrites).
type encoder struct {
	products *platform.Cache[productKey, []byte]
	// pages keeps whole listings of a Versioned store, by query and
	// version: listing and joining twenty products on every request was
	// most of a catalog page's cost, and its garbage most of make run's
	// collections.
	pages *platform.Cache[pageKey, []byte]
}

// pageKey is a listing of one version of the catalog.
type pageKey struct {
	query   Query
	version uint64
}

// maxKeptPages bounds the kept listings: up to 100 products of about 250
// bytes each, 25 MB at the most.
const maxKeptPages = 1_000

func newEncoder() encoder {
	return encoder{
		products: platform.NewCache[productKey, []byte](maxCachedPages, 0),
		pages:    platform.NewCache[pageKey, []byte](maxKeptPages, 0),
	}
}

// product returns p's JSON.
func (e encoder) product(p Product) ([]byte, error) {
	key := productKey{p.ID, p.Revision, p.UpdatedAt.UnixNano()}
	b, ok, gen := e.products.Get(key)
	if ok {
		return b, nil
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encoding product %s: %w", p.ID, err)
	}
	e.products.Add(gen, key, b)
	return b, nil
}

// sendProduct answers with p's JSON.
func (e encoder) sendProduct(c *fiber.Ctx, p Product) error {
	b, err := e.product(p)
	if err != nil {
		return err
	}
	c.Response().Header.SetContentType(fiber.MIMEApplicationJSON)
	return c.Send(b)
}

// keptPage returns the JSON of q's listing at version, if kept.
func (e encoder) keptPage(q Query, version uint64) ([]byte, bool) {
	b, ok, _ := e.pages.Get(pageKey{q, version})
	return b, ok
}

// keepPage keeps b, the JSON of q's listing read at version or later.
func (e encoder) keepPage(q Query, version uint64, b []byte) {
	e.pages.Add(0, pageKey{q, version}, b)
}

// sendJSON answers with b, which stays unchanged while it is sent.
func sendJSON(c *fiber.Ctx, b []byte) error {
	c.Response().Header.SetContentType(fiber.MIMEApplicationJSON)
	return c.Send(b)
}

// appendPage appends the JSON of a listing page to dst.
func (e encoder) appendPage(dst []byte, p Page) ([]byte, error) {
	dst = append(dst, `{"items":`...)
	if p.Items == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i, item := range p.Items {
			b, err := e.product(item)
			if err != nil {
				return nil, err
			}
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, b...)
		}
		dst = append(dst, ']')
	}
	dst = append(dst, `,"total":`...)
	dst = strconv.AppendInt(dst, int64(p.Total), 10)
	dst = append(dst, `,"total_capped":`...)
	dst = strconv.AppendBool(dst, p.TotalCapped)
	dst = append(dst, `,"page":`...)
	dst = strconv.AppendInt(dst, int64(p.Page), 10)
	dst = append(dst, `,"page_size":`...)
	dst = strconv.AppendInt(dst, int64(p.PageSize), 10)
	return append(dst, '}'), nil
}
