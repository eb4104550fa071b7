package events_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform/apitest"
)

// payloads are the Go types of each event's data, by type: what producers
// encode and consumers decode.
var payloads = map[string]func() any{
	events.ProductUpserted: func() any { return &events.Product{} },
	events.ProductDeleted:  func() any { return &events.ProductRemoved{} },
	events.OrderCreated:    func() any { return &events.OrderCreatedData{} },
	events.StockReserved:   func() any { return &events.StockReservedData{} },
	events.StockRejected:   func() any { return &events.StockRejectedData{} },
	events.OrderCancelled:  func() any { return &events.OrderCancelledData{} },
	events.PaymentCaptured: func() any { return &events.PaymentCapturedData{} },
	events.PaymentDeclined: func() any { return &events.PaymentDeclinedData{} },
	events.PaymentRefunded: func() any { return &events.PaymentRefundedData{} },
}

// The AsyncAPI document defines exactly the event types of this package,
// and every example's data is the Go payload of its type, field for field.
func TestAsyncAPIDocumentDefinesEveryEventType(t *testing.T) {
	doc := apitest.LoadEvents(t, events.AsyncAPI())
	var want []string
	for eventType := range payloads {
		want = append(want, eventType)
	}
	slices.Sort(want)
	if got := doc.Types(); !slices.Equal(got, want) {
		t.Fatalf("the document defines %v, the events package %v", got, want)
	}
	for _, eventType := range want {
		for _, raw := range doc.Examples(eventType) {
			var e events.Envelope
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&e); err != nil {
				t.Errorf("an example of %s is not an Envelope: %v", eventType, err)
				continue
			}
			data := json.NewDecoder(bytes.NewReader(e.Data))
			data.DisallowUnknownFields()
			if err := data.Decode(payloads[eventType]()); err != nil {
				t.Errorf("the data of an example of %s is not its Go payload: %v", eventType, err)
			}
		}
	}
}

// An event built by New validates; one that breaks its schema does not.
func TestAsyncAPIDocumentRefusesWhatItDoesNotDescribe(t *testing.T) {
	doc := apitest.LoadEvents(t, events.AsyncAPI())
	ok, err := events.New("/shop/catalog", events.StockReserved, events.StockReservedData{OrderID: "6f1c1f36-0d5e-4c43-9a57-2f0e8d1c7b11"})
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(mustJSON(t, ok)); err != nil {
		t.Fatalf("a stock.reserved event refused: %v", err)
	}
	for what, e := range map[string]events.Envelope{
		"an unknown type":  withType(ok, "shop.stock.reserved.v9"),
		"a bad order id":   mustEvent(t, events.StockReserved, events.StockReservedData{OrderID: "42"}),
		"no reason":        mustEvent(t, events.StockRejected, events.StockRejectedData{OrderID: "6f1c1f36-0d5e-4c43-9a57-2f0e8d1c7b11"}),
		"another source":   withSource(ok, "/shop/search"),
		"a quantity of 0":  mustEvent(t, events.OrderCreated, events.OrderCreatedData{OrderID: "6f1c1f36-0d5e-4c43-9a57-2f0e8d1c7b11", Lines: []events.OrderLine{{ProductID: "a", Quantity: 0}}, Currency: "USD"}),
		"an upper-case id": mustEvent(t, events.ProductDeleted, events.ProductRemoved{ID: "Books-1"}),
		"no lines":         mustEvent(t, events.OrderCreated, events.OrderCreatedData{OrderID: "6f1c1f36-0d5e-4c43-9a57-2f0e8d1c7b11", Currency: "USD"}),
	} {
		if err := doc.Validate(mustJSON(t, e)); err == nil {
			t.Errorf("%s validated", what)
		}
	}
}

func mustEvent(t *testing.T, eventType string, data any) events.Envelope {
	t.Helper()
	source := "/shop/catalog"
	if eventType == events.OrderCreated {
		source = "/shop/order"
	}
	e, err := events.New(source, eventType, data)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func withType(e events.Envelope, eventType string) events.Envelope { e.Type = eventType; return e }

func withSource(e events.Envelope, source string) events.Envelope { e.Source = source; return e }

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
