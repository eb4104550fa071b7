package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// api is the journey of a client of the services' JSON APIs rather than
// the storefront: a catalog page, a search, an order placed and followed.
func (s *shopper) api() error {
	o := s.o
	page := 1 + s.rng.IntN(5)
	cat, err := s.apiGet(s.stop, "api_catalog", o.catalogURL+"/catalog?page_size=20&page="+strconv.Itoa(page))
	if err != nil {
		return err
	}
	var list struct {
		Items []struct {
			ID    string `json:"id"`
			Stock int    `json:"stock"`
		} `json:"items"`
	}
	if json.Unmarshal([]byte(cat.body), &list) != nil || len(list.Items) == 0 {
		return s.unexpected("api_catalog")
	}
	if o.searchURL != "" {
		q := s.words.pick(s.rng)
		if s.rng.Float64() < o.typoRate {
			q = typo(s.rng, q)
		}
		if _, err := s.apiGet(s.stop, "api_search", o.searchURL+"/search?q="+url.QueryEscape(q)); err != nil {
			return err
		}
	}
	if o.orderURL == "" {
		return nil
	}
	item := list.Items[s.rng.IntN(len(list.Items))]
	body, _ := json.Marshal(map[string]any{
		"customer": map[string]any{"email": s.email(), "name": "API Shopper",
			"address": map[string]string{"line1": "1 Test Street", "city": "Testville", "postal_code": "TE5 7ST", "country": "GB"}},
		"items": []map[string]any{{"product_id": item.ID, "quantity": 1 + s.rng.IntN(2)}},
	})
	key := fmt.Sprintf("loadgen-%d-%d", time.Now().UnixNano(), s.rng.Uint64())
	var id string
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(s.hard, http.MethodPost, o.orderURL+"/create-order", bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		// One key per order: a retry after a lost answer is the same order.
		req.Header.Set("Idempotency-Key", key)
		p, err := s.send(s.hard, "api_create_order", req, http.StatusAccepted)
		if err == nil {
			var created struct {
				OrderID string `json:"order_id"`
			}
			if json.Unmarshal([]byte(p.body), &created) != nil || created.OrderID == "" {
				return s.unexpected("api_create_order")
			}
			id = created.OrderID
			break
		}
		if (p.status != 0 && p.status < 500) || attempt >= o.checkoutRetries || s.stop.Err() != nil {
			return err
		}
		if sleep(s.stop, time.Duration(attempt+1)*time.Second) != nil {
			return errStop
		}
	}
	s.rec.orderPlaced(id)
	deadline := time.Now().Add(o.orderTimeout)
	for {
		p, err := s.apiGet(s.hard, "api_order_status", o.orderURL+"/orders/"+id)
		if err == nil {
			var ord struct {
				Status string `json:"status"`
			}
			if json.Unmarshal([]byte(p.body), &ord) != nil || ord.Status == "" {
				return s.unexpected("api_order_status")
			}
			s.rec.orderStatus(id, ord.Status)
			if ord.Status != "pending" {
				return nil
			}
		}
		if s.hard.Err() != nil {
			return errStop
		}
		if time.Now().After(deadline) {
			s.rec.failure("order_unsettled")
			return errStop
		}
		if sleep(s.hard, o.pollInterval) != nil {
			return errStop
		}
	}
}

func (s *shopper) apiGet(ctx context.Context, step, rawURL string) (page, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return page{}, err
	}
	req.Header.Set("Accept", "application/json")
	return s.send(ctx, step, req, http.StatusOK)
}
