// Command probe is the shop's own test client, built into every service image
// so that helm test and the end-to-end test need no image from outside the
// cluster (a cluster without internet, or with a strict registry policy,
// cannot pull one). It uses only the standard library and runs as the
// images' non-root user on a read-only root filesystem.
//
//	probe ready URL...                     each URL answers 2xx (retried while services start)
//	probe order CATALOG_URL ORDER_URL      an order placed through the order API reaches a final state
//	probe journey FRONTEND_URL             a shopper's journey through the storefront, to a confirmed order
//	probe load FRONTEND_URL ORDER_URL      browse and place orders until SIGTERM, then print a JSON report
//	probe stop                             send SIGTERM to PID 1 (the load loop of the same container)
//	probe self [-writable DIRS] [-files FILES]  report the user, and that / is read-only while DIRS are writable
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
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
		return errors.New("usage: probe ready|order|journey|load|stop|self [flags] ARGS (see the package doc)")
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	retries := fs.Int("retries", 30, "attempts (2 s apart) of each request while services start")
	polls := fs.Int("polls", 60, "polls (2 s apart) of an order's status before giving up")
	workers := fs.Int("workers", 4, "load: concurrent shoppers")
	email := fs.String("email", "load@e2e.example.com", "load: the customer email of its orders (tests count them by it)")
	writable := fs.String("writable", "/tmp", "self: comma-separated directories that must be writable")
	files := fs.String("files", "", "self: comma-separated files that must exist and not be empty")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	c := newClient(*retries, 2*time.Second)
	rest := fs.Args()
	need := func(n int) error {
		if len(rest) != n {
			return fmt.Errorf("%s needs %d URL arguments, got %d", args[0], n, len(rest))
		}
		return nil
	}
	switch args[0] {
	case "ready":
		if len(rest) == 0 {
			return errors.New("ready needs at least one URL")
		}
		return ready(ctx, c, rest)
	case "order":
		if err := need(2); err != nil {
			return err
		}
		return order(ctx, c, rest[0], rest[1], *polls)
	case "journey":
		if err := need(1); err != nil {
			return err
		}
		return journey(ctx, c, rest[0], *polls)
	case "load":
		if err := need(2); err != nil {
			return err
		}
		return load(ctx, rest[0], rest[1], *workers, *email, os.Stdout)
	case "self":
		return self(splitList(*writable), splitList(*files), os.Stdout)
	case "stop":
		return syscall.Kill(1, syscall.SIGTERM)
	default:
		return fmt.Errorf("unknown command %q: want ready, order, journey, load, stop or self", args[0])
	}
}
