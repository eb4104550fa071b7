package main

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// loadReport is what load prints when it stops: every request it made, the
// failed ones, and the id of every order the order API accepted, so the
// caller can count them in the database.
type loadReport struct {
	Requests int      `json:"requests"`
	Failed   int      `json:"failed"`
	Errors   []string `json:"errors"`
	Orders   []string `json:"orders"`
	Seconds  float64  `json:"seconds"`
}

// load runs shoppers until ctx ends: each browses the storefront (home and a
// product page) and places an order of one item through the order API, with
// a short pause between rounds. A request that fails is counted, never
// retried; requests in flight when ctx ends are finished, not abandoned.
func load(ctx context.Context, frontendURL, orderURL string, workers int, email string, out io.Writer) error {
	c := newClient(30, 2*time.Second)
	home, _, err := c.get(ctx, frontendURL+"/")
	if err != nil {
		return err
	}
	var ids []string
	for _, m := range productLink.FindAllStringSubmatch(home, -1) {
		ids = append(ids, html.UnescapeString(m[1]))
	}
	if len(ids) == 0 {
		return fmt.Errorf("no product on %s/", frontendURL)
	}
	fmt.Fprintf(out, "load: %d shoppers over %d products\n", workers, len(ids))

	var mu sync.Mutex
	report := loadReport{Errors: []string{}, Orders: []string{}}
	record := func(err error, orderID string) {
		mu.Lock()
		defer mu.Unlock()
		report.Requests++
		if err != nil {
			report.Failed++
			if len(report.Errors) < 20 {
				report.Errors = append(report.Errors, time.Now().UTC().Format(time.RFC3339Nano)+" "+err.Error())
			}
		}
		if orderID != "" {
			report.Orders = append(report.Orders, orderID)
		}
	}
	start := time.Now()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			// Each shopper has its own connections; requests outlive ctx.
			shopper := newClient(1, 0)
			req := context.WithoutCancel(ctx)
			for ctx.Err() == nil {
				id := ids[rand.IntN(len(ids))]
				_, _, err := shopper.once(req, http.MethodGet, frontendURL+"/", "", nil)
				record(err, "")
				_, _, err = shopper.once(req, http.MethodGet, frontendURL+"/product/"+id, "", nil)
				record(err, "")
				var created struct {
					OrderID string `json:"order_id"`
				}
				body := map[string]any{"customer": testCustomer(email), "items": []map[string]any{{"product_id": id, "quantity": 1}}}
				_, err = shopper.postJSON(req, orderURL+"/create-order", http.Header{"Idempotency-Key": {newKey("load-")}}, body, &created)
				if err == nil && created.OrderID == "" {
					err = fmt.Errorf("POST /create-order: 2xx without an order_id")
				}
				record(err, created.OrderID)
				_ = sleep(ctx, 100*time.Millisecond)
			}
		})
	}
	wg.Wait()
	report.Seconds = time.Since(start).Seconds()
	return json.NewEncoder(out).Encode(report)
}
