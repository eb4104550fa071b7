package es

import (
	"context"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shop-platform/shop/src/internal/platform"
)

func info(t *testing.T, o Options) error {
	t.Helper()
	api, err := NewClient(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := api.Info(api.Info.WithContext(ctx))
	return Check("probing the cluster", res, err, nil)
}

func TestClientTrustsTheCAAndSendsCredentialsAndAgent(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if !ok || user != "shop" || pass != "s3cret" || !strings.HasPrefix(r.UserAgent(), "go-elasticsearch/") {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		_, _ = w.Write([]byte(`{}`))
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake below
	srv.StartTLS()
	t.Cleanup(srv.Close)
	caPath := filepath.Join(t.TempDir(), "ca.pem")
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(caPath, ca, 0o600); err != nil {
		t.Fatal(err)
	}
	o := Options{URL: srv.URL + "/", Username: "shop", Password: "s3cret", CACertPath: caPath, Timeout: 5 * time.Second}
	if err := info(t, o); err != nil {
		t.Errorf("cluster signed by the CA: %v, want success", err)
	}
	o.CACertPath = ""
	if err := info(t, o); !errors.Is(err, platform.ErrUnavailable) {
		t.Errorf("cluster signed by an unknown CA: %v, want unavailable", err)
	}
	o.CACertPath = filepath.Join(t.TempDir(), "missing.pem")
	if _, err := NewClient(o); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing CA file: %v, want the read error", err)
	}
}

func TestClientRefusesAServerThatIsNotElasticsearch(t *testing.T) {
	var genuine atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if genuine.Load() {
			w.Header().Set("X-Elastic-Product", "Elasticsearch")
		}
		if r.URL.Query().Get("filter_path") == "fail" {
			w.WriteHeader(http.StatusForbidden)
		}
		_, _ = w.Write([]byte(`{}`))
	}))
	t.Cleanup(srv.Close)
	api, err := NewClient(Options{URL: srv.URL, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	probe := func() error {
		res, err := api.Info(api.Info.WithContext(ctx))
		return Check("probing the cluster", res, err, nil)
	}
	if err := probe(); !errors.Is(err, platform.ErrUnavailable) || !strings.Contains(err.Error(), "not Elasticsearch") {
		t.Errorf("success without X-Elastic-Product: %v, want unavailable saying it is not Elasticsearch", err)
	}
	res, err := api.Info(api.Info.WithContext(ctx), api.Info.WithFilterPath("fail"))
	if err := Check("probing the cluster", res, err, nil); !IsStatus(err, http.StatusForbidden) {
		t.Errorf("error answer without X-Elastic-Product: %v, want the 403 itself", err)
	}
	genuine.Store(true)
	if err := probe(); err != nil {
		t.Errorf("genuine answer: %v, want success", err)
	}
	// Like the official client, a genuine success is trusted from then on.
	genuine.Store(false)
	if err := probe(); err != nil {
		t.Errorf("answer after a genuine one: %v, want success", err)
	}
}

func TestClientRetriesAnOverloadedClusterTwice(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	if err := info(t, Options{URL: srv.URL, Timeout: 5 * time.Second}); !errors.Is(err, platform.ErrUnavailable) {
		t.Errorf("503 throughout: %v, want unavailable", err)
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("%d requests, want 3 (the first and 2 retries)", n)
	}
}
