// Command seedgen writes the sample catalog that the catalog service loads
// into an empty store, and one generated SVG image per product. Its output
// is committed, so the seed never changes under the tests; it is
// deterministic, so running it again only changes the seed when this
// program or its data changed:
//
//	go run ./src/tools/seedgen -out src/internal/catalog/seed/products.json \
//	    -images src/internal/frontend/static/products
//
// Names, descriptions and prices come from hand-written product kinds per
// category (products.yaml), so a book is a book and a kettle costs what kettles
// cost; only the choice of brand, the exact price and the stock are drawn
// from a seeded random source.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"hash/fnv"
	"html"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/shop-platform/shop/src/internal/catalog"
)

// hues are each category's colour on the hue wheel; product images vary
// around it, so an aisle keeps a look while every product differs.
var hues = map[string]int{
	"appliances": 215, "audio equipment": 260, "bedding and linens": 330, "books": 45,
	"camping gear": 140, "coffee and tea": 28, "fitness equipment": 0, "gardening tools": 85,
	"kitchenware": 20, "office supplies": 195, "pet supplies": 280, "toys and games": 52,
}

// perCategory is how many products each category has: ten kinds in three
// variants, or thirty books.
const perCategory = 30

func main() {
	out := flag.String("out", "src/internal/catalog/seed/products.json", "where to write the products")
	images := flag.String("images", "src/internal/frontend/static/products", "the directory the product images are written to")
	flag.Parse()
	if err := run(*out, *images); err != nil {
		fmt.Fprintln(os.Stderr, "seedgen:", err)
		os.Exit(1)
	}
}

func run(out, imageDir string) error {
	data, err := loadData()
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(20261201, 360))
	start := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	var list []seeded
	names := map[string]bool{}
	aisles := append([]category{{Name: "books"}}, data.Categories...)
	slices.SortFunc(aisles, func(a, b category) int { return strings.Compare(a.Name, b.Name) })
	for c, cat := range aisles {
		slug := strings.ReplaceAll(cat.Name, " ", "-")
		var made []seeded
		if cat.Name == "books" {
			made = bookProducts(rng, data.Books)
		} else {
			made = kindProducts(rng, cat)
		}
		if len(made) != perCategory {
			return fmt.Errorf("%s has %d products, want %d", cat.Name, len(made), perCategory)
		}
		for i := range made {
			p := &made[i].Product
			p.ID = fmt.Sprintf("%s-%03d", slug, i+1)
			p.Category = cat.Name
			p.Currency = "USD"
			p.Image = "/static/products/" + p.ID + ".svg"
			p.Stock = stock(rng)
			at := start.Add(time.Duration(c*perCategory+i) * time.Hour)
			p.CreatedAt, p.UpdatedAt = at, at
			if names[p.Name] {
				return fmt.Errorf("two products are called %q", p.Name)
			}
			names[p.Name] = true
		}
		keepInStock(made)
		list = append(list, made...)
	}
	if err := writeImages(imageDir, list); err != nil {
		return err
	}
	products := make([]catalog.Product, len(list))
	for i, s := range list {
		products[i] = s.Product
	}
	encoded, err := json.MarshalIndent(products, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(out, append(encoded, '\n'), 0o644)
}

// seeded is a generated product and the caption of its image.
type seeded struct {
	catalog.Product
	label string
}

// kindProducts makes a category's products: each kind in its three
// variants, from a brand of the category.
func kindProducts(rng *rand.Rand, cat category) []seeded {
	var out []seeded
	for _, k := range cat.Kinds {
		for _, vr := range k.Variants {
			brand := cat.Brands[rng.IntN(len(cat.Brands))]
			before, after, _ := strings.Cut(vr.Name, "|")
			name := strings.Join(strings.Fields(brand+" "+before+" "+k.Noun+" "+after), " ")
			dollars := float64(k.Min) + rng.Float64()*float64(k.Max-k.Min)
			dollars = math.Max(float64(k.Min)*0.5, dollars*vr.Price)
			verb := " offers "
			if strings.HasSuffix(k.Noun, "s") && !strings.HasSuffix(k.Noun, "ss") {
				verb = " offer "
			}
			out = append(out, seeded{Product: catalog.Product{
				Name:        name,
				Description: "The " + name + verb + vr.Feature + ". " + k.About,
				PriceCents:  price(rng, dollars),
			}, label: k.Noun})
		}
	}
	return out
}

