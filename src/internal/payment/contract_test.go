package payment

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/apitest"
	"github.com/shop-platform/shop/src/internal/platform/outbox"
	"github.com/shop-platform/shop/src/internal/platform/testenv"
)

func newContractApp(t *testing.T) *fiber.App {
	t.Helper()
	cfg, err := platform.LoadConfig[Config](map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	app := platform.NewApp("payment", cfg.Base, slog.New(slog.NewTextHandler(io.Discard, nil)), platform.NewRegistry(), nil)
	Routes(app, NewMemoryStore(&outbox.Memory{}), NewTestProvider(), time.Second, testAdminToken)
	return app
}

// One path per resource, as on every service (issue 18).
func TestRoutingIsStrictAndCaseSensitive(t *testing.T) {
	app := newContractApp(t)
	apitest.CheckOnePathPerResource(t, app, testenv.Serve(t, app), apitest.JSONError)
}

// The OpenAPI document and the app agree on the routes.
func TestOpenAPIDocumentListsEveryRoute(t *testing.T) {
	app := newContractApp(t)
	apitest.LoadContract(t, app).CheckRoutes(t, app)
}

// Requests generated from the OpenAPI document: every one it refuses gets
// a 4xx in the error shape, none it accepts a 5xx.
func TestOpenAPIPropertiesHold(t *testing.T) {
	app := newContractApp(t)
	apitest.LoadContract(t, app).CheckProperties(t, app, map[string]string{"Authorization": "Bearer " + testAdminToken})
}

// docs/api/payment.md is the reference of the OpenAPI document the service
// serves: regenerate it with SHOP_UPDATE_API_DOCS=1.
func TestAPIReferenceIsCurrent(t *testing.T) {
	app := newContractApp(t)
	apitest.LoadContract(t, app).CheckReference(t, "../../../docs/api/payment.md", "src/internal/payment/openapi.yaml")
}
