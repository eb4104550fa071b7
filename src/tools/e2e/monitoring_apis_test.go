//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"time"

	amalert "github.com/prometheus/alertmanager/api/v2/client/alert"
	"github.com/prometheus/alertmanager/api/v2/models"
	"github.com/prometheus/common/model"
)

// count is how many series expr returns now.
func (s *monitoring) count(ctx context.Context, expr string) (int, error) {
	v, _, _, err := s.Prometheus.Query(ctx, expr, time.Now())
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
func (s *monitoring) labelValues(ctx context.Context, label, selector string) ([]string, error) {
	var matches []string
	if selector != "" {
		matches = []string{selector}
	}
	vals, _, _, err := s.Prometheus.LabelValues(ctx, label, matches, time.Now().Add(-time.Hour), time.Now())
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(vals))
	for _, v := range vals {
		out = append(out, string(v))
	}
	return out, nil
}

// alerts are the alerts Alertmanager holds now (not resolved) whose labels
// match every matcher (Alertmanager's filter syntax: name="value").
func (s *monitoring) alerts(ctx context.Context, matchers ...string) (models.GettableAlerts, error) {
	ok, err := s.Alertmanager.Alert.GetAlerts(amalert.NewGetAlertsParamsWithContext(ctx).WithFilter(matchers))
	if err != nil {
		return nil, fmt.Errorf("alertmanager GET /api/v2/alerts: %w", err)
	}
	return ok.Payload, nil
}
