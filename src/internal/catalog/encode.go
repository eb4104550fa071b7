package catalog

import (
	"fmt"
	"strconv"

	gojson "github.com/goccy/go-json"
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
}

func newEncoder() encoder {
	return encoder{products: platform.NewCache[productKey, []byte](maxCachedPages, 0)}
}

// product returns p's JSON.
func (e encoder) product(p Product) ([]byte, error) {
	key := productKey{p.ID, p.Revision, p.UpdatedAt.UnixNano()}
	b, ok, gen := e.products.Get(key)
	if ok {
		return b, nil
	}
	b, err := gojson.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encoding product %s: %w", p.ID, err)
	}
	e.products.Add(gen, key, b)
	return b, nil
}

// send writes b as the JSON answer; the response keeps b.
func send(c *fiber.Ctx, b []byte) error {
	c.Response().Header.SetContentType(fiber.MIMEApplicationJSON)
	return c.Send(b)
}

// page returns the JSON of a listing page.
func (e encoder) page(p Page) ([]byte, error) {
	buf := make([]byte, 0, 64+512*len(p.Items))
	buf = append(buf, `{"items":`...)
	if p.Items == nil {
		buf = append(buf, "null"...)
	} else {
		buf = append(buf, '[')
		for i, item := range p.Items {
			b, err := e.product(item)
			if err != nil {
				return nil, err
			}
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, b...)
		}
		buf = append(buf, ']')
	}
	buf = append(buf, `,"total":`...)
	buf = strconv.AppendInt(buf, int64(p.Total), 10)
	buf = append(buf, `,"page":`...)
	buf = strconv.AppendInt(buf, int64(p.Page), 10)
	buf = append(buf, `,"page_size":`...)
	buf = strconv.AppendInt(buf, int64(p.PageSize), 10)
	return append(buf, '}'), nil
}
