package main

import (
	"fmt"
	"strings"
)

// The service level objectives every service is held to. One objective for
// all four keeps the rules free of service names, which differ between a
// plain Prometheus (the metric's own service label: "catalog") and the
// Prometheus Operator (the Kubernetes Service's name: "shop-catalog").
const (
	// availabilityObjective is the share of requests that must not fail
	// with a 5xx, over 30 days.
	availabilityObjective = "0.999"
	// latencyObjective is the share of requests that must be answered
	// within latencyThreshold seconds, over 30 days.
	latencyObjective = "0.99"
	// latencyThreshold is a bucket bound of the HTTP duration histogram.
	latencyThreshold = "0.5"
)

// RunbookBase is where each alert's runbook_url points: a section of
// monitoring/README.md named after the alert.
const RunbookBase = "https://github.com/shop-platform/shop/blob/main/monitoring/README.md#"

// ruleFile is the Prometheus rule file format, which is also the spec of a
// PrometheusRule.
type ruleFile struct {
	Groups []ruleGroup `yaml:"groups"`
}

type ruleGroup struct {
	Name     string `yaml:"name"`
	Interval string `yaml:"interval,omitempty"`
	Rules    []rule `yaml:"rules"`
}

type rule struct {
	Record      string            `yaml:"record,omitempty"`
	Alert       string            `yaml:"alert,omitempty"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty"`
	// parts are the expressions an alert's condition compares: each must
	// return series on a healthy shop (the live test checks), or the alert
	// could never fire.
	parts []string
}

// windows are the rate windows the SLI recording rules are kept for: the
// long and short windows of the burn-rate alerts.
var windows = []string{"5m", "30m", "1h", "2h", "6h", "1d", "3d"}

// burn is one multi-window burn-rate condition: the error budget is being
// spent factor times faster than the objective allows, over both the long
// window and the short one (which makes the alert stop soon after the
// problem does).
type burn struct {
	long, short string
	factor      string
}

// The burn rates of the Site Reliability Workbook's chapter on alerting on
// SLOs, for a 30-day budget: a page when 2% (5%) of it goes in 1 h (6 h), a
// ticket when 10% goes in 3 days.
var (
	fastBurn = []burn{{"1h", "5m", "14.4"}, {"6h", "30m", "6"}}
	slowBurn = []burn{{"1d", "2h", "3"}, {"3d", "6h", "1"}}
)

// byService groups every per-service aggregation of the rules and
// dashboards: the namespace with the service, so two releases scraped by
// one Prometheus never mix (the generator's tests hold every aggregation
// to keeping namespace). The recording rules' level says the same.
const byService = "namespace, service"

func errorRatioRecord(w string) string  { return "namespace_service:http_errors:ratio_rate" + w }
func slowRatioRecord(w string) string   { return "namespace_service:http_slow_requests:ratio_rate" + w }
func requestRateRecord(w string) string { return "namespace_service:http_requests:rate" + w }

// sloRecordingRules are the SLIs: per service of each namespace, the ratio
// of failed (5xx) and of slow requests over each window.
func sloRecordingRules() []rule {
	var rules []rule
	for _, w := range windows {
		total := fmt.Sprintf("sum by (%s) (rate(%s[%s]))", byService, httpRequests, w)
		if w == windows[0] {
			rules = append(rules, rule{Record: requestRateRecord(w), Expr: total})
		}
		rules = append(rules,
			rule{
				Record: errorRatioRecord(w),
				// A service that never failed has no 5xx series: "or 0 *
				// total" makes its ratio 0 instead of absent.
				Expr: fmt.Sprintf("(\n  sum by (%s) (rate(%s{status_code=~\"5..\"}[%s]))\n  or\n  0 * %s\n)\n/\n%s", byService, httpRequests, w, total, total),
			},
			rule{
				Record: slowRatioRecord(w),
				Expr: fmt.Sprintf("1 - (\n  sum by (%s) (rate(%s_bucket{le=%q}[%s]))\n  /\n  sum by (%s) (rate(%s_count[%s]))\n)",
					byService, httpDuration, latencyThreshold, w, byService, httpDuration, w),
			},
		)
	}
	return rules
}

// burnAlert is the multi-window, multi-burn-rate alert on one SLI.
func burnAlert(name, severity, objective string, record func(string) string, burns []burn, summary, description string) rule {
	var conds, parts []string
	for _, b := range burns {
		threshold := fmt.Sprintf("(%s * (1 - %s))", b.factor, objective)
		conds = append(conds, fmt.Sprintf("(\n  %s > %s\n  and\n  %s > %s\n)", record(b.long), threshold, record(b.short), threshold))
		parts = append(parts, record(b.long), record(b.short))
	}
	return alert(name, strings.Join(conds, "\nor\n"), forOf(severity), severity, summary, description, parts...)
}

// forOf is how long a burn-rate condition must hold before it fires: a page
// soon, a ticket only when the burn is not a blip.
func forOf(severity string) string {
	if severity == "critical" {
		return "2m"
	}
	return "15m"
}

// alert is an alert rule with its severity, annotations and runbook link;
// parts are the expressions expr compares (see rule.parts).
func alert(name, expr, forDuration, severity, summary, description string, parts ...string) rule {
	return rule{
		Alert:  name,
		Expr:   expr,
		For:    forDuration,
		Labels: map[string]string{"severity": severity},
		Annotations: map[string]string{
			"summary":     summary,
			"description": description,
			"runbook_url": RunbookBase + strings.ToLower(name),
		},
		parts: parts,
	}
}

