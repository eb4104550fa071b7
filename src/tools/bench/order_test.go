package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestPgbenchJSONHidesEveryColonThatCouldStartAVariable(t *testing.T) {
	raw := `{"at": "2026-12-07T10:00:00Z", "note": "a: b::c", "n": [1, {"x": ":y"}]}`
	lit, err := pgbenchJSON(raw)
	if err != nil {
		t.Fatal(err)
	}
	for i := range len(lit) - 1 {
		if lit[i] == ':' && lit[i+1] != ' ' {
			t.Fatalf("colon not followed by a space at %d of %s", i, lit)
		}
	}
	if !strings.HasPrefix(lit, "'") || !strings.HasSuffix(lit, "'") {
		t.Fatalf("not an SQL literal: %s", lit)
	}
}

func TestBenchOrderBodyIsValidJSON(t *testing.T) {
	var order struct {
		Items []struct {
			ProductID string `json:"product_id"`
			Quantity  int    `json:"quantity"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(benchOrderBody), &order); err != nil {
		t.Fatal(err)
	}
	if len(order.Items) != 2 || order.Items[0].ProductID != benchProductA || order.Items[1].Quantity != 2 {
		t.Fatalf("order items %+v", order.Items)
	}
}
