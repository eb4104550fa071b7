package testenv

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
)

// FreePort asks the kernel for a loopback port nobody listens on, for a
// process a test starts on ports of its own.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := new(net.ListenConfig).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	return ln.Addr().(*net.TCPAddr).Port
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
