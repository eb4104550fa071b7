// Package events holds the CloudEvents envelope and the payloads that
// producers and consumers share. An event's type is also its routing key on
// the shop.events topic exchange, so consumers bind to exactly the types they
// handle; the trailing version lets a payload change without breaking them.
package events

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Exchange is the durable topic exchange every event is published to.
const Exchange = "shop.events"

// Event types, versioned.
const (
	ProductUpserted = "shop.product.upserted.v1"
	ProductDeleted  = "shop.product.deleted.v1"
	OrderCreated    = "shop.order.created.v1"
	StockReserved   = "shop.stock.reserved.v1"
	StockRejected   = "shop.stock.rejected.v1"
	OrderCancelled  = "shop.order.cancelled.v1"
	PaymentCaptured = "shop.payment.captured.v1"
	PaymentDeclined = "shop.payment.declined.v1"
	PaymentRefunded = "shop.payment.refunded.v1"
)

// Envelope is a CloudEvents 1.0 event in its JSON form.
type Envelope struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Source          string          `json:"source"`
	Type            string          `json:"type"`
	Time            time.Time       `json:"time"`
	DataContentType string          `json:"datacontenttype"`
	Data            json.RawMessage `json:"data"`
	// TraceParent and TraceState are the CloudEvents distributed-tracing
	// extension: the W3C trace context of the change that wrote the event,
	// so its publish and its handling join that change's trace.
	TraceParent string `json:"traceparent,omitempty"`
	TraceState  string `json:"tracestate,omitempty"`
}

// WithTrace returns e carrying the trace context of ctx, when ctx holds a
// sampled span and e carries none yet.
func (e Envelope) WithTrace(ctx context.Context) Envelope {
	if e.TraceParent != "" || !trace.SpanContextFromContext(ctx).IsSampled() {
		return e
	}
	carrier := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, carrier)
	e.TraceParent, e.TraceState = carrier["traceparent"], carrier["tracestate"]
	return e
}

// TraceContext returns ctx with the trace context e carries as its remote
// parent; ctx unchanged when e carries none (or a malformed one).
func (e Envelope) TraceContext(ctx context.Context) context.Context {
	if e.TraceParent == "" {
		return ctx
	}
	return propagation.TraceContext{}.Extract(ctx, propagation.MapCarrier{"traceparent": e.TraceParent, "tracestate": e.TraceState})
}

// New wraps data in an envelope with a fresh id.
func New(source, eventType string, data any) (Envelope, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return Envelope{}, fmt.Errorf("encoding %s payload: %w", eventType, err)
	}
	return Envelope{
		SpecVersion:     "1.0",
		ID:              uuid.NewString(),
		Source:          source,
		Type:            eventType,
		Time:            time.Now().UTC(),
		DataContentType: "application/json",
		Data:            raw,
	}, nil
}

// Decode unmarshals the envelope's data into v.
func (e Envelope) Decode(v any) error {
	if err := json.Unmarshal(e.Data, v); err != nil {
		return fmt.Errorf("decoding %s payload of event %s: %w", e.Type, e.ID, err)
	}
	return nil
}

// Product is the payload of ProductUpserted, the product as it now is: the
// catalog's product (catalog.Product), as its API answers it too. Prices
// are integer minor units (cents).
type Product struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Category    string `json:"category"`
	PriceCents  int64  `json:"price_cents"`
	Currency    string `json:"currency"`
	Image       string `json:"image"`
	Stock       int    `json:"stock"`
	// CreatedAt is absent from the events of catalogs older than this
	// field; consumers do not need it.
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Revision is assigned by the catalog's store in the write itself and
	// rises with every write (a PostgreSQL sequence, or the embedded
	// store's counter): consumers apply a product's events in revision
	// order, never by a replica's clock, and skip older ones. 0 is an
	// event from before revisions, applied as it comes.
	Revision int64 `json:"revision,omitempty"`
}

// ProductRemoved is the payload of ProductDeleted.
type ProductRemoved struct {
	ID string `json:"id"`
	// Revision of the deletion, above every revision the product had.
	Revision int64 `json:"revision,omitempty"`
}
