package monstack

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/go-openapi/strfmt"
	amclient "github.com/prometheus/alertmanager/api/v2/client"
	amalert "github.com/prometheus/alertmanager/api/v2/client/alert"
	"github.com/prometheus/alertmanager/api/v2/models"
	promapi "github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// promAPI is Prometheus' HTTP API (client_golang's client).
type promAPI struct{ api promv1.API }

func newPromAPI(base string) (*promAPI, error) {
	c, err := promapi.NewClient(promapi.Config{Address: base})
	if err != nil {
		return nil, fmt.Errorf("prometheus client for %s: %w", base, err)
	}
	return &promAPI{api: promv1.NewAPI(c)}, nil
}

// count is how many series expr returns now.
func (p *promAPI) count(ctx context.Context, expr string) (int, error) {
	v, _, _, err := p.api.Query(ctx, expr, time.Now())
	if err != nil {
		return 0, err
	}
	switch r := v.(type) {
	case model.Vector:
		return len(r), nil
	case model.Matrix:
		return len(r), nil
	case *model.Scalar, *model.String:
		return 1, nil
	}
	return 0, fmt.Errorf("unexpected result type %s", v.Type())
}

// labelValues are the values of label on the series matching selector, as
// Grafana's label_values(selector, label) asks for them.
func (p *promAPI) labelValues(ctx context.Context, label, selector string) ([]string, error) {
	var matches []string
	if selector != "" {
		matches = []string{selector}
	}
	vals, _, _, err := p.api.LabelValues(ctx, label, matches, time.Now().Add(-time.Hour), time.Now())
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(vals))
	for _, v := range vals {
		out = append(out, string(v))
	}
	return out, nil
}

// alertmanagerAPI is Alertmanager's API v2 (its own generated client).
type alertmanagerAPI struct{ api *amclient.AlertmanagerAPI }

func newAlertmanagerAPI(base string) *alertmanagerAPI {
	u, _ := url.Parse(base)
	cfg := amclient.DefaultTransportConfig().WithHost(u.Host).WithSchemes([]string{u.Scheme})
	return &alertmanagerAPI{api: amclient.NewHTTPClientWithConfig(strfmt.Default, cfg)}
}

// alerts are the alerts Alertmanager holds now (not resolved) whose labels
// match every matcher (Alertmanager's filter syntax: name="value").
func (a *alertmanagerAPI) alerts(ctx context.Context, matchers ...string) (models.GettableAlerts, error) {
	ok, err := a.api.Alert.GetAlerts(amalert.NewGetAlertsParamsWithContext(ctx).WithFilter(matchers))
	if err != nil {
		return nil, fmt.Errorf("alertmanager GET /api/v2/alerts: %w", err)
	}
	return ok.Payload, nil
}
