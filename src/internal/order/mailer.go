package order

import (
	"bytes"
	"context"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"strconv"
	"sync"
	"time"

	"github.com/shop-platform/shop/src/internal/platform"
)

// Mailer hands an email to a mail server.
type Mailer interface {
	Send(ctx context.Context, from string, m Mail) error
}

// SMTP sends through an SMTP server (SMTP_HOST and friends): STARTTLS when
// the server offers it, PLAIN authentication when a username is set.
type SMTP struct {
	Host     string
	Port     int
	Username string
	Password platform.Secret
	Timeout  time.Duration
}

// Send implements Mailer.
func (s SMTP) Send(ctx context.Context, from string, m Mail) error {
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	addr := net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("connecting to SMTP server %s: %w", addr, err)
	}
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	c, err := smtp.NewClient(conn, s.Host)
	if err != nil {
		_ = conn.Close()
		return fmt.Errorf("greeting SMTP server %s: %w", addr, err)
	}
	defer func() { _ = c.Close() }()
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(tlsConfig(s.Host)); err != nil {
			return fmt.Errorf("STARTTLS with %s: %w", addr, err)
		}
	}
	if s.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password.Value(), s.Host)); err != nil {
			return fmt.Errorf("authenticating to %s: %w", addr, err)
		}
	}
	sender, err := mail.ParseAddress(from)
	if err != nil {
		return fmt.Errorf("SMTP_FROM %q: %w", from, err)
	}
	if err := c.Mail(sender.Address); err != nil {
		return fmt.Errorf("MAIL FROM: %w", err)
	}
	if err := c.Rcpt(m.To); err != nil {
		return fmt.Errorf("RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if _, err := w.Write(message(from, m)); err != nil {
		return fmt.Errorf("writing message: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("ending message: %w", err)
	}
	return c.Quit()
}

// message is m as an RFC 5322 message. Its Message-ID is the mail's id,
// so a message sent twice (a crash between sending and marking it sent)
// is recognisably one.
func message(from string, m Mail) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s@shop>\r\n",
		from, m.To, mime.QEncoding.Encode("utf-8", m.Subject), m.CreatedAt.Format(time.RFC1123Z), m.ID)
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	w := quotedprintable.NewWriter(&b)
	_, _ = w.Write(bytes.ReplaceAll([]byte(m.Body), []byte("\n"), []byte("\r\n")))
	_ = w.Close()
	return b.Bytes()
}

// Mailbox is the embedded mail server of `make run`: it keeps the most
// recent messages in memory for the local mail page.
type Mailbox struct {
	mu   sync.Mutex
	sent []Sent
}

// Sent is one message the mailbox received.
type Sent struct {
	From string
	Mail Mail
	At   time.Time
}

// mailboxSize bounds the messages the mailbox keeps.
const mailboxSize = 200

// Send implements Mailer.
func (b *Mailbox) Send(_ context.Context, from string, m Mail) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sent = append(b.sent, Sent{From: from, Mail: m, At: time.Now()})
	if len(b.sent) > mailboxSize {
		b.sent = b.sent[len(b.sent)-mailboxSize:]
	}
	return nil
}

// Messages returns the kept messages, newest first.
func (b *Mailbox) Messages() []Sent {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]Sent, len(b.sent))
	for i, s := range b.sent {
		out[len(out)-1-i] = s
	}
	return out
}
