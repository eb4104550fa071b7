//go:build !embedded

package payment

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stripe/stripe-go/v82"

	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/testenv"
)

// startStripeMock runs stripe-mock, Stripe's official mock of its API
// (SHOP_STRIPE_MOCK, built by make stripe-mock), on ports of its own and
// returns its URL. It validates every request against Stripe's OpenAPI
// and answers fixtures: the wire format is tested here, the outcomes with
// the test provider.
func startStripeMock(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("SHOP_STRIPE_MOCK")
	if bin == "" {
		testenv.Unavailable(t, "stripe-mock (SHOP_STRIPE_MOCK, built by make stripe-mock)", fmt.Errorf("SHOP_STRIPE_MOCK is not set"))
		return ""
	}
	if _, err := os.Stat(bin); err != nil {
		testenv.Unavailable(t, "stripe-mock (make stripe-mock)", err)
		return ""
	}
	port := testenv.FreePort(t)
	cmd := exec.Command(bin, "-http-port", fmt.Sprint(port), "-https-port", fmt.Sprint(testenv.FreePort(t)))
	var out testenv.Output
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(20 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			_ = conn.Close()
			return "http://" + addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("stripe-mock did not listen on %s: %v\n%s", addr, err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestStripeAdapterSpeaksStripesAPI(t *testing.T) {
	s := NewStripe(platform.Secret("sk_test_shop"), startStripeMock(t), nil)
	ctx := context.Background()
	m, err := s.Tokenize(ctx, platform.Card{Number: "4242424242424242", ExpMonth: 12, ExpYear: 2040, CVC: "123"})
	if err != nil || !strings.HasPrefix(m.ID, "pm_") || m.Last4 == "" || m.Brand == "" {
		t.Fatalf("tokenising: %+v %v", m, err)
	}
	key := uuid.NewString()
	// stripe-mock answers its fixture intent, whose status is
	// requires_payment_method: a confirmed intent in that status is a
	// decline, as Stripe means it.
	o, err := s.Charge(ctx, ChargeRequest{Key: key, MethodID: m.ID, AmountCents: 2599, Currency: "USD"})
	if err != nil || o.Status != Declined || o.Code != CodeDeclined {
		t.Fatalf("charging: %+v %v", o, err)
	}
	// stripe-mock is stateless: its search answers a fixture, not the
	// intent just made, so this proves the query is one Stripe accepts.
	if _, _, err := s.Find(ctx, key); err != nil {
		t.Fatalf("asking Stripe for the charge: %v", err)
	}
	if err := s.Refund(ctx, "refund-"+key, "pi_"+strings.ReplaceAll(key, "-", ""), 2599); err != nil {
		t.Fatalf("refunding: %v", err)
	}
}

// An unreachable Stripe is an unknown outcome (an error), never a decline.
func TestStripeAdapterUnreachableIsAnUnknownOutcome(t *testing.T) {
	s := NewStripe(platform.Secret("sk_test_shop"), fmt.Sprintf("http://127.0.0.1:%d", testenv.FreePort(t)), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if o, err := s.Charge(ctx, ChargeRequest{Key: uuid.NewString(), MethodID: "pm_card_visa", AmountCents: 100, Currency: "USD"}); err == nil {
		t.Fatalf("charging an unreachable Stripe: %+v, want an error", o)
	}
}

// Stripe's card errors map to the same codes and reasons as the test
// provider's cards.
func TestStripeCardErrorsAreDeclinesWithTheTestProvidersReasons(t *testing.T) {
	for _, tc := range []struct {
		err  *stripe.Error
		want Outcome
	}{
		{&stripe.Error{Type: stripe.ErrorTypeCard, Code: stripe.ErrorCodeCardDeclined, DeclineCode: stripe.DeclineCodeGenericDecline}, declined(CodeDeclined)},
		{&stripe.Error{Type: stripe.ErrorTypeCard, Code: stripe.ErrorCodeCardDeclined, DeclineCode: stripe.DeclineCodeInsufficientFunds}, declined(CodeInsufficientFunds)},
		{&stripe.Error{Type: stripe.ErrorTypeCard, Code: stripe.ErrorCodeProcessingError}, declined(CodeProcessingError)},
	} {
		if got := stripeDecline(tc.err); got != tc.want {
			t.Errorf("%s/%s: %+v, want %+v", tc.err.Code, tc.err.DeclineCode, got, tc.want)
		}
	}
}

// A confirmed intent's status decides the outcome: only succeeded is a
// capture, and processing is no outcome yet.
func TestStripeIntentStatusDecidesTheOutcome(t *testing.T) {
	if o, err := intentOutcome(&stripe.PaymentIntent{ID: "pi_1", Status: stripe.PaymentIntentStatusSucceeded}); err != nil || o.Status != Captured || o.ChargeID != "pi_1" {
		t.Errorf("succeeded: %+v %v, want captured", o, err)
	}
	if _, err := intentOutcome(&stripe.PaymentIntent{ID: "pi_2", Status: stripe.PaymentIntentStatusProcessing}); err == nil {
		t.Error("processing: no error, want an unknown outcome")
	}
	for _, status := range []stripe.PaymentIntentStatus{stripe.PaymentIntentStatusRequiresPaymentMethod, stripe.PaymentIntentStatusRequiresAction, stripe.PaymentIntentStatusCanceled} {
		if o, err := intentOutcome(&stripe.PaymentIntent{ID: "pi_3", Status: status}); err != nil || o.Status != Declined {
			t.Errorf("%s: %+v %v, want declined", status, o, err)
		}
	}
}
