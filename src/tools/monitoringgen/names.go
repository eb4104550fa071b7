package main

import (
	"github.com/shop-platform/shop/src/internal/catalog"
	"github.com/shop-platform/shop/src/internal/frontend"
	"github.com/shop-platform/shop/src/internal/order"
	"github.com/shop-platform/shop/src/internal/payment"
	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/mq"
	"github.com/shop-platform/shop/src/internal/platform/pg"
	"github.com/shop-platform/shop/src/internal/search"
)

// The metric names the dashboards and rules use, taken from the constants the
// services export so that a renamed metric breaks the build here instead of
// leaving an empty panel.
const (
	httpRequests = platform.MetricHTTPRequests
	httpDuration = platform.MetricHTTPRequestDuration
	httpInFlight = platform.MetricHTTPInFlight

	goroutines       = platform.MetricGoroutines
	heapInUse        = platform.MetricHeapInUse
	gcDuration       = platform.MetricGCDuration
	allocated        = platform.MetricAllocated
	residentMemory   = platform.MetricResidentMemory
	cpuSeconds       = platform.MetricCPUSeconds
	processStartTime = platform.MetricProcessStartTime
	openFDs          = platform.MetricOpenFDs

	poolConnections = pg.MetricPoolConnections
	poolMax         = pg.MetricPoolMaxConnections
	poolWait        = pg.MetricPoolWaitSeconds

	outboxPublished   = mq.MetricPublished
	outboxFailures    = mq.MetricPublishFailures
	outboxBacklog     = mq.MetricOutboxBacklog
	outboxOldestAge   = mq.MetricOutboxOldestAge
	consumed          = mq.MetricConsumed
	consumerFailures  = mq.MetricConsumerFailures
	redelivered       = mq.MetricRedelivered
	deadLettered      = mq.MetricDeadLettered
	consumerUp        = mq.MetricConsumerUp
	ordersCreated     = order.MetricCreated
	ordersConfirmed   = order.MetricConfirmed
	ordersRejected    = order.MetricRejected
	stockReservations = catalog.MetricStockReservations
	payments          = payment.MetricOutcomes
	paymentsUnknown   = payment.MetricUnknown

	searchDocuments   = search.MetricIndexDocuments
	searchEvents      = search.MetricEvents
	searchDuration    = search.MetricQueryDuration
	searchReindex     = search.MetricReindex
	searchZeroResults = search.MetricZeroResults

	pageSeconds    = frontend.MetricPageSeconds
	backendSeconds = frontend.MetricBackendSeconds
	breakerOpen    = frontend.MetricBreakerOpen
)

// exported lists every name above: what the dashboards and rules may use.
var exported = []string{
	httpRequests, httpDuration, httpInFlight,
	goroutines, heapInUse, gcDuration, allocated, residentMemory, cpuSeconds, processStartTime, openFDs,
	poolConnections, poolMax, poolWait,
	outboxPublished, outboxFailures, outboxBacklog, outboxOldestAge,
	consumed, consumerFailures, redelivered, deadLettered, consumerUp,
	ordersCreated, ordersConfirmed, ordersRejected, stockReservations, payments, paymentsUnknown,
	searchDocuments, searchEvents, searchDuration, searchReindex, searchZeroResults,
	pageSeconds, backendSeconds, breakerOpen,
}

// histograms are the exported names that are histograms or summaries: they
// are queried through their _bucket, _count and _sum series.
var histograms = []string{httpDuration, gcDuration, searchDuration, pageSeconds, backendSeconds}

// gauges whose names end in _total anyway (fiberprometheus's in-flight
// gauge): not counters, so not wrapped in rate().
var totalGauges = []string{httpInFlight}