// alertRules are every alert, SLO burn rates first. Each names the
// service and namespace it is about: `svc` in the annotations.
func alertRules() []rule {
	const svc = "{{ $labels.service }} in {{ $labels.namespace }}"
	// What the alerts below compare with their thresholds.
	inNamespace15m := func(counter string) string {
		return fmt.Sprintf("sum by (namespace) (increase(%s[15m]))", counter)
	}
	created, confirmed := inNamespace15m(ordersCreated), inNamespace15m(ordersConfirmed)
	refused := inNamespace15m(payments + `{outcome=~"declined|failed"}`)
	charged := inNamespace15m(payments + `{outcome=~"captured|declined|failed"}`)
	stuck := fmt.Sprintf("max by (%s) (%s)", byService, outboxOldestAge)
	deadLetters := fmt.Sprintf("sum by (%s, queue) (increase(%s[10m]))", byService, deadLettered)
	restarts := fmt.Sprintf("changes(%s[30m])", processStartTime)
	return []rule{
		burnAlert("ShopAvailabilityBudgetBurnFast", "critical", availabilityObjective, errorRatioRecord, fastBurn,
			svc+" is failing requests fast enough to spend its monthly error budget in days",
			svc+" answers {{ $value | humanizePercentage }} of its requests with a 5xx (objective: "+availabilityObjective+" succeed over 30 days): at this rate the month's error budget is gone in under three days."),
		burnAlert("ShopAvailabilityBudgetBurnSlow", "warning", availabilityObjective, errorRatioRecord, slowBurn,
			svc+" is spending its error budget faster than it can afford",
			svc+" answers {{ $value | humanizePercentage }} of its requests with a 5xx over a day or more (objective: "+availabilityObjective+" succeed over 30 days): the budget runs out before the month does."),
		burnAlert("ShopLatencyBudgetBurnFast", "critical", latencyObjective, slowRatioRecord, fastBurn,
			svc+" is too slow for too many requests",
			"{{ $value | humanizePercentage }} of the requests of "+svc+" take longer than "+latencyThreshold+" s (objective: "+latencyObjective+" within "+latencyThreshold+" s over 30 days): at this rate the month's latency budget is gone in under three days."),
		burnAlert("ShopLatencyBudgetBurnSlow", "warning", latencyObjective, slowRatioRecord, slowBurn,
			svc+" has been slow for a day or more",
			"{{ $value | humanizePercentage }} of the requests of "+svc+" take longer than "+latencyThreshold+" s over a day or more (objective: "+latencyObjective+" within "+latencyThreshold+" s over 30 days)."),
		alert("ShopOutboxStuck", stuck+" > 60", "5m", "critical",
			svc+" has not published its events for over a minute",
			"The oldest unsent event in the outbox of "+svc+" is {{ $value | humanizeDuration }} old: the relay cannot reach RabbitMQ (or PostgreSQL), so orders stay pending and product changes do not reach search.",
			stuck),
		alert("ShopDeadLettersGrowing", deadLetters+" > 0", "0m", "warning",
			"Events are being dead-lettered from {{ $labels.queue }} in {{ $labels.namespace }}",
			"{{ $value | humanize }} events of queue {{ $labels.queue }} ("+svc+") went to its dead-letter queue in the last 10 minutes: their handler failed for good, and what they describe (a stock reservation, an order's outcome, a product change) did not happen.",
			deadLetters),
		alert("ShopConsumerDown", consumerUp+" == 0", "5m", "critical",
			svc+" is not consuming {{ $labels.queue }}",
			"The consumer of queue {{ $labels.queue }} on {{ $labels.instance }} ("+svc+") has had no open channel for 5 minutes: events for it wait in RabbitMQ (orders stay pending, the search index goes stale).",
			consumerUp),
		alert("ShopNoOrdersConfirmed", created+" > 0\nunless\n"+confirmed+" > 0", "5m", "critical",
			"Orders are being placed in {{ $labels.namespace }} but none is confirmed",
			"Shoppers placed {{ $value | humanize }} orders in {{ $labels.namespace }} in the last 15 minutes and not one was confirmed: the saga (order.created -> catalog reserves stock -> stock.reserved -> confirmed) is broken somewhere, or every order is being rejected.",
			created, confirmed),
		alert("ShopPaymentDeclineRatioHigh", refused+"\n/\n"+charged+" > 0.5\nand\n"+charged+" >= 10", "10m", "warning",
			"Most payments in {{ $labels.namespace }} are declined or failing",
			"{{ $value | humanizePercentage }} of the charges in {{ $labels.namespace }} over the last 15 minutes were declined or failed: the provider is refusing cards (its keys, its account, a fraud rule) or erroring, and shoppers cannot pay.",
			refused, charged),
		alert("ShopServiceRestarting", restarts+" > 2", "0m", "warning",
			svc+" restarted {{ $value }} times in 30 minutes",
			"The process behind {{ $labels.instance }} ("+svc+") started {{ $value }} times in the last 30 minutes: it is crashing, being OOM-killed, or failing its liveness probe.",
			restarts),
	}
}

// rules is the whole rule file: SLI recording rules and the alerts.
func rules() ruleFile {
	return ruleFile{Groups: []ruleGroup{
		{Name: "shop-sli", Rules: sloRecordingRules()},
		{Name: "shop-alerts", Rules: alertRules()},
	}}
}
