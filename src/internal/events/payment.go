package events

// PaymentCapturedData is the payload of PaymentCaptured: the order's total
// was authorised and captured, once, under the order id as idempotency key.
type PaymentCapturedData struct {
	OrderID     string `json:"order_id"`
	PaymentID   string `json:"payment_id"`
	AmountCents int64  `json:"amount_cents"`
	Currency    string `json:"currency"`
}

// PaymentDeclinedData is the payload of PaymentDeclined: nothing was
// captured; Reason tells the shopper what to do next, Code is for
// machines (declined, insufficient_funds, processing_error).
type PaymentDeclinedData struct {
	OrderID string `json:"order_id"`
	Code    string `json:"code"`
	Reason  string `json:"reason"`
}

// PaymentRefundedData is the payload of PaymentRefunded: a cancelled
// order's capture was refunded in full.
type PaymentRefundedData struct {
	OrderID     string `json:"order_id"`
	AmountCents int64  `json:"amount_cents"`
	Currency    string `json:"currency"`
}

// OrderCancelledData is the payload of OrderCancelled: the shopper
// cancelled a confirmed order; payment refunds it, the catalog releases
// its stock.
type OrderCancelledData struct {
	OrderID string `json:"order_id"`
}
