package events

// OrderCreatedData is the payload of the OrderCreated event: an order waiting
// for its stock. Prices are the catalog's, looked up when it was placed.
type OrderCreatedData struct {
	OrderID string      `json:"order_id"`
	Lines   []OrderLine `json:"lines"`
	// TotalCents is what the shopper pays: the lines plus shipping.
	TotalCents int64  `json:"total_cents"`
	Currency   string `json:"currency"`
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
