package frontend

import (
	"embed"
	"io/fs"
	"net/http"
	"path"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
)

//go:embed static
var staticFS embed.FS

// staticMaxAge is how long browsers may cache assets, in seconds.
const staticMaxAge = 3600

// staticRoutes serves the embedded stylesheet, script and product images.
// Product images the catalog names but we do not have get the placeholder,
// so a new category never shows a broken image.
func staticRoutes(app *fiber.App) {
	images := map[string][]byte{}
	entries, _ := fs.ReadDir(staticFS, "static/products")
	for _, e := range entries {
		data, err := fs.ReadFile(staticFS, path.Join("static/products", e.Name()))
		if err == nil {
			images[e.Name()] = data
		}
	}
	placeholder := images[path.Base(placeholderImage)]
	app.Get("/static/products/:name", func(c *fiber.Ctx) error {
		data, ok := images[c.Params("name")]
		if !ok {
			data = placeholder
		}
		c.Type("svg")
		c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
		return c.Send(data)
	})
	root, _ := fs.Sub(staticFS, "static")
	app.Use("/static", filesystem.New(filesystem.Config{Root: http.FS(root), MaxAge: staticMaxAge}))
}
