package main

import (
	"fmt"
	"strings"

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

// graph is a panel of a time series per query, half the dashboard wide.
func graph(title, unit, description string, queries ...query) panel {
	return panel{title: title, unit: unit, description: description, width: 12, queries: queries}
}

// number is a panel of a single number per query, width wide.
func number(title, unit string, width uint32, description string, queries ...query) panel {
	return panel{title: title, unit: unit, description: description, width: width, stat: true, queries: queries}
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
			if p.stat {
				d = d.WithPanel(stat.NewPanelBuilder().
					Id(id).Title(p.title).Description(p.description).
					Datasource(datasource).Unit(p.unit).
					Height(4).Span(p.width).
					Targets(targets(p.queries)).
					GraphMode(common.BigValueGraphModeArea).
					ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"})))
				continue
			}
			d = d.WithPanel(timeseries.NewPanelBuilder().
				Id(id).Title(p.title).Description(p.description).
				Datasource(datasource).Unit(p.unit).
				Height(8).Span(p.width).
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

// Grouping labels of the dashboards' aggregations besides byService.
const (
	byInstance = byService + ", instance"
	byRoute    = byService + ", method, path"
)

// legendOf is the legend that names each series by the values of labels
// ("namespace, service" gives "{{namespace}} {{service}}").
func legendOf(labels string) string {
	return "{{" + strings.ReplaceAll(labels, ", ", "}} {{") + "}}"
}

// by is fn (sum, max) of expr by labels, each series named by their values.
func by(fn, labels, expr string) query {
	return q(legendOf(labels), "%s by (%s) (%s)", fn, labels, expr)
}

// series are the series of metric that matchers select.
func series(metric, matchers string) string {
	return fmt.Sprintf("%s{%s}", metric, matchers)
}

// named puts name before the legend, to tell x from the panel's other queries.
func (x query) named(name string) query {
	x.legend = name + " " + x.legend
	return x
}

// quantile is the phi quantile of histogram by labels.
func quantile(phi, histogram, matchers, labels string) query {
	return q(legendOf(labels), "histogram_quantile(%s, sum by (%s, le) (%s))", phi, labels, rate(histogram+"_bucket", matchers))
}

// quantiles are the p50, p95 and p99 of histogram by labels.
func quantiles(histogram, matchers, labels string) []query {
	var qs []query
	for _, p := range []struct{ name, phi string }{{"p50", "0.5"}, {"p95", "0.95"}, {"p99", "0.99"}} {
		qs = append(qs, quantile(p.phi, histogram, matchers, labels).named(p.name))
	}
	return qs
}

func overview() board {
	return board{
		uid: "shop-overview", title: "Shop / Overview",
		description: "Is the shop answering, fast enough, for every service and route? Rate, errors and duration of every HTTP request, and the SLOs behind the alerts.",
		sections: []section{
			{title: "Service level", panels: []panel{
				number("Availability, last 1 d", units.PercentUnit, 8, "Share of requests answered without a 5xx over the last day; the objective is "+availabilityObjective+".",
					q(legendOf(byService), "1 - %s{%s}", errorRatioRecord("1d"), sel)),
				number("Within "+latencyThreshold+" s, last 1 d", units.PercentUnit, 8, "Share of requests answered within "+latencyThreshold+" s over the last day; the objective is "+latencyObjective+".",
					q(legendOf(byService), "1 - %s{%s}", slowRatioRecord("1d"), sel)),
				number("Error budget burn rate (1 h)", units.Short, 8, "How many times faster than the availability objective allows the error budget is being spent over the last hour: 1 spends it in exactly 30 days, 14.4 pages.",
					q(legendOf(byService), "%s{%s} / (1 - %s)", errorRatioRecord("1h"), sel, availabilityObjective)),
			}},
			{title: "Requests", panels: []panel{
				graph("Request rate by service", units.RequestsPerSecond, "HTTP requests per second each service answers (health, readiness and metrics scrapes are not counted).",
					by("sum", byService, rate(httpRequests, sel))),
				graph("Error ratio by service (5xx)", units.PercentUnit, "Share of requests answered with a 5xx. 4xx answers are the client's mistakes and are not errors here.",
					q(legendOf(byService), "(sum by (namespace, service) (%s) or 0 * sum by (namespace, service) (%s)) / sum by (namespace, service) (%s)",
						rate(httpRequests, sel+`, status_code=~"5.."`), rate(httpRequests, sel), rate(httpRequests, sel))),
				graph("Latency by service", units.Seconds, "p50, p95 and p99 of the time each service takes to answer.",
					quantiles(httpDuration, sel, byService)...),
				graph("Requests in flight", units.Short, "Requests being handled right now: a rising line while the rate is flat means requests are piling up.",
					by("sum", byService, series(httpInFlight, sel))),
			}},
			{title: "Routes", panels: []panel{
				graph("Request rate by route", units.RequestsPerSecond, "Requests per second by service, method and route pattern.",
					by("sum", byRoute, rate(httpRequests, sel))),
				graph("p99 latency by route", units.Seconds, "The slowest 1% of each route: where a latency SLO burn comes from.",
					quantile("0.99", httpDuration, sel, byRoute)),
				graph("Responses by status", units.RequestsPerSecond, "Answers per second by service and status code.",
					by("sum", byService+", status_code", rate(httpRequests, sel))),
				graph("p95 latency by route", units.Seconds, "The 95th percentile of each route.",
					quantile("0.95", httpDuration, sel, byRoute)),
			}},
			{title: "Storefront", panels: []panel{
				graph("Page render time (p95)", units.Seconds, "Time the storefront takes to build each page, its backend calls included.",
					quantile("0.95", pageSeconds, inNamespace, "namespace, page")),
				graph("Backend calls by outcome", units.RequestsPerSecond, "The storefront's calls to catalog, search and order: ok, client_error, unavailable, or refused by an open breaker.",
					by("sum", "namespace, backend, outcome", rate(backendSeconds+"_count", inNamespace))),
				graph("Backend call latency (p95)", units.Seconds, "How long the storefront waits for each backend.",
					quantile("0.95", backendSeconds, inNamespace, "namespace, backend")),
				graph("Open circuit breakers", units.Short, "1 while the storefront fails fast on a backend it found down.",
					by("max", "namespace, backend", series(breakerOpen, inNamespace))),
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
				graph("Orders per minute", units.OpsPerMinute, "Orders placed (pending), confirmed (stock reserved) and rejected (no stock). Confirmed plus rejected follows created within seconds when the saga is healthy.",
					q("created {{namespace}}", "sum by (namespace) (%s) * 60", rate(ordersCreated, inNamespace)),
					q("confirmed {{namespace}}", "sum by (namespace) (%s) * 60", rate(ordersConfirmed, inNamespace)),
					q("rejected {{namespace}}", "sum by (namespace) (%s) * 60", rate(ordersRejected, inNamespace))),
				graph("Stock reservations per minute", units.OpsPerMinute, "The catalog's answer to each order: stock reserved for every line, or rejected (not enough stock, unknown product), and reservations released after a declined payment or a cancellation.",
					q("{{namespace}} {{result}}", "sum by (namespace, result) (%s) * 60", rate(stockReservations, inNamespace))),
				graph("Payments per minute", units.OpsPerMinute, "The payment service's outcomes: captured, declined (the card), failed (a processing error) and refunded (cancellations); and charges whose answer did not come in time and were asked of the provider. Declined and failed over half of them fires ShopPaymentDeclineRatioHigh.",
					q("{{namespace}} {{outcome}}", "sum by (namespace, outcome) (%s) * 60", rate(payments, inNamespace)),
					q("{{namespace}} unknown, asked", "sum by (namespace) (%s) * 60", rate(paymentsUnknown, inNamespace))),
			}},
			{title: "Outbox", panels: []panel{
				graph("Outbox backlog", units.Short, "Events written but not yet published, per service. It drains within seconds unless RabbitMQ is out of reach.",
					by("max", byService, series(outboxBacklog, inNamespace))),
				graph("Oldest unsent event", units.Seconds, "Age of the oldest event waiting in each outbox; over 60 s for 5 minutes fires ShopOutboxStuck.",
					by("max", byService, series(outboxOldestAge, inNamespace))),
				graph("Events published", units.OpsPerSecond, "Events the relays published with a broker confirm, and publications that failed and will be retried.",
					by("sum", byService, rate(outboxPublished, inNamespace)).named("published"),
					by("sum", byService, rate(outboxFailures, inNamespace)).named("failed")),
			}},
			{title: "Consumers", panels: []panel{
				graph("Events processed by queue", units.OpsPerSecond, "Events each consumer handled and acknowledged.",
					by("sum", "namespace, queue", rate(consumed, inNamespace))),
				graph("Consumer failures, redeliveries and dead letters", units.OpsPerSecond, "Handler failures (retried), deliveries of events seen before, and events given up on (dead-lettered).",
					by("sum", "namespace, queue", rate(consumerFailures, inNamespace)).named("failed"),
					by("sum", "namespace, queue", rate(redelivered, inNamespace)).named("redelivered"),
					by("sum", "namespace, queue", rate(deadLettered, inNamespace)).named("dead-lettered")),
				graph("Consumers up", units.Short, "Replicas consuming each queue (a consumer without a channel counts 0).",
					by("sum", "namespace, queue", series(consumerUp, inNamespace))),
			}},
			{title: "Search", panels: []panel{
				graph("Search latency", units.Seconds, "Time the index takes to answer searches and suggestions.",
					quantiles(searchDuration, inNamespace, "namespace, kind")...),
				graph("Searches with no result", units.PercentUnit, "Share of searches that found nothing: what shoppers want and cannot find.",
					q("{{namespace}}", "sum by (namespace) (%s) / sum by (namespace) (%s)", rate(searchZeroResults, inNamespace), rate(searchDuration+"_count", inNamespace+`, kind="search", result="ok"`))),
				graph("Products in the index", units.Short, "Documents in each replica's live index (-1 when the index cannot be read).",
					by("max", "namespace, instance", series(searchDocuments, inNamespace))),
				graph("Index updates", units.OpsPerSecond, "Product events applied to the index by type and result, and rebuilds from the catalog.",
					by("sum", "namespace, type, result", rate(searchEvents, inNamespace)),
					by("sum", "namespace, result", rate(searchReindex, inNamespace)).named("rebuild")),
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
				number("Restarts, last hour", units.Short, 12, "Process starts per instance in the last hour (changes of its start time); more than 2 in 30 minutes fires ShopServiceRestarting.",
					by("sum", byInstance, "changes("+series(processStartTime, sel)+"[1h])")),
				number("Uptime", units.Seconds, 12, "Time since each instance started.",
					q(legendOf(byInstance), "time() - max by (%s) (%s)", byInstance, series(processStartTime, sel))),
				graph("CPU", units.Short, "CPU cores each instance uses.",
					by("sum", byInstance, rate(cpuSeconds, sel))),
				graph("Goroutines", units.Short, "A count that only grows is a leak.",
					by("sum", byInstance, series(goroutines, sel))),
			}},
			{title: "Memory", panels: []panel{
				graph("Resident and heap memory", units.BytesIEC, "Resident set size (what the container limit counts) and Go heap in use.",
					by("sum", byInstance, series(residentMemory, sel)).named("rss"),
					by("sum", byInstance, series(heapInUse, sel)).named("heap")),
				graph("Allocation rate", units.BytesPerSecondIEC, "Bytes allocated per second: what drives garbage collection.",
					by("sum", byInstance, rate(allocated, sel))),
				graph("GC pause", units.Seconds, "Average stop-the-world pause of the garbage collector.",
					q(legendOf(byInstance), "%s / %s", by("sum", byInstance, rate(gcDuration+"_sum", sel)).expr, by("sum", byInstance, rate(gcDuration+"_count", sel)).expr)),
				graph("Open file descriptors", units.Short, "Sockets and files each process holds open.",
					by("sum", byInstance, series(openFDs, sel))),
			}},
			{title: "Database pools", panels: []panel{
				graph("PostgreSQL pool connections", units.Short, "Connections of each PostgreSQL-backed service's pool by state, against the pool's maximum (services on the embedded store have none).",
					q("{{state}} "+legendOf(byInstance), "sum by (%s, state) (%s)", byInstance, series(poolConnections, sel)),
					by("sum", byInstance, series(poolMax, sel)).named("max")),
				graph("Waiting for a connection", units.Seconds, "Seconds per second requests spent waiting for a free pool connection: above 0 the pool is too small or the database too slow.",
					by("sum", byInstance, rate(poolWait, sel))),
			}},
		},
	}
}

// boards are every dashboard, by file name.
func boards() map[string]board {
	return map[string]board{"overview.json": overview(), "business.json": business(), "runtime.json": runtime()}
}
