//go:build charttest

package charttest

import (
	"testing"

	"github.com/shop-platform/shop/src/internal/platform"
)

// TestConfigParity checks, for every service in every profile, that each
// variable the chart sets is one the service's config struct reads and that
// each required one is set; the lists come from the structs' tags.
func TestConfigParity(t *testing.T) {
	profiles, renders := renderAll(t)
	for _, s := range Services {
		if len(ServiceEnvs[s].Known) == 0 {
			t.Fatalf("config struct of %s lists no variables", s)
		}
	}
	for _, p := range profiles {
		t.Run(p.Name, func(t *testing.T) {
			for _, s := range Services {
				d := renders[p.Name].Find("Deployment", "shop-"+s)
				if d == nil {
					t.Fatalf("no Deployment shop-%s", s)
				}
				for _, msg := range ParityViolations(s, containerEnv(t, d)) {
					t.Error(msg)
				}
			}
		})
	}
}

// TestConfigParityCatchesDrift feeds the check what a drifting chart would
// render, so TestConfigParity cannot pass by checking nothing.
func TestConfigParityCatchesDrift(t *testing.T) {
	r, err := Render(ChartDir(), []string{writeValues(t, "order:\n  extraEnv:\n    - name: ORDERS_DATABASE\n      value: x\n")})
	if err != nil {
		t.Fatal(err)
	}
	v := ParityViolations("order", containerEnv(t, r.Find("Deployment", "shop-order")))
	if len(v) != 1 {
		t.Fatalf("want the unknown variable reported, got %v", v)
	}
	if v := ParityViolations("order", []string{"PORT", "LOG_LEVEL", "LOG_LEVEL", "CATALOG_URL"}); len(v) != 1 {
		t.Fatalf("want the duplicated variable reported, got %v", v)
	}
	type withRequired struct {
		platform.Base
		Token string `env:"REQUIRED_TOKEN,required"`
	}
	contract := ServiceEnv{platform.EnvNames[withRequired](), platform.RequiredEnvNames[withRequired]()}
	if v := contract.Violations("test", []string{"LOG_LEVEL"}); len(v) != 1 {
		t.Fatalf("want the missing required variable reported, got %v", v)
	}
	if v := contract.Violations("test", []string{"LOG_LEVEL", "REQUIRED_TOKEN"}); len(v) != 0 {
		t.Fatalf("a complete environment is reported: %v", v)
	}
	if v := ParityViolations("nosuch", []string{"PORT"}); len(v) == 0 {
		t.Fatal("an unknown service passes")
	}
}
