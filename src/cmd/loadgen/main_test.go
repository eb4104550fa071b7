package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/shop-platform/shop/src/internal/platform/testenv"
	"github.com/shop-platform/shop/src/internal/shopper"
)

// With -duration=0 the load generator runs until stopped (SIGTERM in a
// pod), then writes its report: what make e2e's request loops read.
func TestRunsUntilStoppedThenReports(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `<a href="/category/lamps">Lamps</a> <a href="/product/lamp-1"><span class="name">Desk Lamp</span></a>`)
	}))
	defer srv.Close()
	stop := make(chan struct{})
	stoppedAt := make(chan time.Time, 1)
	time.AfterFunc(time.Second, func() { stoppedAt <- time.Now(); close(stop) })
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), []string{"-url", srv.URL, "-duration=0", "-users=2", "-think=10ms", "-mix=browse=1", "-json=-", "-progress=0"},
		stop, &stdout, &stderr)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	var rep shopper.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("stdout is not the JSON report: %v\n%s", err, stdout.String())
	}
	if rep.Journeys == 0 || rep.Requests == 0 || rep.Errors != 0 {
		t.Fatalf("report %+v", rep)
	}
	// The run ends when it is stopped, not before, and promptly after.
	ended, stopped := rep.Started.Add(time.Duration(rep.ElapsedS*float64(time.Second))), <-stoppedAt
	if ended.Before(stopped.Add(-10*time.Millisecond)) || ended.After(stopped.Add(4*time.Second)) {
		t.Fatalf("the run ended at %s, stopped at %s: report %+v", ended.Format(time.StampMicro), stopped.Format(time.StampMicro), rep)
	}
}

func TestBadFlagsSayWhatIsWrong(t *testing.T) {
	var stderr bytes.Buffer
	err := run(t.Context(), []string{"-users=0", "soak"}, nil, io.Discard, &stderr)
	if err == nil || !strings.Contains(err.Error(), "make soak") {
		t.Fatalf("a leftover subcommand: %v", err)
	}
	err = run(t.Context(), []string{"-users=0"}, nil, io.Discard, &stderr)
	if err == nil || !strings.Contains(err.Error(), "-users must be") {
		t.Fatalf("-users=0: %v", err)
	}
}

func TestProbesAnswerWhileRunning(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	stop, err := serveProbes(t.Context(), addr)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/health", "/ready"} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %v %v", path, resp, err)
		}
		_ = resp.Body.Close()
	}
	stop()
	if _, err := http.Get("http://" + addr + "/health"); err == nil {
		t.Fatal("probes still answer after the run")
	}
}
