package frontend

import (
	"crypto/sha256"
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

// crockford is Crockford's base32 alphabet: digits and capitals without
// I, L, O and U, so a reference read out over the phone is not misheard.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// orderRef is the short reference a shopper reads and quotes for an order,
// such as "7K3M-Q2XP": 40 bits of a hash of the order id in Crockford
// base32. It is for people; the id stays the key in URLs and the order
// service. Hashing (rather than cutting the id) keeps references evenly
// spread whatever kind of UUID the order service issues.
func orderRef(id string) string {
	sum := sha256.Sum256([]byte(id))
	var n uint64
	for _, b := range sum[:5] {
		n = n<<8 | uint64(b)
	}
	ref := make([]byte, 0, 9)
	for i := 7; i >= 0; i-- {
		ref = append(ref, crockford[(n>>(5*uint(i)))&31])
		if i == 4 {
			ref = append(ref, '-')
		}
	}
	return string(ref)
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
	pages := lastPage(size, total)
	p := pager{Page: page, Pages: pages}
	if page > 1 {
		p.Prev = pageURL(basePath, query, page-1)
	}
	if page < pages {
		p.Next = pageURL(basePath, query, page+1)
	}
	return p
}

// lastPage is the number of pages total items fill, at least one.
func lastPage(size, total int) int { return max((total+size-1)/size, 1) }

// pageURL links to page n of a listing, keeping its other parameters.
func pageURL(basePath string, query url.Values, n int) string {
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	q.Set("page", strconv.Itoa(n))
	return basePath + "?" + q.Encode()
}

// pastTheEnd sends a listing asked for a page after its last one to the
// last page: such links come from a catalog that has shrunk, or from
// editing the address, and the last page is what the shopper was after.
func pastTheEnd(basePath string, query url.Values, page, size, total int) error {
	if last := lastPage(size, total); page > last {
		return &redirectError{to: pageURL(basePath, query, last)}
	}
	return nil
}

// redirectError sends the shopper elsewhere instead of rendering a page.
type redirectError struct{ to string }

func (e *redirectError) Error() string { return "redirect to " + e.to }

// deliveryDays says a delivery estimate as people read it: "1-2 working
// days", "3 working days".
func deliveryDays(lo, hi int) string {
	switch {
	case lo == hi && lo == 1:
		return "1 working day"
	case lo == hi:
		return strconv.Itoa(lo) + " working days"
	}
	return strconv.Itoa(lo) + "–" + strconv.Itoa(hi) + " working days"
}

// methodName is a shipping method as the pages name it.
func methodName(method string) string {
	switch method {
	case "express":
		return "Express"
	case "standard":
		return "Standard"
	}
	return method
}
