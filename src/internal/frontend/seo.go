package frontend

import (
	"encoding/json"
	"encoding/xml"
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// What search engines get: a canonical link on every page (so the sorted,
// filtered and tracking-tagged variants of a page count as the page),
// robots.txt, a sitemap of the home page, the categories and the products,
// and schema.org Product data on product pages.

// sitemapLimit is the most URLs one sitemap file may list (sitemaps.org).
const sitemapLimit = 50_000

// sitemapCache is how long browsers and crawlers may keep robots.txt and
// the sitemap: products come and go, but not by the minute.
const sitemapCache = "public, max-age=3600"

// publicBase is the shop's address without a trailing slash: PUBLIC_URL
// when set, else the scheme and host the request came to.
func publicBase(c *fiber.Ctx, configured string) string {
	if configured != "" {
		return strings.TrimRight(configured, "/")
	}
	return c.BaseURL()
}

// canonicalURL is the page's one address: its path, with the search text
// and a page number past the first kept, since they change what the page
// lists, and everything else (sort, filters, notices, tracking tags)
// dropped.
func canonicalURL(c *fiber.Ctx, base string) string {
	q := url.Values{}
	if c.Path() == "/search" {
		if text := strings.TrimSpace(c.Query("q")); text != "" {
			q.Set("q", text)
		}
	}
	if n := pageParam(c); n > 1 {
		q.Set("page", strconv.Itoa(n))
	}
	u := base + c.Path()
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// productData is a product page's schema.org Product, as JSON-LD.
type productData struct {
	Context     string       `json:"@context"`
	Type        string       `json:"@type"`
	Name        string       `json:"name"`
	Description string       `json:"description"`
	SKU         string       `json:"sku"`
	Category    string       `json:"category"`
	Image       string       `json:"image"`
	URL         string       `json:"url"`
	Offers      productOffer `json:"offers"`
}

type productOffer struct {
	Type          string `json:"@type"`
	URL           string `json:"url"`
	Price         string `json:"price"`
	PriceCurrency string `json:"priceCurrency"`
	Availability  string `json:"availability"`
	ItemCondition string `json:"itemCondition"`
}

// productJSONLD is the structured data of p's page at canonical, whose
// image is at the path image. json.Marshal escapes <, > and &, so the
// text cannot end the script element it is written into.
func productJSONLD(p Product, canonical, image string) (template.JS, error) {
	origin := canonical
	if u, err := url.Parse(canonical); err == nil {
		origin = u.Scheme + "://" + u.Host
	}
	availability := "https://schema.org/InStock"
	if p.Stock <= 0 {
		availability = "https://schema.org/OutOfStock"
	}
	data, err := json.Marshal(productData{
		Context: "https://schema.org", Type: "Product", Name: p.Name, Description: p.Description, SKU: p.ID,
		Category: titleCase(p.Category), Image: origin + image, URL: canonical,
		Offers: productOffer{Type: "Offer", URL: canonical, Price: decimalPrice(p.PriceCents, p.Currency),
			PriceCurrency: p.Currency, Availability: availability, ItemCondition: "https://schema.org/NewCondition"},
	})
	return template.JS(data), err //nolint:gosec // JSON from json.Marshal, which escapes <, > and &
}

// decimalPrice writes minor units as the plain decimal schema.org asks
// for ("1234.50"), with integers only.
func decimalPrice(cents int64, currency string) string {
	if zeroDecimal[currency] {
		return strconv.FormatInt(cents, 10)
	}
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return sign + strconv.FormatInt(cents/100, 10) + "." + pad2(cents%100)
}

// robots allows everything a shopper can find by browsing, keeps crawlers
// out of the per-shopper pages, and names the sitemap.
func (h *handlers) robots(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, sitemapCache)
	c.Type("txt", "utf-8")
	return c.SendString("User-agent: *\nAllow: /\nDisallow: /cart\nDisallow: /checkout\nDisallow: /orders/\nDisallow: /suggest\n\n" +
		"Sitemap: " + publicBase(c, h.publicURL) + "/sitemap.xml\n")
}

type sitemapURL struct {
	Loc     string `xml:"loc"`
	LastMod string `xml:"lastmod,omitempty"`
}

type urlSet struct {
	XMLName xml.Name     `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 urlset"`
	URLs    []sitemapURL `xml:"url"`
}

// sitemap lists the home page, every category and every product (each
// with its last change), read from the catalog page by page.
func (h *handlers) sitemap(c *fiber.Ctx) error {
	ctx := c.UserContext()
	base := publicBase(c, h.publicURL)
	cats, err := h.categories(ctx)
	if err != nil {
		return err
	}
	set := urlSet{URLs: []sitemapURL{{Loc: base + "/"}}}
	for _, cat := range cats {
		set.URLs = append(set.URLs, sitemapURL{Loc: base + "/category/" + url.PathEscape(slug(cat.Name))})
	}
	const size = 100 // the catalog's largest page
	for n := 1; len(set.URLs) < sitemapLimit; n++ {
		list, err := h.products(ctx, url.Values{"sort": {"name"}, "page": {strconv.Itoa(n)}, "page_size": {strconv.Itoa(size)}})
		if err != nil {
			return err
		}
		for _, p := range list.Items {
			u := sitemapURL{Loc: base + "/product/" + url.PathEscape(p.ID)}
			if !p.UpdatedAt.IsZero() {
				u.LastMod = p.UpdatedAt.UTC().Format(time.RFC3339)
			}
			set.URLs = append(set.URLs, u)
		}
		if len(list.Items) < size || n*size >= list.Total {
			break
		}
	}
	set.URLs = set.URLs[:min(len(set.URLs), sitemapLimit)]
	out, err := xml.MarshalIndent(set, "", " ")
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, sitemapCache)
	c.Type("xml", "utf-8")
	return c.Send(append([]byte(xml.Header), out...))
}
