package order

import (
	"context"
	"crypto/tls"
	"log/slog"
	"time"
)

// mailBatch is how many emails one pass of the relay sends.
const mailBatch = 20

// MailRelay sends the emails the store wrote and marks each sent. An email
// is marked only after the server accepted it: a crash in between sends it
// again on restart (at least once; the Message-ID is the same), never
// loses it; a status change redelivered never writes a second one.
type MailRelay struct {
	Queue  MailQueue
	Mailer Mailer
	From   string
	Logger *slog.Logger
	// Every is the pause between passes when there is nothing to send,
	// and after a failure.
	Every time.Duration
}

// Run relays until ctx ends.
func (r MailRelay) Run(ctx context.Context) error {
	for {
		sent, err := r.pass(ctx)
		if err != nil && ctx.Err() == nil {
			r.Logger.WarnContext(ctx, "mail relay: sending failed; retrying", "error", err)
		}
		if sent == mailBatch && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(r.Every):
		}
	}
}

// pass sends one batch, oldest first, and stops at the first failure so
// the order of the emails is kept.
func (r MailRelay) pass(ctx context.Context) (int, error) {
	mails, err := r.Queue.PendingMail(ctx, mailBatch)
	if err != nil {
		return 0, err
	}
	for i, m := range mails {
		if err := r.Mailer.Send(ctx, r.From, m); err != nil {
			return i, err
		}
		if err := r.Queue.MarkMailSent(ctx, m.ID); err != nil {
			return i, err
		}
	}
	return len(mails), nil
}

// tlsConfig verifies the SMTP server's certificate for host.
func tlsConfig(host string) *tls.Config {
	return &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
}
