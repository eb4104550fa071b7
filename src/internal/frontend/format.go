package frontend

import (
	"html"
	"html/template"
	"net/url"
	"strconv"
	"strings"
)

// currencySymbols are the symbols shown before amounts; other currencies
// are shown with their ISO code after the amount.
var currencySymbols = map[string]string{"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$"}

// zeroDecimal are currencies without minor units (ISO 4217 exponent 0).
var zeroDecimal = map[string]bool{"JPY": true, "KRW": true, "ISK": true}

// formatMoney renders integer minor units as a price: 123456 USD is
// "$1,234.56". No floats are involved, so no cent is ever lost.
func formatMoney(cents int64, currency string) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	amount := groupThousands(strconv.FormatInt(cents/100, 10)) + "." + pad2(cents%100)
	if zeroDecimal[currency] {
		amount = groupThousands(strconv.FormatInt(cents, 10))
	}
	if sym, ok := currencySymbols[currency]; ok {
		return sign + sym + amount
	}
	return sign + amount + " " + currency
}

func pad2(n int64) string {
	if n < 10 {
		return "0" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}

func groupThousands(digits string) string {
	var b strings.Builder
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	return b.String()
}

// slug turns a category name into its URL form: "audio equipment" ->
// "audio-equipment".
func slug(name string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(name)), " ", "-")
}

// titleCase capitalises each word of a category name for headings.
func titleCase(s string) string {
	words := strings.Fields(s)
	for i, w := range words {
		if w == "and" {
			continue
		}
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(words, " ")
}

const placeholderImage = "/static/products/placeholder.svg"

// imageURL keeps product images on our own static path: the CSP allows only
// same-origin images, and unknown paths fall back to the placeholder.
func imageURL(image string) string {
	if strings.HasPrefix(image, "/static/products/") && !strings.Contains(image, "..") {
		return image
	}
	return placeholderImage
}

// highlight renders a search highlight: the backend wraps matches in
// <mark> and escapes the rest. The text is unescaped and escaped again
// here, so only <mark> survives whatever the backend sends, and nothing is
// escaped twice.
func highlight(fragment string) template.HTML {
	escaped := html.EscapeString(html.UnescapeString(fragment))
	escaped = strings.ReplaceAll(escaped, "&lt;mark&gt;", "<mark>")
	escaped = strings.ReplaceAll(escaped, "&lt;/mark&gt;", "</mark>")
	return template.HTML(escaped) //nolint:gosec // escaped above; only <mark> tags are restored
}

// pager is the paging links under a listing.
type pager struct {
	Page, Pages int
	Prev, Next  string
}

// newPager builds the links for page of total items, keeping the other
// query parameters of base.
func newPager(basePath string, query url.Values, page, size, total int) pager {
	pages := max((total+size-1)/size, 1)
	p := pager{Page: page, Pages: pages}
	link := func(n int) string {
		q := url.Values{}
		for k, v := range query {
			q[k] = v
		}
		q.Set("page", strconv.Itoa(n))
		return basePath + "?" + q.Encode()
	}
	if page > 1 {
		p.Prev = link(page - 1)
	}
	if page < pages {
		p.Next = link(page + 1)
	}
	return p
}
