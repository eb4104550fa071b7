package order

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/shop-platform/shop/src/internal/platform/outbox"
)

// mailQueue is the store as its mail queue: both stores are one.
func mailQueue(t *testing.T, s Store) MailQueue {
	t.Helper()
	q, ok := s.(MailQueue)
	if !ok {
		t.Fatalf("%T is not a MailQueue", s)
	}
	return q
}

// A status change writes its email once: the same event redelivered, or
// another event about the same order, adds none.
func TestStoreWritesOneMailPerStatusChangeUnderRedelivery(t *testing.T) {
	eachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		q := mailQueue(t, s)
		q.EnableMail()
		o, e := newOrder(t)
		if _, _, err := s.Create(ctx, o, e, "", ""); err != nil {
			t.Fatal(err)
		}
		event := uuid.NewString()
		for range 3 {
			if _, err := s.Settle(ctx, event, o.ID, Confirmed, "", ""); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Settle(ctx, uuid.NewString(), o.ID, Confirmed, "", ""); err != nil {
			t.Fatal(err)
		}
		mails, err := q.PendingMail(ctx, 10)
		if err != nil || len(mails) != 1 {
			t.Fatalf("pending mail %+v %v, want one receipt", mails, err)
		}
		m := mails[0]
		if m.To != "a@b.co" || m.Kind != Confirmed || !strings.Contains(m.Subject, o.Reference) || !strings.Contains(m.Body, "USD 18.00") {
			t.Fatalf("receipt %+v", m)
		}
		if err := q.MarkMailSent(ctx, m.ID); err != nil {
			t.Fatal(err)
		}
		if mails, err := q.PendingMail(ctx, 10); err != nil || len(mails) != 0 {
			t.Fatalf("pending after sending: %+v %v", mails, err)
		}
	})
}

func TestStoreWritesARejectionNoticeWithItsReason(t *testing.T) {
	eachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		q := mailQueue(t, s)
		q.EnableMail()
		o, e := newOrder(t)
		if _, _, err := s.Create(ctx, o, e, "", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Settle(ctx, uuid.NewString(), o.ID, Rejected, "insufficient stock for product mug-001", ""); err != nil {
			t.Fatal(err)
		}
		mails, err := q.PendingMail(ctx, 10)
		if err != nil || len(mails) != 1 || mails[0].Kind != Rejected || !strings.Contains(mails[0].Body, "insufficient stock") {
			t.Fatalf("pending mail %+v %v, want one rejection notice with the reason", mails, err)
		}
	})
}

// With email off (no SMTP server), status changes write no mail.
func TestStoreWritesNoMailWhileMailIsOff(t *testing.T) {
	eachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		o, e := newOrder(t)
		if _, _, err := s.Create(ctx, o, e, "", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Settle(ctx, uuid.NewString(), o.ID, Confirmed, "", ""); err != nil {
			t.Fatal(err)
		}
		if mails, err := mailQueue(t, s).PendingMail(ctx, 10); err != nil || len(mails) != 0 {
			t.Fatalf("pending mail %+v %v with mail off", mails, err)
		}
	})
}

// failingMailer refuses the first fails messages, then hands them on.
type failingMailer struct {
	fails int
	box   Mailbox
}

func (f *failingMailer) Send(ctx context.Context, from string, m Mail) error {
	if f.fails > 0 {
		f.fails--
		return context.DeadlineExceeded
	}
	return f.box.Send(ctx, from, m)
}

// The relay sends each email once and marks it sent; a server that fails
// gets the email again later, never loses it.
func TestMailRelaySendsEachMailOnceAndRetriesFailures(t *testing.T) {
	ctx := context.Background()
	s := NewMemoryStore(&outbox.Memory{})
	s.EnableMail()
	var ids []string
	for range 3 {
		o, _ := newOrder(t)
		s.orders[o.ID] = o
		if _, err := s.Settle(ctx, uuid.NewString(), o.ID, Confirmed, "", ""); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, o.ID)
	}
	m := &failingMailer{fails: 1}
	r := MailRelay{Queue: s, Mailer: m, From: "Shop <shop@example.com>", Every: time.Millisecond}
	if n, err := r.pass(ctx); err == nil || n != 0 {
		t.Fatalf("first pass with a failing server: %d sent, %v", n, err)
	}
	for range 2 {
		if _, err := r.pass(ctx); err != nil {
			t.Fatal(err)
		}
	}
	got := m.box.Messages()
	if len(got) != 3 {
		t.Fatalf("%d messages, want one per order", len(got))
	}
	for i, sent := range got {
		if want := ids[len(ids)-1-i]; sent.Mail.OrderID != want {
			t.Fatalf("message %d is about %s, want %s (newest first)", i, sent.Mail.OrderID, want)
		}
	}
}
