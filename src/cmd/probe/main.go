// Command probe is the shop's own test client, built into every image so
// that helm test and make e2e need no image from outside the cluster (a
// cluster without internet, or with a strict registry policy, cannot pull
// one). It shops through package shopper, uses only the standard library
// and runs as the images' non-root user on a read-only root filesystem.
//
//	probe ready URL...                     each URL answers 200 (retried while services start)
//	probe order CATALOG_URL ORDER_URL      an order placed through the order API reaches a final state
//	probe journey FRONTEND_URL             a shopper's verified journey through the storefront, to a confirmed order
//	probe self [-writable DIRS] [-files FILES]  report the user, and that / is read-only while DIRS are writable
//	probe stop                             send SIGTERM to PID 1 (the load generator of the same container)
//	probe dial HOST:PORT                   open a TCP connection (exit 0) or fail to within 3 s (exit 1)
//	probe wait                             do nothing until SIGTERM (a pod that make e2e execs probe dial in)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/shop-platform/shop/src/internal/shopper"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "probe:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: probe ready|order|journey|self|stop|dial|wait [flags] ARGS (see the package doc)")
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	retries := fs.Int("retries", 30, "attempts (2 s apart) of each request while services start")
	polls := fs.Int("polls", 60, "polls (2 s apart) of an order's status before giving up")
	writable := fs.String("writable", "/tmp", "self: comma-separated directories that must be writable")
	files := fs.String("files", "", "self: comma-separated files that must exist and not be empty")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	rest := fs.Args()
	need := func(n int) error {
		if len(rest) != n {
			return fmt.Errorf("%s needs %d arguments, got %d", args[0], n, len(rest))
		}
		return nil
	}
	o := &shopper.Options{Timeout: 10 * time.Second, Retries: *retries - 1, RetryPause: 2 * time.Second,
		Poll: 2 * time.Second, OrderTimeout: time.Duration(*polls) * 2 * time.Second}
	say := func(format string, a ...any) { fmt.Printf(format+"\n", a...) }
	switch args[0] {
	case "ready":
		if len(rest) == 0 {
			return errors.New("ready needs at least one URL")
		}
		return ready(ctx, rest, *retries)
	case "order":
		if err := need(2); err != nil {
			return err
		}
		o.CatalogURL, o.OrderURL = rest[0], rest[1]
		return shopper.New(ctx, o, shopper.NewRecorder(time.Now()), "helm-test@example.com").Order(say)
	case "journey":
		if err := need(1); err != nil {
			return err
		}
		o.Storefront = rest[0]
		return shopper.New(ctx, o, shopper.NewRecorder(time.Now()), "journey@e2e.example.com").Check(say)
	case "self":
		return self(splitList(*writable), splitList(*files), os.Stdout)
	case "stop":
		return syscall.Kill(1, syscall.SIGTERM)
	case "dial":
		if err := need(1); err != nil {
			return err
		}
		conn, err := (&net.Dialer{Timeout: 3 * time.Second}).DialContext(ctx, "tcp", rest[0])
		if err != nil {
			return err
		}
		say("connected %s", rest[0])
		return conn.Close()
	case "wait":
		<-ctx.Done()
		return nil
	}
	return fmt.Errorf("unknown command %q: want ready, order, journey, self, stop, dial or wait", args[0])
}

// ready checks that every URL answers 200, asking each up to retries
// times, 2 s apart, while services start.
func ready(ctx context.Context, urls []string, retries int) error {
	client := &http.Client{Timeout: 10 * time.Second}
	var failed []string
	for _, u := range urls {
		var err error
		for attempt := range max(retries, 1) {
			if attempt > 0 && !sleep(ctx, 2*time.Second) {
				return ctx.Err()
			}
			if err = shopper.Get(client, u)(ctx, 0); err == nil {
				break
			}
		}
		if err != nil {
			fmt.Printf("NOT ready: %v\n", err)
			failed = append(failed, u)
			continue
		}
		fmt.Printf("ready: %s\n", u)
	}
	if len(failed) > 0 {
		return fmt.Errorf("not ready: %v", failed)
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}
