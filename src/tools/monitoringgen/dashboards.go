package main

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
	"github.com/grafana/grafana-foundation-sdk/go/units"
)

// datasource is every panel's and query's data source: the dashboard's
// datasource variable, so the dashboards work with whatever Prometheus a
// Grafana has, under any uid.
var datasource = common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr("${datasource}")}

// Label matchers of the dashboards' variables: inNamespace for every
// query, sel (namespace and service) for the per-service metrics. Every
// aggregation keeps namespace too (byService), so two releases scraped by
// one Prometheus never add up, even with several namespaces selected.
const (
	inNamespace = `namespace=~"$namespace"`
	sel         = inNamespace + `, service=~"$service"`
)

// query is one target of a panel.
type query struct{ expr, legend string }

func q(legend, format string, args ...any) query {
	return query{expr: fmt.Sprintf(format, args...), legend: legend}
}

// panel is one panel of a dashboard, before it is built.
type panel struct {
	title, description, unit string
	stat                     bool // a single number instead of a graph
	width                    uint32
	queries                  []query
}

// section is a row of panels.
type section struct {
	title  string
	panels []panel
}

// board is a dashboard before it is built.
type board struct {
	uid, title, description string
	sections                []section
}

func targets(qs []query) []cog.Builder[variants.Dataquery] {
	out := make([]cog.Builder[variants.Dataquery], 0, len(qs))
	for i, x := range qs {
		out = append(out, prometheus.NewDataqueryBuilder().
			Datasource(datasource).
			Expr(x.expr).
			LegendFormat(x.legend).
			RefId(string(rune('A'+i))))
	}
	return out
}

