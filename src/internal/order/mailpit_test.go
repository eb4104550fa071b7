package order

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/shop-platform/shop/src/internal/platform/testenv"
)

// startMailpit runs Mailpit (SHOP_MAILPIT, built by make mailpit) on ports
// of its own with a database of its own, and returns its SMTP port and
// HTTP API URL.
func startMailpit(t *testing.T) (smtpPort int, api string) {
	t.Helper()
	bin := os.Getenv("SHOP_MAILPIT")
	if bin == "" {
		testenv.Unavailable(t, "Mailpit (SHOP_MAILPIT, built by make mailpit)", fmt.Errorf("SHOP_MAILPIT is not set"))
		return 0, ""
	}
	if _, err := os.Stat(bin); err != nil {
		testenv.Unavailable(t, "Mailpit (make mailpit)", err)
		return 0, ""
	}
	smtpPort, httpPort := testenv.FreePort(t), testenv.FreePort(t)
	cmd := exec.Command(bin, "--smtp", fmt.Sprintf("127.0.0.1:%d", smtpPort), "--listen", fmt.Sprintf("127.0.0.1:%d", httpPort),
		"--database", filepath.Join(t.TempDir(), "mailpit.db"), "--smtp-auth-accept-any", "--smtp-auth-allow-insecure")
	var out testenv.Output
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	api = fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", smtpPort), 200*time.Millisecond)
		if err == nil {
			_ = conn.Close()
			if resp, err := http.Get(api + "/api/v1/messages"); err == nil {
				_ = resp.Body.Close()
				return smtpPort, api
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("Mailpit did not listen: %v\n%s", err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// mailpitMessages lists the messages Mailpit received.
func mailpitMessages(t *testing.T, api string) []struct {
	ID      string
	Subject string
	To      []struct{ Address string }
} {
	t.Helper()
	resp, err := http.Get(api + "/api/v1/messages?limit=100")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var body struct {
		Total    int `json:"total"`
		Messages []struct {
			ID      string
			Subject string
			To      []struct{ Address string }
		} `json:"messages"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return body.Messages
}

// Orders settled through the store, with their events redelivered, reach
// a real SMTP server as exactly one receipt per confirmed order and one
// notice per rejected one.
func TestMailpitReceivesExactlyOneReceiptPerConfirmedOrder(t *testing.T) {
	smtpPort, api := startMailpit(t)
	eachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		q := mailQueue(t, s)
		q.EnableMail()
		var confirmed []Order
		var rejected Order
		for i := range 3 {
			o, e := newOrder(t)
			o.Customer.Email = fmt.Sprintf("shopper-%d-%s@example.com", i, o.Reference[4:])
			if _, _, err := s.Create(ctx, o, e, "", ""); err != nil {
				t.Fatal(err)
			}
			status, reason := Confirmed, ""
			if i == 2 {
				status, reason, rejected = Rejected, "insufficient stock for product mug-001", o
			} else {
				confirmed = append(confirmed, o)
			}
			event := uuid.NewString()
			for range 2 { // redelivered
				if _, err := s.Settle(ctx, event, o.ID, status, reason, ""); err != nil {
					t.Fatal(err)
				}
			}
		}
		relay := MailRelay{Queue: q, From: "Shop <shop@example.com>", Every: time.Millisecond,
			Mailer: SMTP{Host: "127.0.0.1", Port: smtpPort, Username: "shop", Password: "secret", Timeout: 5 * time.Second}}
		for range 2 { // a second pass finds nothing more to send
			if _, err := relay.pass(ctx); err != nil {
				t.Fatal(err)
			}
		}
		got := map[string][]string{}
		for _, m := range mailpitMessages(t, api) {
			for _, to := range m.To {
				got[to.Address] = append(got[to.Address], m.Subject)
			}
		}
		for _, o := range confirmed {
			if s := got[o.Customer.Email]; len(s) != 1 || s[0] != "Your order "+o.Reference+" is confirmed" {
				t.Errorf("%s received %q, want exactly one receipt", o.Customer.Email, s)
			}
		}
		if s := got[rejected.Customer.Email]; len(s) != 1 || !strings.Contains(s[0], "could not be placed") {
			t.Errorf("%s received %q, want exactly one rejection notice", rejected.Customer.Email, s)
		}
	})
}
