// Package events holds the CloudEvents envelope and the payloads that
// producers and consumers share. An event's type is also its routing key on
// the shop.events topic exchange, so consumers bind to exactly the types they
// handle; the trailing version lets a payload change without breaking them.
package events

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
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

// Product is the payload of ProductUpserted: the product as it now is.
type Product struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Category    string    `json:"category"`
	PriceCents  int64     `json:"price_cents"`
	Currency    string    `json:"currency"`
	Image       string    `json:"image"`
	Stock       int       `json:"stock"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// ProductRemoved is the payload of ProductDeleted.
type ProductRemoved struct {
	ID string `json:"id"`
}
