//go:build charttest

package charttest

import (
	"fmt"
	"slices"
	"sort"

	"github.com/shop-platform/shop/src/internal/catalog"
	"github.com/shop-platform/shop/src/internal/frontend"
	"github.com/shop-platform/shop/src/internal/order"
	"github.com/shop-platform/shop/src/internal/payment"
	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/search"
)

// ServiceEnv is the environment contract of one service, derived from its
// config struct's tags (never from a copy).
type ServiceEnv struct {
	Known    []string
	Required []string
}

// ServiceEnvs maps each service chart to its config struct's variables.
var ServiceEnvs = map[string]ServiceEnv{
	"catalog":  {platform.EnvNames[catalog.Config](), platform.RequiredEnvNames[catalog.Config]()},
	"search":   {platform.EnvNames[search.Config](), platform.RequiredEnvNames[search.Config]()},
	"order":    {platform.EnvNames[order.Config](), platform.RequiredEnvNames[order.Config]()},
	"frontend": {platform.EnvNames[frontend.Config](), platform.RequiredEnvNames[frontend.Config]()},
	"payment":  {platform.EnvNames[payment.Config](), platform.RequiredEnvNames[payment.Config]()},
}

// ParityViolations compares the variables a service's container sets with
// its config struct: each one set must be read, each required one must be
// set, none may be set twice.
func ParityViolations(service string, set []string) []string {
	contract, ok := ServiceEnvs[service]
	if !ok {
		return []string{fmt.Sprintf("no config struct known for service %q", service)}
	}
	return contract.Violations(service, set)
}

// Violations compares the variables set with this contract.
func (contract ServiceEnv) Violations(service string, set []string) []string {
	var v []string
	seen := map[string]bool{}
	for _, name := range set {
		if seen[name] {
			v = append(v, fmt.Sprintf("%s sets %s twice", service, name))
		}
		seen[name] = true
		if !slices.Contains(contract.Known, name) {
			v = append(v, fmt.Sprintf("%s sets %s, which its config struct does not read", service, name))
		}
	}
	for _, name := range contract.Required {
		if !seen[name] {
			v = append(v, fmt.Sprintf("%s does not set %s, which its config struct requires", service, name))
		}
	}
	sort.Strings(v)
	return v
}
