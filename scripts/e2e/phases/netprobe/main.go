// Command netprobe is the probe of scripts/e2e/phases/netpol-matrix.sh: a
// static binary in a scratch image that waits (`netprobe wait`), opens a
// TCP connection (`netprobe dial HOST:PORT`: exit 0 connected, 1 refused or
// timed out) or sends one HTTP request (`netprobe http METHOD URL [BODY]
// [Header:value...]`: prints the status line and body, exit 0 for a 2xx).
// The probe pods carry a caller's labels, so what they reach is what the
// NetworkPolicies let that caller reach.
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "netprobe:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: netprobe wait | dial HOST:PORT | http METHOD URL [BODY] [Header:value...]")
	}
	switch args[0] {
	case "wait":
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
		defer stop()
		<-ctx.Done()
		return nil
	case "dial":
		if len(args) != 2 {
			return fmt.Errorf("usage: netprobe dial HOST:PORT")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", args[1])
		if err != nil {
			return fmt.Errorf("dial %s: %w", args[1], err)
		}
		fmt.Println("connected", args[1])
		return conn.Close()
	case "http":
		return httpRequest(args[1:])
	}
	return fmt.Errorf("unknown command %q", args[0])
}

// httpRequest sends one request and prints the answer.
func httpRequest(args []string) error {
	if len(args) < 2 {
		return fmt.Errorf("usage: netprobe http METHOD URL [BODY] [Header:value...]")
	}
	var body io.Reader
	if len(args) > 2 {
		body = strings.NewReader(args[2])
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, args[0], args[1], body)
	if err != nil {
		return fmt.Errorf("request: %w", err)
	}
	if len(args) > 2 {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, h := range args[min(len(args), 3):] {
		k, v, ok := strings.Cut(h, ":")
		if !ok {
			return fmt.Errorf("header %q is not Name:value", h)
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", args[0], args[1], err)
	}
	b, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return fmt.Errorf("reading the answer: %w", err)
	}
	fmt.Println(resp.Status)
	fmt.Println(string(b))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s", args[0], args[1], resp.Status)
	}
	return nil
}
