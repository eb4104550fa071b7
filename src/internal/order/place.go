package order

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"

	"github.com/google/uuid"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform"
)

// Source is the CloudEvents source of the order service's events.
const Source = "/shop/order"

// referenceDraws bounds the new references drawn after a clash.
const referenceDraws = 5

// placer turns a validated request into a stored, priced, pending order.
type placer struct {
	store   Store
	prices  Prices
	cards   Cards
	metrics *Metrics
}

// place stores the order r describes, or returns the one stored before under
// the same idempotency key (created false).
func (p placer) place(ctx context.Context, r CreateRequest, key string) (Order, bool, error) {
	fp := r.fingerprint()
	if key != "" {
		o, err := p.store.ByKey(ctx, key, fp)
		if !errors.Is(err, ErrNotFound) {
			return o, false, keyError(err)
		}
	}
	o, err := p.price(ctx, r)
	if err != nil {
		return Order{}, false, err
	}
	m, err := p.cards.Tokenize(ctx, *r.Payment)
	if err != nil {
		return Order{}, false, err
	}
	o.Payment = &Payment{Brand: m.Brand, Last4: m.Last4, Status: PaymentPending}
	d := createdEvent(o)
	d.PaymentMethodID = m.ID
	e, err := events.New(Source, events.OrderCreated, d)
	if err != nil {
		return Order{}, false, fmt.Errorf("building event: %w", err)
	}
	stored, created, err := p.store.Create(ctx, o, e, key, fp)
	// A clash of random references is rare (one in hundreds of millions
	// per existing order): draw again a few times.
	for try := 0; errors.Is(err, ErrReferenceTaken) && try < referenceDraws; try++ {
		o.Reference = newReference()
		stored, created, err = p.store.Create(ctx, o, e, key, fp)
	}
	if err != nil {
		return Order{}, false, keyError(err)
	}
	if created {
		p.metrics.created.Inc()
	}
	return stored, created, nil
}

func keyError(err error) error {
	if errors.Is(err, ErrKeyReused) {
		return platform.NewError(http.StatusConflict, "idempotency_key_reused",
			"this Idempotency-Key was already used with a different request")
	}
	return err
}

// price builds the order from the catalog's names and prices, with its
// totals for its destination and shipping method.
func (p placer) price(ctx context.Context, r CreateRequest) (Order, error) {
	lines, currency, subtotal, err := p.priceLines(ctx, r.Items)
	if err != nil {
		return Order{}, err
	}
	t, err := totalsOf(subtotal, r.Customer.Address.Country, r.Shipping.Method)
	if err != nil {
		return Order{}, err
	}
	at := now()
	return Order{
		ID: newOrderID(), Reference: newReference(), Status: Pending, Customer: r.Customer, Items: lines, Currency: currency,
		SubtotalCents: t.SubtotalCents, ShippingCents: t.ShippingCents, TaxCents: t.TaxCents, TotalCents: t.TotalCents, Shipping: t.Shipping,
		CreatedAt: at, UpdatedAt: at, History: []Change{{Status: Pending, At: at}},
	}, nil
}

func totalsOf(subtotal int64, country, method string) (Totals, error) {
	t, ok := quote(subtotal, country, method)
	if !ok {
		return Totals{}, platform.NewError(http.StatusUnprocessableEntity, "total_too_large", "items: the order total is too large")
	}
	return t, nil
}

// priceLines looks up the catalog's name and price of every line: the
// lines, their currency and their subtotal.
func (p placer) priceLines(ctx context.Context, items []RequestItem) ([]Item, string, int64, error) {
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.ProductID
	}
	products, err := p.prices.Lookup(ctx, ids)
	if u, ok := asUnknown(err); ok {
		return nil, "", 0, platform.NewError(http.StatusUnprocessableEntity, "unknown_product", "items: product %s does not exist", u.ID)
	}
	if err != nil {
		return nil, "", 0, err
	}
	currency := products[0].Currency
	var subtotal int64
	lines := make([]Item, 0, len(items))
	for i, it := range items {
		pr := products[i]
		if pr.Currency != currency {
			return nil, "", 0, platform.NewError(http.StatusUnprocessableEntity, "mixed_currency",
				"items[%d]: product %s is priced in %s, the order's other items in %s; place separate orders", i, pr.ID, pr.Currency, currency)
		}
		line := pr.PriceCents * int64(*it.Quantity)
		if pr.PriceCents < 0 || line/int64(*it.Quantity) != pr.PriceCents || subtotal > math.MaxInt64-line {
			return nil, "", 0, platform.NewError(http.StatusUnprocessableEntity, "total_too_large", "items[%d]: the order total is too large", i)
		}
		subtotal += line
		lines = append(lines, Item{ProductID: pr.ID, Name: pr.Name, Quantity: *it.Quantity, UnitPriceCents: pr.PriceCents})
	}
	return lines, currency, subtotal, nil
}

func createdEvent(o Order) events.OrderCreatedData {
	d := events.OrderCreatedData{OrderID: o.ID, TotalCents: o.TotalCents, Currency: o.Currency}
	for _, it := range o.Items {
		d.Lines = append(d.Lines, events.OrderLine{ProductID: it.ProductID, Quantity: it.Quantity, UnitPriceCents: it.UnitPriceCents})
	}
	return d
}

// newOrderID is a time-ordered UUID (version 7): orders created one after
// another get ids in the same order, so the primary key's inserts land on
// its last leaf page instead of a random one of a large index, which the
// shared buffers may not hold (docs/benchmarks.md, Scale, Orders).
// Monotonic within the process, also in the same millisecond.
func newOrderID() string {
	return uuid.Must(uuid.NewV7()).String()
}
