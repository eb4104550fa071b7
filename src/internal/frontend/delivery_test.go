package frontend_test

import (
	"crypto/sha256"
	"encoding/hex"
	"html"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// fetch GETs target with the given Accept-Encoding; setting it by hand
// keeps Go's client from decompressing, so the test sees what a browser
// receives.
func fetch(t *testing.T, target, encoding string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	if encoding != "" {
		req.Header.Set("Accept-Encoding", encoding)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

var assetLink = regexp.MustCompile(`(?:href|src)="(/static/[^"]+\.(?:css|js))"`)

func TestPagesAssetsAndAPIsAreCompressed(t *testing.T) {
	cat := startCatalog(t)
	site := startFrontend(t, backendURLs{cat, deadURL(t), deadURL(t)}, nil)
	_, home := fetch(t, site+"/", "")
	assetsOnPage := assetLink.FindAllStringSubmatch(string(home), -1)
	if len(assetsOnPage) != 2 {
		t.Fatalf("want the stylesheet and the script linked from the home page, found %v", assetsOnPage)
	}
	targets := []string{site + "/", site + "/category/books", site + "/product/books-001",
		site + assetsOnPage[0][1], site + assetsOnPage[1][1], cat + "/catalog?page_size=20"}
	for _, target := range targets {
		for _, enc := range []string{"gzip", "br"} {
			resp, _ := fetch(t, target, enc)
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != enc {
				t.Errorf("%s with Accept-Encoding %s: status %d, Content-Encoding %q", target, enc,
					resp.StatusCode, resp.Header.Get("Content-Encoding"))
			}
		}
		if resp, _ := fetch(t, target, ""); resp.Header.Get("Content-Encoding") != "" {
			t.Errorf("%s is compressed for a client that accepts no encoding", target)
		}
	}
}

func TestStaticAssetsAreFingerprintedAndCachedLong(t *testing.T) {
	site := startFrontend(t, backendURLs{startCatalog(t), deadURL(t), deadURL(t)}, nil)
	_, home := fetch(t, site+"/", "")
	links := regexp.MustCompile(`(?:href|src)="(/static/[^"]+)"`).FindAllStringSubmatch(string(home), -1)
	if len(links) < 5 {
		t.Fatalf("the home page links only %d static files", len(links))
	}
	fingerprint := regexp.MustCompile(`\.([0-9a-f]{12})\.[a-z]+$`)
	for _, l := range links {
		m := fingerprint.FindStringSubmatch(l[1])
		if m == nil {
			t.Fatalf("%s has no content fingerprint in its name", l[1])
		}
		resp, body := fetch(t, site+l[1], "")
		sum := sha256.Sum256(body)
		if resp.StatusCode != http.StatusOK || hex.EncodeToString(sum[:6]) != m[1] {
			t.Fatalf("%s: status %d, content hash %x does not match its name", l[1], resp.StatusCode, sum[:6])
		}
		if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=31536000") || !strings.Contains(cc, "immutable") {
			t.Fatalf("%s: Cache-Control %q, want a year and immutable", l[1], cc)
		}
	}
	// The plain names still work, for pages rendered by an older release,
	// but are cached briefly since their content changes.
	resp, _ := fetch(t, site+"/static/style.css", "")
	if cc := resp.Header.Get("Cache-Control"); resp.StatusCode != http.StatusOK || strings.Contains(cc, "immutable") {
		t.Fatalf("/static/style.css: status %d, Cache-Control %q", resp.StatusCode, cc)
	}
	if resp, _ := fetch(t, site+"/static/nothing.css", ""); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("an unknown static file answered %d, want 404", resp.StatusCode)
	}
}

var metaDescription = regexp.MustCompile(`<meta name="description" content="([^"]*)">`)

func TestEveryPageHasItsOwnMetaDescription(t *testing.T) {
	cat := startCatalog(t)
	site := startFrontend(t, backendURLs{cat, startSearch(t, cat), deadURL(t)}, nil)
	s := newShopper(t, site)
	s.post("/cart/add", formOf("product_id", "books-001", "quantity", "1"))
	product := catalogProduct(t, cat, "books-001")
	seen := map[string]string{}
	for path, want := range map[string]string{
		"/": "360 products", "/category/books": "Books", "/product/books-001": strings.Fields(product["description"].(string))[0],
		"/search?q=coffee": "coffee", "/cart": "cart", "/checkout": "address", "/product/nope-1": "could not find",
	} {
		p := s.get(path)
		m := metaDescription.FindStringSubmatch(p.body)
		if m == nil {
			t.Fatalf("%s has no meta description", path)
		}
		d := html.UnescapeString(m[1])
		if len(d) < 20 || len(d) > 300 || !strings.Contains(d, want) {
			t.Errorf("%s: meta description %q, want 20 to 300 characters mentioning %q", path, d, want)
		}
		if other, dup := seen[d]; dup {
			t.Errorf("%s has the same description as %s: %q", path, other, d)
		}
		seen[d] = path
	}
}

func TestFirstProductImageIsNotLazy(t *testing.T) {
	cat := startCatalog(t)
	site := startFrontend(t, backendURLs{cat, startSearch(t, cat), deadURL(t)}, nil)
	s := newShopper(t, site)
	for _, path := range []string{"/", "/category/books", "/search?q=coffee"} {
		imgs := regexp.MustCompile(`<li class="card">\s*<a [^>]*>\s*<img [^>]*>`).FindAllString(s.get(path).body, -1)
		if len(imgs) < 8 {
			t.Fatalf("%s shows %d product images, want a full grid", path, len(imgs))
		}
		if strings.Contains(imgs[0], `loading="lazy"`) || !strings.Contains(imgs[0], `fetchpriority="high"`) {
			t.Errorf("%s: the first product image, the largest element above the fold, is %s", path, imgs[0])
		}
		if !strings.Contains(imgs[len(imgs)-1], `loading="lazy"`) {
			t.Errorf("%s: images below the fold load eagerly: %s", path, imgs[len(imgs)-1])
		}
	}
	if img := regexp.MustCompile(`<article class="product">\s*<img [^>]*>`).FindString(s.get("/product/books-001").body); strings.Contains(img, "lazy") {
		t.Errorf("the product page's image loads lazily: %s", img)
	}
}
