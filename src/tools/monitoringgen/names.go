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
