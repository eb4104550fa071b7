//go:build embedded

package payment

import "errors"

// openStripe refuses in builds tagged embedded: make run builds the shop
// without the Stripe client, part of what a cold make run compiles
// (docs/benchmarks.md, "Cold make run").
func openStripe(Config) (Provider, error) {
	return nil, errors.New("PAYMENT_PROVIDER=stripe, but this binary was built with -tags embedded (as make run builds it), " +
		"which leaves the Stripe client out: run the payment binary or `go run ./src/cmd/shop`")
}
