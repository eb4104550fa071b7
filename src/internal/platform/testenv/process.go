package testenv

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// FreePort returns a loopback port nobody listens on, for a process a test
// starts on ports of its own. It is drawn below the kernel's ephemeral range:
// a port the kernel hands out for port 0 can be taken again, before the
// process listens on it, as the local end of one of that process's own
// outgoing connections (CI saw "bind: address already in use" when the shop
// opened its database pool before its listeners). It is also below
// Kubernetes' NodePort range (30000-32767), which kube-proxy may route on
// loopback while the local cluster runs. Ports already handed out in this
// test binary are not handed out twice.
func FreePort(t testing.TB) int {
	t.Helper()
	port, err := FreeLoopbackPort(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// FreeLoopbackPort is FreePort for the programs that are not tests but
// start processes on ports of their own, as the benchmarks and the load
// drills do.
func FreeLoopbackPort(ctx context.Context) (int, error) {
	lowest, highest := 16384, min(ephemeralLow(), 30000)
	for range 1000 {
		port := lowest + rand.IntN(highest-lowest)
		if _, taken := handedOut.LoadOrStore(port, true); taken {
			continue
		}
		ln, err := new(net.ListenConfig).Listen(ctx, "tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		_ = ln.Close()
		return port, nil
	}
	return 0, fmt.Errorf("no free loopback port from %d to %d", lowest, highest-1)
}

// handedOut holds the ports FreeLoopbackPort returned in this process.
var handedOut sync.Map

// ephemeralLow is the first port the kernel uses for port 0 and for the
// local end of outgoing connections (32768 on Linux unless configured).
func ephemeralLow() int {
	raw, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	fields := strings.Fields(string(raw))
	if len(fields) == 0 {
		return 32768
	}
	low, err := strconv.Atoi(fields[0])
	if err != nil || low <= 16384+1024 {
		return 32768
	}
	return low
}

// Output collects a process's stdout and stderr while it is still writing,
// so a test can read them at any time (to wait for a line, or to show them
// when it fails).
type Output struct {
	mu sync.Mutex
	b  strings.Builder
}

func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.Write(p)
}

func (o *Output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}

// BuildMakeRunShop builds the all-in-one shop (src/cmd/shop below the
// repository root) into bin as make run builds it: with -tags embedded,
// which leaves the Elasticsearch and Stripe clients out. It returns the
// compiler's output with any error, for the test to show.
func BuildMakeRunShop(ctx context.Context, root, bin string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-tags=embedded", "-o", bin, "./src/cmd/shop")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build -tags=embedded ./src/cmd/shop: %w\n%s", err, out)
	}
	return nil
}

// DeadURL is the address of a loopback port nothing listens on: a backend
// that is down. It is not a port the kernel handed out for port 0 and that
// was closed again, since the kernel can hand that port at once to another
// test's server, which then answers for the backend that should be down
// (CI saw an order priced by another test's catalog). FreePort's ports are
// below that range and are not handed out twice.
func DeadURL(t testing.TB) string {
	t.Helper()
	return fmt.Sprintf("http://127.0.0.1:%d", FreePort(t))
}
