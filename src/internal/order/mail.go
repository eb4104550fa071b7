package order

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Mail is one email to a shopper about an order: a receipt when it is
// confirmed, a notice when it is rejected or cancelled. It is written in
// the same transaction as the status change it reports, once per order and
// kind (a unique key), and a relay sends it (mailrelay.go): a redelivered
// event never mails twice.
type Mail struct {
	ID        string
	OrderID   string
	Kind      Status
	To        string
	Subject   string
	Body      string
	CreatedAt time.Time
}

// mailFor is the email that tells the shopper o has reached its status; ok
// is false for a status nobody is mailed about.
func mailFor(o Order) (Mail, bool) {
	ref := o.Reference
	if ref == "" {
		ref = o.ID
	}
	var subject, intro string
	switch o.Status {
	case Confirmed:
		subject, intro = "Your order "+ref+" is confirmed", "Thank you: your order is confirmed and on its way."
	case Rejected:
		subject, intro = "Your order "+ref+" could not be placed", "We could not place your order: "+o.Reason+". Nothing was charged."
	case "cancelled":
		subject, intro = "Your order "+ref+" is cancelled", "Your order is cancelled as you asked; any payment is refunded."
	default:
		return Mail{}, false
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Hello %s,\n\n%s\n\nOrder reference: %s\n\n", o.Customer.Name, intro, ref)
	for _, it := range o.Items {
		fmt.Fprintf(&b, "%3d x %-40s %s\n", it.Quantity, it.Name, money(it.UnitPriceCents*int64(it.Quantity), o.Currency))
	}
	fmt.Fprintf(&b, "\nSubtotal: %s\nShipping (%s): %s\nTotal: %s\nIncluding VAT: %s\n",
		money(o.SubtotalCents, o.Currency), o.Shipping.Method, money(o.ShippingCents, o.Currency),
		money(o.TotalCents, o.Currency), money(o.TaxCents, o.Currency))
	if o.Status == Confirmed {
		a := o.Customer.Address
		fmt.Fprintf(&b, "\nDelivery to:\n%s\n%s\n", o.Customer.Name, a.Line1)
		if a.Line2 != "" {
			fmt.Fprintf(&b, "%s\n", a.Line2)
		}
		fmt.Fprintf(&b, "%s %s %s\n%s\n\n%s delivery, %d-%d working days. Tracking reference: %s\n",
			a.City, a.Region, a.PostalCode, a.Country, o.Shipping.Method, o.Shipping.EstimateMinDays, o.Shipping.EstimateMaxDays, trackingFor(o.ID))
	}
	b.WriteString("\nFind your order any time with its reference and this email address.\n")
	return Mail{ID: uuid.NewString(), OrderID: o.ID, Kind: o.Status, To: o.Customer.Email, Subject: subject, Body: b.String(), CreatedAt: now()}, true
}

// money formats minor units with their currency code: "USD 1,234.56" would
// need locale rules, so mails say "USD 1234.56".
func money(cents int64, currency string) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s %s%d.%02d", currency, sign, cents/100, cents%100)
}