// bookProducts makes the books, each with a page count and a format.
func bookProducts(rng *rand.Rand, books []book) []seeded {
	var out []seeded
	for _, b := range books {
		format := "Paperback"
		if b.Dollars >= 20 {
			format = "Hardback"
		}
		pages := 180 + rng.IntN(30)*10
		if b.Genre == "picture book" {
			format, pages = "Hardback", 32
		}
		out = append(out, seeded{Product: catalog.Product{
			Name: b.Title,
			Description: fmt.Sprintf("%s %s by %s: %s. %s, %d pages.",
				article(b.Genre), b.Genre, b.Author, b.Blurb, format, pages),
			PriceCents: int64(b.Dollars)*100 - 1,
		}, label: b.Author})
	}
	return out
}

func article(word string) string {
	if strings.ContainsRune("aeiou", rune(word[0])) {
		return "An"
	}
	return "A"
}

// price rounds dollars to a shop price ending in .99, or .49 for some
// cheaper items.
func price(rng *rand.Rand, dollars float64) int64 {
	whole := max(int64(math.Round(dollars)), 2)
	if whole < 40 && rng.IntN(3) == 0 {
		return whole*100 - 51
	}
	return whole*100 - 1
}

// stock is mostly plenty, sometimes a few (the product page then says
// "only 3 left") and sometimes none.
func stock(rng *rand.Rand) int {
	switch r := rng.IntN(100); {
	case r < 7:
		return 0
	case r < 20:
		return 1 + rng.IntN(9)
	}
	return 10 + rng.IntN(111)
}

// keepInStock makes sure the products the tests and the first page of a
// category rely on can be bought: the first and seventh of the category
// and the first by name.
func keepInStock(made []seeded) {
	first := 0
	for i, p := range made {
		if p.Name < made[first].Name {
			first = i
		}
	}
	for _, i := range []int{0, 6, first} {
		if made[i].Stock < 12 {
			made[i].Stock += 24
		}
	}
}

// writeImages writes one SVG per product: a drawing of its kind of thing
// (figures.go), a book's cover, over a background, shapes and a caption
// that vary with the product, so no two products look alike while the
// colours still say which aisle it is from.
func writeImages(dir string, list []seeded) error {
	for _, p := range list {
		if err := os.WriteFile(filepath.Join(dir, p.ID+".svg"), []byte(productSVG(p)), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func productSVG(p seeded) string {
	h := fnv.New64a()
	h.Write([]byte(p.ID))
	rng := rand.New(rand.NewPCG(h.Sum64(), 7))
	hue := hues[p.Category] + rng.IntN(71) - 35
	hue2 := hue + 20 + rng.IntN(40)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 240 180" role="img">`)
	fmt.Fprintf(&b, `<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">`+
		`<stop offset="0" stop-color="hsl(%d,70%%,93%%)"/><stop offset="1" stop-color="hsl(%d,65%%,84%%)"/>`+
		`</linearGradient></defs><rect width="240" height="180" fill="url(#g)"/>`, hue, hue2)
	for range 3 + rng.IntN(3) {
		x, y, r := rng.IntN(240), rng.IntN(180), 14+rng.IntN(46)
		if rng.IntN(2) == 0 {
			fmt.Fprintf(&b, `<circle cx="%d" cy="%d" r="%d" fill="hsl(%d,60%%,70%%)" opacity="0.%d"/>`, x, y, r, hue2, 2+rng.IntN(3))
		} else {
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" rx="10" fill="hsl(%d,55%%,75%%)" opacity="0.%d" transform="rotate(%d %d %d)"/>`,
				x-r, y-r, 2*r, r+rng.IntN(r), hue, 2+rng.IntN(3), rng.IntN(90)-45, x, y)
		}
	}
	body := fmt.Sprintf("hsl(%d,%d%%,%d%%)", (hue+150+rng.IntN(120))%360, 40+rng.IntN(25), 32+rng.IntN(16))
	accent := fmt.Sprintf("hsl(%d,%d%%,%d%%)", (hue+rng.IntN(360))%360, 45+rng.IntN(25), 22+rng.IntN(14))
	b.WriteString(`<g>`)
	if p.Category == "books" {
		b.WriteString(drawCover(rng, body, accent, p.Name))
	} else {
		b.WriteString(figureFor(p.label)(rng, body, accent))
	}
	b.WriteString(`</g>`)
	caption := strings.ToUpper(p.label)
	size := 12
	if len(caption) > 20 {
		size = 11
	}
	fmt.Fprintf(&b, `<text x="120" y="166" text-anchor="middle" font-family="system-ui,sans-serif" font-size="%d" font-weight="600" letter-spacing="1" fill="hsl(%d,45%%,28%%)">%s</text>`,
		size, hue, html.EscapeString(caption))
	b.WriteString("</svg>\n")
	return b.String()
}
