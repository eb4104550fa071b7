package order

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/shop-platform/shop/src/internal/platform/outbox"
)

// make run's mail page shows each receipt the relay delivered to the
// embedded mailbox, newest first.
func TestMailboxPageShowsTheReceiptsSent(t *testing.T) {
	ctx := context.Background()
	s := NewMemoryStore(&outbox.Memory{})
	s.EnableMail()
	o, e := newOrder(t)
	o.Customer.Name = "<Ann>"
	if _, _, err := s.Create(ctx, o, e, "", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Settle(ctx, uuid.NewString(), o.ID, Confirmed, "", PaymentCaptured); err != nil {
		t.Fatal(err)
	}
	box := &Mailbox{}
	if _, err := (MailRelay{Queue: s, Mailer: box, From: "Shop <shop@localhost>"}).pass(ctx); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	box.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/mail", nil))
	body := rec.Body.String()
	if strings.Count(body, `data-testid="mail"`) != 1 || !strings.Contains(body, "Your order "+o.Reference+" is confirmed") ||
		!strings.Contains(body, "Hello &lt;Ann&gt;") || !strings.Contains(body, "Tracking reference: TRK") {
		t.Fatalf("mail page:\n%s", body)
	}
}
