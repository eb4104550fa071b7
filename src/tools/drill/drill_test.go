package main

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/shop-platform/shop/src/internal/platform/testenv"
	"github.com/shop-platform/shop/src/internal/shopper"
)

func TestLevelsOff(t *testing.T) {
	var flat, leak []int64
	for i := range 40 {
		flat = append(flat, int64(50<<20+(i%3)<<20))
		leak = append(leak, int64(50<<20+i*2<<20))
	}
	if v := levelsOff(flat, 0.15); !v.OK {
		t.Errorf("steady memory called a leak: %+v", v)
	}
	if v := levelsOff(leak, 0.15); v.OK {
		t.Errorf("memory growing 2 MiB a sample called level: %+v", v)
	}
}

func TestPlotDrawsATimelineWithItsMarks(t *testing.T) {
	rep := shopper.Report{Marks: []shopper.Mark{{T: 2, Label: "broker stopped"}}}
	for i := range 10 {
		rep.Timeline = append(rep.Timeline, shopper.Sample{T: float64(i), Requests: 100 + i, Errors: i % 2, P50Ms: 2, P99Ms: 20 + float64(i)})
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.png")
	if err := writeJSON(in, rep); err != nil {
		t.Fatal(err)
	}
	if err := plotCommand([]string{"-in", in, "-out", out}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) || len(b) < 10000 {
		t.Fatalf("plot is not a PNG (%d bytes, %v)", len(b), err)
	}
}

// TestSoakOnPostgresAndRabbitMQ runs a short soak of the four service
// binaries on the machine's PostgreSQL and RabbitMQ, and checks it leaves
// no database or vhost behind.
func TestSoakOnPostgresAndRabbitMQ(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped with -short: a 20 s soak on PostgreSQL and RabbitMQ")
	}
	pgURL := testenv.PostgresAdminURL()
	u, err := url.Parse(pgURL)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(t.Context(), pgURL)
	if err != nil {
		testenv.Unavailable(t, "PostgreSQL", err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	testenv.RabbitURL(t)
	if _, err := exec.LookPath("rabbitmqctl"); err != nil {
		testenv.Unavailable(t, "rabbitmqctl (to make the soak's vhost)", err)
	}
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", bin+"/", "../../cmd/catalog", "../../cmd/search", "../../cmd/order", "../../cmd/payment", "../../cmd/frontend")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the services: %v\n%s", err, out)
	}
	var out bytes.Buffer
	err = soakCommand(t.Context(), []string{"-bin", bin, "-pg", u.Host, "-duration", "20s", "-users", "6", "-sample", "1s", "-max-growth", "1"}, &out)
	t.Log(out.String())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "soak OK") {
		t.Fatal("no verdict")
	}
	var run string
	if _, err := fmt.Sscanf(out.String()[strings.Index(out.String(), "(databases ")+len("(databases "):], "%s", &run); err != nil {
		t.Fatal(err)
	}
	run = strings.TrimSuffix(strings.TrimSuffix(run, ","), "_catalog")
	var n int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_database WHERE datname LIKE $1`, run+"%").Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d databases of run %s left behind (%v)", n, run, err)
	}
	vhosts, err := exec.Command("rabbitmqctl", "-q", "list_vhosts").CombinedOutput()
	if err != nil || strings.Contains(string(vhosts), "shop-"+run) {
		t.Fatalf("vhost shop-%s left behind (%v):\n%s", run, err, vhosts)
	}
}
