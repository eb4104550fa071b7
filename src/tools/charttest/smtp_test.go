//go:build charttest

package charttest

import (
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// TestOrderSendsMailOnlyWhereTheChartSaysSo: without order.smtp.host the
// order pods get no SMTP settings (no email is written); with it they get
// the server, the sender and the password from the named Secret, never
// from values, and order.egress opens the server's port in the order pods'
// NetworkPolicy, which the namespace's default deny would otherwise close.
func TestOrderSendsMailOnlyWhereTheChartSaysSo(t *testing.T) {
	off, err := Render(ChartDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := container(t, off.Find("Deployment", ReleaseName+"-order"))
	if host, _ := envOf(c, "SMTP_HOST"); host != "" {
		t.Errorf("SMTP_HOST is %q by default, want no email until it is set", host)
	}

	on, err := Render(ChartDir(), []string{writeValues(t, `networkPolicy:
  enabled: true
order:
  smtp:
    host: smtp.example.com
    username: shop
    existingSecret: shop-smtp
  egress:
    - to: [{ipBlock: {cidr: 203.0.113.25/32}}]
      ports: [{port: 587, protocol: TCP}]
`)})
	if err != nil {
		t.Fatal(err)
	}
	c, _ = container(t, on.Find("Deployment", ReleaseName+"-order"))
	for name, want := range map[string]string{"SMTP_HOST": "smtp.example.com", "SMTP_PORT": "587", "SMTP_USERNAME": "shop"} {
		if got, _ := envOf(c, name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if _, ref := envOf(c, "SMTP_PASSWORD"); ref == nil || ref.Name != "shop-smtp" || ref.Key != "password" {
		t.Errorf("SMTP_PASSWORD comes from %+v, want key password of Secret shop-smtp", ref)
	}
	policy := on.Find("NetworkPolicy", ReleaseName+"-order")
	if policy == nil {
		t.Fatal("no NetworkPolicy for the order pods")
	}
	var np networkingv1.NetworkPolicy
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(policy.Object, &np); err != nil {
		t.Fatal(err)
	}
	for _, rule := range np.Spec.Egress {
		for _, peer := range rule.To {
			if peer.IPBlock != nil && peer.IPBlock.CIDR == "203.0.113.25/32" && len(rule.Ports) == 1 && rule.Ports[0].Port.IntValue() == 587 {
				return
			}
		}
	}
	t.Errorf("the order pods' NetworkPolicy does not open 203.0.113.25:587: %+v", np.Spec.Egress)
}
