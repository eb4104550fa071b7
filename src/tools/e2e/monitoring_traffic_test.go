//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/shop-platform/shop/src/tools/monstack"
)

// DriveTraffic gives every panel something to show: orders that are
// confirmed and one rejected for lack of stock (waited for until settled),
// a product changed through the admin API (so an event reaches the search
// index), and until t ends a shopper and API clients browsing: storefront
// pages, searches (one finding nothing), catalog pages and a product that
// does not exist. The shop is reached through its Services' ClusterIPs.
func (s *monitoring) DriveTraffic(t testing.TB, shop Shop) {
	t.Helper()
	ctx := context.Background()
	base := map[string]string{}
	for _, svc := range []string{"catalog", "search", "order", "frontend"} {
		u, err := s.shopServiceURL(ctx, shop, svc)
		if err != nil {
			t.Fatal(err)
		}
		base[svc] = u
	}
	token, err := s.adminToken(ctx, shop)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	ids, short, err := orderableProducts(client, base["catalog"])
	if err != nil {
		t.Fatal(err)
	}
	browseCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { browse(browseCtx, client, base, ids[0]) })
	t.Cleanup(func() { stop(); wg.Wait() })

	orders := map[string]string{}
	for i := range 5 {
		id, err := createOrder(client, base["order"], ids[i%3], 1)
		if err != nil {
			t.Fatal(err)
		}
		orders[id] = "confirmed"
	}
	id, err := createOrder(client, base["order"], short, rejectedQuantity)
	if err != nil {
		t.Fatal(err)
	}
	orders[id] = "rejected"
	if err := changeProduct(client, base["catalog"], ids[0], token); err != nil {
		t.Fatal(err)
	}
	err = monstack.Poll(ctx, 2*time.Minute, func() (string, error) {
		var waiting []string
		for id, want := range orders {
			if got := orderStatus(client, base["order"], id); got != want {
				waiting = append(waiting, fmt.Sprintf("order %s is %q, want %q", id, got, want))
			}
		}
		return strings.Join(waiting, "; "), nil
	})
	if err != nil {
		t.Fatalf("orders through the saga: %v", err)
	}
	t.Logf("%d orders settled (one rejected), product %s changed; browsing until the test ends", len(orders), ids[0])
}

// shopServiceURL is the ClusterIP address of a service of the shop.
func (s *monitoring) shopServiceURL(ctx context.Context, shop Shop, name string) (string, error) {
	selector := fmt.Sprintf("app.kubernetes.io/instance=%s,app.kubernetes.io/name=%s", shop.Release, name)
	svcs, err := s.Kube.CoreV1().Services(shop.Namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return "", fmt.Errorf("listing Service %s: %w", selector, err)
	}
	for _, svc := range svcs.Items {
		for _, p := range svc.Spec.Ports {
			if p.Name == "http" {
				return fmt.Sprintf("http://%s:%d", svc.Spec.ClusterIP, p.Port), nil
			}
		}
	}
	return "", fmt.Errorf("no Service %s with a port named http in namespace %s", selector, shop.Namespace)
}

// adminToken is the catalog's admin API token from the release's Secret.
func (s *monitoring) adminToken(ctx context.Context, shop Shop) (string, error) {
	name := shop.Release + "-admin-token"
	secret, err := s.Kube.CoreV1().Secrets(shop.Namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("reading the admin token Secret %s: %w", name, err)
	}
	return string(secret.Data["token"]), nil
}

// rejectedQuantity is the quantity of the order meant to be rejected for
// lack of stock: more than the product it buys has.
const rejectedQuantity = 100

