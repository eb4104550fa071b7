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

// sendProduct answers with p's JSON.
func (e encoder) sendProduct(c *fiber.Ctx, p Product) error {
	b, err := e.product(p)
	if err != nil {
		return err
	}
	c.Response().Header.SetContentType(fiber.MIMEApplicationJSON)
	return c.Send(b)
}

// sendPage answers with the JSON of a listing page, written into the
// response's own (pooled) buffer: a page is several KB, and allocating it
// per request made the garbage collector rescan make run's large heap
// (the search index) all the more often.
func (e encoder) sendPage(c *fiber.Ctx, p Page) error {
	resp := c.Response()
	resp.Header.SetContentType(fiber.MIMEApplicationJSON)
	resp.ResetBody()
	resp.AppendBodyString(`{"items":`)
	if p.Items == nil {
		resp.AppendBodyString("null")
	} else {
		resp.AppendBodyString("[")
		for i, item := range p.Items {
			b, err := e.product(item)
			if err != nil {
				resp.ResetBody()
				return err
			}
			if i > 0 {
				resp.AppendBodyString(",")
			}
			resp.AppendBody(b)
		}
		resp.AppendBodyString("]")
	}
	var n [20]byte
	resp.AppendBodyString(`,"total":`)
	resp.AppendBody(strconv.AppendInt(n[:0], int64(p.Total), 10))
	resp.AppendBodyString(`,"total_capped":`)
	resp.AppendBody(strconv.AppendBool(n[:0], p.TotalCapped))
	resp.AppendBodyString(`,"page":`)
	resp.AppendBody(strconv.AppendInt(n[:0], int64(p.Page), 10))
	resp.AppendBodyString(`,"page_size":`)
	resp.AppendBody(strconv.AppendInt(n[:0], int64(p.PageSize), 10))
	resp.AppendBodyString("}")
	return nil
}
