package apitest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	"github.com/pb33f/libopenapi-validator/paths"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	"github.com/pb33f/libopenapi/datamodel/high/base"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"
)

// Contract is the OpenAPI document a service serves, loaded for its tests
// with libopenapi, whose validator implements OpenAPI 3.1 and JSON Schema
// 2020-12. Nothing of it runs in the services: they serve the document and
// the tests hold them to it.
type Contract struct {
	Raw   []byte
	Model *v3.Document

	mu          sync.Mutex // the validator is not documented as safe for concurrent use
	validator   validator.Validator
	options     *config.ValidationOptions
	schemas     schema_validation.SchemaValidator
	errorSchema *base.Schema
}

// LoadContract reads the document app serves at /openapi.json and checks
// it against the OpenAPI 3.1 specification's schema.
func LoadContract(t testing.TB, app *fiber.App) *Contract {
	t.Helper()
	resp, err := app.Test(httptest.NewRequestWithContext(context.Background(), http.MethodGet, "/openapi.json", nil), -1)
	if err != nil {
		t.Fatalf("GET /openapi.json: %v", err)
	}
	raw, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /openapi.json: %d %v", resp.StatusCode, err)
	}
	doc, err := libopenapi.NewDocument(raw)
	if err != nil {
		t.Fatalf("the OpenAPI document does not parse: %v", err)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		t.Fatalf("the OpenAPI document does not build: %v", err)
	}
	if !strings.HasPrefix(model.Model.Version, "3.1.") {
		t.Fatalf("the document is OpenAPI %s, want 3.1", model.Model.Version)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("no validator for the OpenAPI document: %v", errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		t.Fatalf("the OpenAPI document breaks the OpenAPI 3.1 schema: %s", describe(verrs))
	}
	errorSchema := model.Model.Components.Schemas.GetOrZero("Error")
	if errorSchema == nil {
		t.Fatal("the OpenAPI document has no Error schema")
	}
	return &Contract{
		Raw: raw, Model: &model.Model, validator: v, options: config.NewValidationOptions(),
		schemas: schema_validation.NewSchemaValidator(), errorSchema: errorSchema.Schema(),
	}
}

// Enforce validates every answer app gives until the test ends, through
// app.Test or a real listener alike, against the document: an answer to a
// documented operation must be one of its documented responses, body and
// headers; any other answer must be an error in the Error shape. It wraps
// the app's fasthttp handlers, so it sees the answers of requests the
// server could not read too. Each violation fails t.
func (c *Contract) Enforce(t testing.TB, app *fiber.App) {
	var mu sync.Mutex
	ended := false
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		ended = true
	})
	report := func(problems []string) {
		mu.Lock()
		defer mu.Unlock()
		if !ended && len(problems) > 0 {
			t.Errorf("an answer breaks the OpenAPI document:\n  %s", strings.Join(problems, "\n  "))
		}
	}
	srv := app.Server()
	handler, errorHandler := srv.Handler, srv.ErrorHandler
	srv.Handler = func(fctx *fasthttp.RequestCtx) {
		handler(fctx)
		report(c.checkExchange(fctx))
	}
	srv.ErrorHandler = func(fctx *fasthttp.RequestCtx, err error) {
		errorHandler(fctx, err)
		report(c.checkError("a request the server could not read", &fctx.Response))
	}
}

// checkExchange validates the answer in fctx against the operation its
// request names.
func (c *Contract) checkExchange(fctx *fasthttp.RequestCtx) []string {
	req := new(http.Request)
	if err := fasthttpadaptor.ConvertRequest(fctx, req, true); err != nil {
		return []string{fmt.Sprintf("reading the request back: %v", err)}
	}
	what := req.Method + " " + req.URL.RequestURI()
	body, err := fctx.Response.BodyUncompressed()
	if err != nil {
		return []string{fmt.Sprintf("%s: reading the answer: %v", what, err)}
	}
	resp := &http.Response{StatusCode: fctx.Response.StatusCode(), Header: http.Header{}, Request: req,
		Body: io.NopCloser(bytes.NewReader(body))}
	for k, v := range fctx.Response.Header.All() {
		resp.Header.Add(string(k), string(v))
	}
	resp.Header.Del(fiber.HeaderContentEncoding)

	c.mu.Lock()
	defer c.mu.Unlock()
	item, _, found := paths.FindPath(req, c.Model, c.options)
	switch {
	case item == nil:
		// No documented path: only an error can answer.
		return c.checkError(what, &fctx.Response)
	case req.Method == http.MethodHead && item.Get != nil:
		return nil // Fiber answers HEAD for every GET route, without a body.
	case !slices.Contains(documentedMethods(item), req.Method):
		return c.checkError(what, &fctx.Response)
	}
	if ok, errs := c.validator.GetResponseBodyValidator().ValidateResponseBodyWithPathItem(req, resp, item, found); !ok {
		return []string{fmt.Sprintf("%s -> %d %.300s: %s", what, resp.StatusCode, body, describe(errs))}
	}
	return nil
}

// checkError requires resp to be a 4xx or 5xx in the Error shape.
func (c *Contract) checkError(what string, resp *fasthttp.Response) []string {
	body, err := resp.BodyUncompressed()
	if err != nil {
		return []string{fmt.Sprintf("%s: reading the answer: %v", what, err)}
	}
	if resp.StatusCode() < 400 {
		return []string{fmt.Sprintf("%s -> %d: an undocumented operation answered with success", what, resp.StatusCode())}
	}
	if ok, errs := c.schemas.ValidateSchemaBytes(c.errorSchema, body); !ok {
		return []string{fmt.Sprintf("%s -> %d %.300s: not the Error shape: %s", what, resp.StatusCode(), body, describe(errs))}
	}
	return nil
}

// CheckRoutes fails t for every route app serves that the document lacks,
// and every operation the document has that app does not serve. Fiber's
// automatic HEAD routes are left out.
func (c *Contract) CheckRoutes(t testing.TB, app *fiber.App) {
	t.Helper()
	documented := map[string]bool{}
	for path, item := range c.Model.Paths.PathItems.FromOldest() {
		for _, m := range documentedMethods(item) {
			documented[m+" "+path] = true
		}
	}
	served := map[string]bool{}
	for _, r := range app.GetRoutes(true) {
		if r.Method == http.MethodHead {
			continue
		}
		segments := strings.Split(r.Path, "/")
		for i, s := range segments {
			if name, ok := strings.CutPrefix(s, ":"); ok {
				segments[i] = "{" + name + "}"
			}
		}
		served[r.Method+" "+strings.Join(segments, "/")] = true
	}
	for route := range served {
		if !documented[route] {
			t.Errorf("the app serves %s, which the OpenAPI document lacks", route)
		}
	}
	for route := range documented {
		if !served[route] {
			t.Errorf("the OpenAPI document has %s, which the app does not serve", route)
		}
	}
}

func documentedMethods(item *v3.PathItem) []string {
	var methods []string
	for m := range item.GetOperations().KeysFromOldest() {
		methods = append(methods, strings.ToUpper(m))
	}
	return methods
}

// describe lists validation errors with their schema failures.
func describe[E interface{ Error() string }](errs []E) string {
	parts := make([]string, 0, len(errs))
	for _, e := range errs {
		parts = append(parts, e.Error())
	}
	return strings.Join(parts, "; ")
}
