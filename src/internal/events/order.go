package events

// OrderCreatedData is the payload of the OrderCreated event: an order waiting
// for its stock. Prices are the catalog's, looked up when it was placed.
type OrderCreatedData struct {
	OrderID string      `json:"order_id"`
	Lines   []OrderLine `json:"lines"`
	// TotalCents is what the shopper pays and payment charges: the lines
	// plus shipping.
	TotalCents int64  `json:"total_cents"`
	Currency   string `json:"currency"`
	// PaymentMethodID is the payment service's token of the card the
	// order is paid with (added in v1, optional: orders from before the
	// payment service have none).
	PaymentMethodID string `json:"payment_method_id,omitempty"`
}

// OrderLine is one product of an order.
type OrderLine struct {
	ProductID      string `json:"product_id"`
	Quantity       int    `json:"quantity"`
	UnitPriceCents int64  `json:"unit_price_cents"`
}

// StockReservedData is the payload of StockReserved: the catalog took the stock
// of every line of the order.
type StockReservedData struct {
	OrderID string `json:"order_id"`
}

// StockRejectedData is the payload of StockRejected: the catalog took nothing,
// for the reason given (shown to the shopper).
type StockRejectedData struct {
	OrderID string `json:"order_id"`
	Reason  string `json:"reason"`
}