// build turns b into a Grafana dashboard with ids numbered from 1 in order.
func (b board) build() (dashboard.Dashboard, error) {
	d := dashboard.NewDashboardBuilder(b.title).
		Uid(b.uid).
		Description(b.description).
		Tags([]string{"shop", "generated"}).
		Refresh("30s").
		Time("now-1h", "now").
		Timezone(common.TimeZoneBrowser).
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		WithVariable(dashboard.NewDatasourceVariableBuilder("datasource").
			Label("Data source").
			Type("prometheus")).
		WithVariable(labelVariable("namespace", "Namespace", httpRequests)).
		WithVariable(labelVariable("service", "Service", fmt.Sprintf("%s{%s}", httpRequests, inNamespace)))
	id := uint32(0)
	for _, s := range b.sections {
		id++
		d = d.WithRow(dashboard.NewRowBuilder(s.title).Id(id))
		for _, p := range s.panels {
			id++
			width := p.width
			if width == 0 {
				width = 12
			}
			if p.stat {
				d = d.WithPanel(stat.NewPanelBuilder().
					Id(id).Title(p.title).Description(p.description).
					Datasource(datasource).Unit(p.unit).
					Height(4).Span(width).
					Targets(targets(p.queries)).
					GraphMode(common.BigValueGraphModeArea).
					ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"})))
				continue
			}
			d = d.WithPanel(timeseries.NewPanelBuilder().
				Id(id).Title(p.title).Description(p.description).
				Datasource(datasource).Unit(p.unit).
				Height(8).Span(width).
				Targets(targets(p.queries)).
				Min(0).
				FillOpacity(10).
				Legend(common.NewVizLegendOptionsBuilder().
					DisplayMode(common.LegendDisplayModeList).
					Placement(common.LegendPlacementBottom).
					ShowLegend(true)))
		}
	}
	return d.Build()
}

// labelVariable is a dashboard variable whose values are those of label
// on the series of metric (with matchers, if any); any number of them, or
// all, may be selected.
func labelVariable(label, title, metric string) *dashboard.QueryVariableBuilder {
	return dashboard.NewQueryVariableBuilder(label).
		Label(title).
		Datasource(datasource).
		Query(dashboard.StringOrMap{String: cog.ToPtr(fmt.Sprintf("label_values(%s, %s)", metric, label))}).
		Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
		Sort(dashboard.VariableSortAlphabeticalAsc).
		Multi(true).
		IncludeAll(true).
		AllValue(".+")
}

// rate is the per-second rate of counter over Grafana's rate interval.
func rate(counter, matchers string) string {
	return fmt.Sprintf("rate(%s{%s}[$__rate_interval])", counter, matchers)
}

// quantiles are the p50, p95 and p99 of histogram, grouped by the labels in
// by (each followed by ", ").
func quantiles(histogram, matchers, by, legend string) []query {
	var qs []query
	for _, p := range []struct{ name, phi string }{{"p50", "0.5"}, {"p95", "0.95"}, {"p99", "0.99"}} {
		qs = append(qs, q(p.name+" "+legend, "histogram_quantile(%s, sum by (%sle) (%s))", p.phi, by, rate(histogram+"_bucket", matchers)))
	}
	return qs
}

func overview() board {
	return board{
		uid: "shop-overview", title: "Shop / Overview",
		description: "Is the shop answering, fast enough, for every service and route? Rate, errors and duration of every HTTP request, and the SLOs behind the alerts.",
		sections: []section{
			{title: "Service level", panels: []panel{
				{title: "Availability, last 1 d", unit: units.PercentUnit, stat: true, width: 8,
					description: "Share of requests answered without a 5xx over the last day; the objective is " + availabilityObjective + ".",
					queries:     []query{q("{{namespace}} {{service}}", "1 - %s{%s}", errorRatioRecord("1d"), sel)}},
				{title: "Within " + latencyThreshold + " s, last 1 d", unit: units.PercentUnit, stat: true, width: 8,
					description: "Share of requests answered within " + latencyThreshold + " s over the last day; the objective is " + latencyObjective + ".",
					queries:     []query{q("{{namespace}} {{service}}", "1 - %s{%s}", slowRatioRecord("1d"), sel)}},
				{title: "Error budget burn rate (1 h)", unit: units.Short, stat: true, width: 8,
					description: "How many times faster than the availability objective allows the error budget is being spent over the last hour: 1 spends it in exactly 30 days, 14.4 pages.",
					queries:     []query{q("{{namespace}} {{service}}", "%s{%s} / (1 - %s)", errorRatioRecord("1h"), sel, availabilityObjective)}},
			}},
			{title: "Requests", panels: []panel{
				{title: "Request rate by service", unit: units.RequestsPerSecond,
					description: "HTTP requests per second each service answers (health, readiness and metrics scrapes are not counted).",
					queries:     []query{q("{{namespace}} {{service}}", "sum by (namespace, service) (%s)", rate(httpRequests, sel))}},
				{title: "Error ratio by service (5xx)", unit: units.PercentUnit,
					description: "Share of requests answered with a 5xx. 4xx answers are the client's mistakes and are not errors here.",
					queries: []query{q("{{namespace}} {{service}}", "(sum by (namespace, service) (%s) or 0 * sum by (namespace, service) (%s)) / sum by (namespace, service) (%s)",
						rate(httpRequests, sel+`, status_code=~"5.."`), rate(httpRequests, sel), rate(httpRequests, sel))}},
				{title: "Latency by service", unit: units.Seconds,
					description: "p50, p95 and p99 of the time each service takes to answer.",
					queries:     quantiles(httpDuration, sel, "namespace, service, ", "{{namespace}} {{service}}")},
				{title: "Requests in flight", unit: units.Short,
					description: "Requests being handled right now: a rising line while the rate is flat means requests are piling up.",
					queries:     []query{q("{{namespace}} {{service}}", "sum by (namespace, service) (%s{%s})", httpInFlight, sel)}},
			}},
			{title: "Routes", panels: []panel{
				{title: "Request rate by route", unit: units.RequestsPerSecond,
					description: "Requests per second by service, method and route pattern.",
					queries:     []query{q("{{namespace}} {{service}} {{method}} {{path}}", "sum by (namespace, service, method, path) (%s)", rate(httpRequests, sel))}},
				{title: "p99 latency by route", unit: units.Seconds,
					description: "The slowest 1% of each route: where a latency SLO burn comes from.",
					queries: []query{q("{{namespace}} {{service}} {{method}} {{path}}", "histogram_quantile(0.99, sum by (namespace, service, method, path, le) (%s))",
						rate(httpDuration+"_bucket", sel))}},
				{title: "Responses by status", unit: units.RequestsPerSecond,
					description: "Answers per second by service and status code.",
					queries:     []query{q("{{namespace}} {{service}} {{status_code}}", "sum by (namespace, service, status_code) (%s)", rate(httpRequests, sel))}},
				{title: "p95 latency by route", unit: units.Seconds,
					description: "The 95th percentile of each route.",
					queries: []query{q("{{namespace}} {{service}} {{method}} {{path}}", "histogram_quantile(0.95, sum by (namespace, service, method, path, le) (%s))",
						rate(httpDuration+"_bucket", sel))}},
			}},
			{title: "Storefront", panels: []panel{
				{title: "Page render time (p95)", unit: units.Seconds,
					description: "Time the storefront takes to build each page, its backend calls included.",
					queries:     []query{q("{{namespace}} {{page}}", "histogram_quantile(0.95, sum by (namespace, page, le) (%s))", rate(pageSeconds+"_bucket", inNamespace))}},
				{title: "Backend calls by outcome", unit: units.RequestsPerSecond,
					description: "The storefront's calls to catalog, search and order: ok, client_error, unavailable, or refused by an open breaker.",
					queries:     []query{q("{{namespace}} {{backend}} {{outcome}}", "sum by (namespace, backend, outcome) (%s)", rate(backendSeconds+"_count", inNamespace))}},
				{title: "Backend call latency (p95)", unit: units.Seconds,
					description: "How long the storefront waits for each backend.",
					queries:     []query{q("{{namespace}} {{backend}}", "histogram_quantile(0.95, sum by (namespace, backend, le) (%s))", rate(backendSeconds+"_bucket", inNamespace))}},
				{title: "Open circuit breakers", unit: units.Short,
					description: "1 while the storefront fails fast on a backend it found down.",
					queries:     []query{q("{{namespace}} {{backend}}", "max by (namespace, backend) (%s{%s})", breakerOpen, inNamespace)}},
			}},
		},
	}
}

func business() board {
	return board{
		uid: "shop-business", title: "Shop / Business",
		description: "Are orders flowing? Orders through the saga, stock reservations, the outbox and the consumers that carry events between services, and what shoppers find when they search.",
		sections: []section{
			{title: "Orders", panels: []panel{
				{title: "Orders per minute", unit: units.OpsPerMinute,
					description: "Orders placed (pending), confirmed (stock reserved) and rejected (no stock). Confirmed plus rejected follows created within seconds when the saga is healthy.",
					queries: []query{
						q("created {{namespace}}", "sum by (namespace) (%s) * 60", rate(ordersCreated, inNamespace)),
						q("confirmed {{namespace}}", "sum by (namespace) (%s) * 60", rate(ordersConfirmed, inNamespace)),
						q("rejected {{namespace}}", "sum by (namespace) (%s) * 60", rate(ordersRejected, inNamespace)),
					}},
				{title: "Stock reservations per minute", unit: units.OpsPerMinute,
					description: "The catalog's answer to each order: stock reserved for every line, or rejected (not enough stock, unknown product), and reservations released after a declined payment or a cancellation.",
					queries:     []query{q("{{namespace}} {{result}}", "sum by (namespace, result) (%s) * 60", rate(stockReservations, inNamespace))}},
				{title: "Payments per minute", unit: units.OpsPerMinute,
					description: "The payment service's outcomes: captured, declined (the card), failed (a processing error) and refunded (cancellations); and charges whose answer did not come in time and were asked of the provider. Declined and failed over half of them fires ShopPaymentDeclineRatioHigh.",
					queries: []query{
						q("{{namespace}} {{outcome}}", "sum by (namespace, outcome) (%s) * 60", rate(payments, inNamespace)),
						q("{{namespace}} unknown, asked", "sum by (namespace) (%s) * 60", rate(paymentsUnknown, inNamespace)),
					}},
			}},
			{title: "Outbox", panels: []panel{
				{title: "Outbox backlog", unit: units.Short,
					description: "Events written but not yet published, per service. It drains within seconds unless RabbitMQ is out of reach.",
					queries:     []query{q("{{namespace}} {{service}}", "max by (namespace, service) (%s{%s})", outboxBacklog, inNamespace)}},
				{title: "Oldest unsent event", unit: units.Seconds,
					description: "Age of the oldest event waiting in each outbox; over 60 s for 5 minutes fires ShopOutboxStuck.",
					queries:     []query{q("{{namespace}} {{service}}", "max by (namespace, service) (%s{%s})", outboxOldestAge, inNamespace)}},
				{title: "Events published", unit: units.OpsPerSecond,
					description: "Events the relays published with a broker confirm, and publications that failed and will be retried.",
					queries: []query{
						q("published {{namespace}} {{service}}", "sum by (namespace, service) (%s)", rate(outboxPublished, inNamespace)),
						q("failed {{namespace}} {{service}}", "sum by (namespace, service) (%s)", rate(outboxFailures, inNamespace)),
					}},
			}},
			{title: "Consumers", panels: []panel{
				{title: "Events processed by queue", unit: units.OpsPerSecond,
					description: "Events each consumer handled and acknowledged.",
					queries:     []query{q("{{namespace}} {{queue}}", "sum by (namespace, queue) (%s)", rate(consumed, inNamespace))}},
				{title: "Consumer failures, redeliveries and dead letters", unit: units.OpsPerSecond,
					description: "Handler failures (retried), deliveries of events seen before, and events given up on (dead-lettered).",
					queries: []query{
						q("failed {{namespace}} {{queue}}", "sum by (namespace, queue) (%s)", rate(consumerFailures, inNamespace)),
						q("redelivered {{namespace}} {{queue}}", "sum by (namespace, queue) (%s)", rate(redelivered, inNamespace)),
						q("dead-lettered {{namespace}} {{queue}}", "sum by (namespace, queue) (%s)", rate(deadLettered, inNamespace)),
					}},
				{title: "Consumers up", unit: units.Short,
					description: "Replicas consuming each queue (a consumer without a channel counts 0).",
					queries:     []query{q("{{namespace}} {{queue}}", "sum by (namespace, queue) (%s{%s})", consumerUp, inNamespace)}},
			}},
			{title: "Search", panels: []panel{
				{title: "Search latency", unit: units.Seconds,
					description: "Time the index takes to answer searches and suggestions.",
					queries:     quantiles(searchDuration, inNamespace, "namespace, kind, ", "{{namespace}} {{kind}}")},
				{title: "Searches with no result", unit: units.PercentUnit,
					description: "Share of searches that found nothing: what shoppers want and cannot find.",
					queries:     []query{q("{{namespace}}", "sum by (namespace) (%s) / sum by (namespace) (%s)", rate(searchZeroResults, inNamespace), rate(searchDuration+"_count", inNamespace+`, kind="search", result="ok"`))}},
				{title: "Products in the index", unit: units.Short,
					description: "Documents in each replica's live index (-1 when the index cannot be read).",
					queries:     []query{q("{{namespace}} {{instance}}", "max by (namespace, instance) (%s{%s})", searchDocuments, inNamespace)}},
				{title: "Index updates", unit: units.OpsPerSecond,
					description: "Product events applied to the index by type and result, and rebuilds from the catalog.",
					queries: []query{
						q("{{namespace}} {{type}} {{result}}", "sum by (namespace, type, result) (%s)", rate(searchEvents, inNamespace)),
						q("rebuild {{namespace}} {{result}}", "sum by (namespace, result) (%s)", rate(searchReindex, inNamespace)),
					}},
			}},
		},
	}
}

func runtime() board {
	return board{
		uid: "shop-runtime", title: "Shop / Runtime",
		description: "Are the processes healthy? Goroutines, memory, garbage collection, CPU, database connection pools and restarts of every instance.",
		sections: []section{
			{title: "Processes", panels: []panel{
				{title: "Restarts, last hour", unit: units.Short, stat: true, width: 12,
					description: "Process starts per instance in the last hour (changes of its start time); more than 2 in 30 minutes fires ShopServiceRestarting.",
					queries:     []query{q("{{namespace}} {{service}} {{instance}}", "sum by (namespace, service, instance) (changes(%s{%s}[1h]))", processStartTime, sel)}},
				{title: "Uptime", unit: units.Seconds, stat: true, width: 12,
					description: "Time since each instance started.",
					queries:     []query{q("{{namespace}} {{service}} {{instance}}", "time() - max by (namespace, service, instance) (%s{%s})", processStartTime, sel)}},
				{title: "CPU", unit: units.Short,
					description: "CPU cores each instance uses.",
					queries:     []query{q("{{namespace}} {{service}} {{instance}}", "sum by (namespace, service, instance) (%s)", rate(cpuSeconds, sel))}},
				{title: "Goroutines", unit: units.Short,
					description: "A count that only grows is a leak.",
					queries:     []query{q("{{namespace}} {{service}} {{instance}}", "sum by (namespace, service, instance) (%s{%s})", goroutines, sel)}},
			}},
			{title: "Memory", panels: []panel{
				{title: "Resident and heap memory", unit: units.BytesIEC,
					description: "Resident set size (what the container limit counts) and Go heap in use.",
					queries: []query{
						q("rss {{namespace}} {{service}} {{instance}}", "sum by (namespace, service, instance) (%s{%s})", residentMemory, sel),
						q("heap {{namespace}} {{service}} {{instance}}", "sum by (namespace, service, instance) (%s{%s})", heapInUse, sel),
					}},
				{title: "Allocation rate", unit: units.BytesPerSecondIEC,
					description: "Bytes allocated per second: what drives garbage collection.",
					queries:     []query{q("{{namespace}} {{service}} {{instance}}", "sum by (namespace, service, instance) (%s)", rate(allocated, sel))}},
				{title: "GC pause", unit: units.Seconds,
					description: "Average stop-the-world pause of the garbage collector.",
					queries: []query{q("{{namespace}} {{service}} {{instance}}", "sum by (namespace, service, instance) (%s) / sum by (namespace, service, instance) (%s)",
						rate(gcDuration+"_sum", sel), rate(gcDuration+"_count", sel))}},
				{title: "Open file descriptors", unit: units.Short,
					description: "Sockets and files each process holds open.",
					queries:     []query{q("{{namespace}} {{service}} {{instance}}", "sum by (namespace, service, instance) (%s{%s})", openFDs, sel)}},
			}},
			{title: "Database pools", panels: []panel{
				{title: "PostgreSQL pool connections", unit: units.Short,
					description: "Connections of each PostgreSQL-backed service's pool by state, against the pool's maximum (services on the embedded store have none).",
					queries: []query{
						q("{{state}} {{namespace}} {{service}} {{instance}}", "sum by (namespace, service, instance, state) (%s{%s})", poolConnections, sel),
						q("max {{namespace}} {{service}} {{instance}}", "sum by (namespace, service, instance) (%s{%s})", poolMax, sel),
					}},
				{title: "Waiting for a connection", unit: units.Seconds,
					description: "Seconds per second requests spent waiting for a free pool connection: above 0 the pool is too small or the database too slow.",
					queries:     []query{q("{{namespace}} {{service}} {{instance}}", "sum by (namespace, service, instance) (%s)", rate(poolWait, sel))}},
			}},
		},
	}
}

// boards are every dashboard, by file name.
func boards() map[string]board {
	return map[string]board{"overview.json": overview(), "business.json": business(), "runtime.json": runtime()}
}
