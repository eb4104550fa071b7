package search

import (
	"testing"

	"github.com/shop-platform/shop/src/internal/platform/apitest"
	"github.com/shop-platform/shop/src/internal/platform/testenv"
)

// Regression tests of the defects the outside probe found in every
// service (issue 20), on the search service's own server.

func TestProbeDefect2MalformedRequestsGetAFixedJSONError(t *testing.T) {
	apitest.CheckMalformedRequests(t, testenv.Serve(t, newTestService(t, nil).App), apitest.JSONError)
}

func TestProbeDefect4UnknownMethodsGetTheJSONErrorShape(t *testing.T) {
	apitest.CheckUnknownMethods(t, testenv.Serve(t, newTestService(t, nil).App), apitest.JSONError)
}

func TestProbeDefect9RequestIDIsEchoedOnlyWhenShortAndSafe(t *testing.T) {
	apitest.CheckRequestIDs(t, testenv.Serve(t, newTestService(t, nil).App))
}

// Issue 18: one path per resource.
func TestRoutingIsStrictAndCaseSensitive(t *testing.T) {
	app := newTestService(t, nil).App
	apitest.CheckOnePathPerResource(t, app, testenv.Serve(t, app), apitest.JSONError)
}

// The OpenAPI document and the app agree on the routes.
func TestOpenAPIDocumentListsEveryRoute(t *testing.T) {
	app := newTestService(t, nil).App
	apitest.LoadContract(t, app).CheckRoutes(t, app)
}

// Requests generated from the OpenAPI document: every one it refuses gets
// a 4xx in the error shape, none it accepts a 5xx.
func TestOpenAPIPropertiesHold(t *testing.T) {
	s := newTestService(t, nil)
	s.waitLoaded(t)
	apitest.LoadContract(t, s.App).CheckProperties(t, s.App, map[string]string{"Authorization": "Bearer " + testToken})
}

// docs/api/search.md is the reference of the OpenAPI document the service
// serves: regenerate it with SHOP_UPDATE_API_DOCS=1.
func TestAPIReferenceIsCurrent(t *testing.T) {
	app := newTestService(t, nil).App
	apitest.LoadContract(t, app).CheckReference(t, "../../../docs/api/search.md", "src/internal/search/openapi.yaml")
}