// orderableProducts returns three products with stock to spare for the two
// orders each gets, and one with less than rejectedQuantity. The earlier
// phases' shoppers (the load generator's 200 orders among them) leave some
// products with a unit or two, so the first products of a page are not
// enough: an order of a product down to one unit was rejected.
func orderableProducts(client *http.Client, catalog string) (plenty []string, short string, err error) {
	var page struct {
		Items []struct {
			ID    string `json:"id"`
			Stock int    `json:"stock"`
		} `json:"items"`
	}
	if err := getJSON(client, catalog+"/catalog?page_size=100&in_stock=true", &page); err != nil {
		return nil, "", fmt.Errorf("reading products: %w", err)
	}
	for _, it := range page.Items {
		switch {
		case it.Stock >= 10 && len(plenty) < 3:
			plenty = append(plenty, it.ID)
		case it.Stock < rejectedQuantity && short == "":
			short = it.ID
		}
	}
	if len(plenty) < 3 || short == "" {
		return nil, "", fmt.Errorf("want three products with 10 or more in stock and one with fewer than %d among the first %d in stock", rejectedQuantity, len(page.Items))
	}
	return plenty, short, nil
}

func createOrder(client *http.Client, orderURL, productID string, quantity int) (string, error) {
	body := fmt.Sprintf(`{"customer":{"email":"monstack@example.com","name":"Ann","address":{"line1":"1 High St","city":"London","postal_code":"N1 1AA","country":"GB"}},"items":[{"product_id":%q,"quantity":%d}],"payment":{"card_number":"4242424242424242","exp_month":12,"exp_year":2040,"cvc":"123"}}`, productID, quantity)
	res, err := client.Post(orderURL+"/create-order", "application/json", strings.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("creating an order: %w", err)
	}
	defer func() { _ = res.Body.Close() }()
	raw, _ := io.ReadAll(res.Body)
	var created struct {
		OrderID string `json:"order_id"`
	}
	if res.StatusCode != http.StatusAccepted || json.Unmarshal(raw, &created) != nil {
		return "", fmt.Errorf("creating an order: %s %s", res.Status, raw)
	}
	return created.OrderID, nil
}

func orderStatus(client *http.Client, orderURL, id string) string {
	var o struct {
		Status string `json:"status"`
	}
	if err := getJSON(client, orderURL+"/orders/"+id, &o); err != nil {
		return err.Error()
	}
	return o.Status
}

// changeProduct puts a product back with a new description.
func changeProduct(client *http.Client, catalogURL, id, token string) error {
	var p map[string]any
	if err := getJSON(client, catalogURL+"/catalog/"+id, &p); err != nil {
		return fmt.Errorf("reading product %s: %w", id, err)
	}
	p["description"] = "Changed by the monitoring stack check."
	for _, k := range []string{"id", "created_at", "updated_at", "revision"} {
		delete(p, k)
	}
	body, err := json.Marshal(p)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodPut, catalogURL+"/catalog/"+id, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("changing product %s: %w", id, err)
	}
	defer func() { _ = res.Body.Close() }()
	if res.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(res.Body)
		return fmt.Errorf("changing product %s: %s %s", id, res.Status, raw)
	}
	return nil
}

// browse requests pages and API answers until ctx ends.
func browse(ctx context.Context, client *http.Client, base map[string]string, product string) {
	paths := []string{
		base["frontend"] + "/", base["frontend"] + "/product/" + product, base["frontend"] + "/search?q=mug",
		base["frontend"] + "/cart",
		base["search"] + "/search?q=mug", base["search"] + "/search?q=zzqxjvw", base["search"] + "/search/suggest?q=te",
		base["catalog"] + "/catalog?page_size=5", base["catalog"] + "/catalog/categories", base["catalog"] + "/catalog/no-such-product",
	}
	for ctx.Err() == nil {
		for _, p := range paths {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, p, nil)
			if err != nil {
				return
			}
			if res, err := client.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, res.Body)
				_ = res.Body.Close()
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func getJSON(client *http.Client, url string, v any) error {
	res, err := client.Get(url)
	if err != nil {
		return err
	}
	defer func() { _ = res.Body.Close() }()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s %s", url, res.Status, raw)
	}
	return json.Unmarshal(raw, v)
}
