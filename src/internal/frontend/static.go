package frontend

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"
)

//go:embed static
var staticFS embed.FS

// Cache lifetimes of static files. A fingerprinted URL names one content
// forever, so browsers and proxies may keep it for a year without asking
// again; a plain URL (kept for old pages and links) may change with the
// next release, so it is cached for an hour.
const (
	immutableCache = "public, max-age=31536000, immutable"
	plainCache     = "public, max-age=3600"
)

const placeholderImage = "/static/products/placeholder.svg"

// asset is one embedded static file.
type asset struct {
	data        []byte
	ext         string
	cacheHeader string
}

// assets are the embedded static files, served under their plain URL
// (/static/style.css) and a fingerprinted one holding a hash of their
// content (/static/style.3f9a1c2b7d4e.css), which pages link to.
type assets struct {
	byPath      map[string]asset
	fingerprint map[string]string // plain URL -> fingerprinted URL
}

func loadAssets() (*assets, error) {
	a := &assets{byPath: map[string]asset{}, fingerprint: map[string]string{}}
	err := fs.WalkDir(staticFS, "static", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(staticFS, name)
		if err != nil {
			return err
		}
		plain := "/" + name
		ext := path.Ext(name)
		sum := sha256.Sum256(data)
		fingerprinted := strings.TrimSuffix(plain, ext) + "." + hex.EncodeToString(sum[:6]) + ext
		a.byPath[plain] = asset{data: data, ext: ext, cacheHeader: plainCache}
		a.byPath[fingerprinted] = asset{data: data, ext: ext, cacheHeader: immutableCache}
		a.fingerprint[plain] = fingerprinted
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("loading static files: %w", err)
	}
	if _, ok := a.fingerprint[placeholderImage]; !ok {
		return nil, fmt.Errorf("static files lack the placeholder image %s", placeholderImage)
	}
	return a, nil
}

// url is the fingerprinted URL of the static file at plain, for pages to
// link to.
func (a *assets) url(plain string) (string, error) {
	u, ok := a.fingerprint[plain]
	if !ok {
		return "", fmt.Errorf("no static file %s", plain)
	}
	return u, nil
}

// image is the fingerprinted URL of a product image. Images stay on our
// own static path (the CSP allows only same-origin images), and ones we do
// not have get the placeholder, so a new product never shows a broken
// image.
func (a *assets) image(image string) string {
	if u, ok := a.fingerprint[image]; ok && strings.HasPrefix(image, "/static/products/") {
		return u
	}
	return a.fingerprint[placeholderImage]
}

// routes serves the static files. An unknown product image is the
// placeholder (briefly cached, since the image may be added later); other
// unknown paths are the 404 page.
func (a *assets) routes(app *fiber.App) {
	app.Get("/static/*", func(c *fiber.Ctx) error {
		f, ok := a.byPath[c.Path()]
		if !ok {
			if !strings.HasPrefix(c.Path(), "/static/products/") {
				return notFoundPage("that file")
			}
			f = a.byPath[placeholderImage]
		}
		c.Type(strings.TrimPrefix(f.ext, "."))
		c.Set(fiber.HeaderCacheControl, f.cacheHeader)
		return c.Send(f.data)
	})
}
