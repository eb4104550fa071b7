// Package proc runs the shop's programs as child processes for the tools
// that measure or break them (bench, drill): a start that notices when the
// process dies (with its output in a log file, if asked), a wait until it
// answers, its memory from /proc, and a stop that lets it drain. Output
// runs a command to its end (pg_ctl, rabbitmqctl, helm) with what it said
// in its error.
package proc

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/shop-platform/shop/src/internal/shopper"
)

// Process is a started command whose end is watched, so a wait for it to
// become ready, or to stop, cannot outlive it.
type Process struct {
	Cmd *exec.Cmd
	// grace is how long Wait gives the process to exit before it kills it.
	grace  time.Duration
	exited chan struct{}
	err    error
}

// Start starts cmd. Wait, and so Stop, gives it grace to exit before
// killing it; exited, if not nil, runs once it has ended (to close its
// log, say).
func Start(cmd *exec.Cmd, grace time.Duration, exited func()) (*Process, error) {
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", filepath.Base(cmd.Path), err)
	}
	p := &Process{Cmd: cmd, grace: grace, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		if exited != nil {
			exited()
		}
		close(p.exited)
	}()
	return p, nil
}

// StartLogged is Start with the process's output appended to the file
// logPath, which is closed once the process has ended.
func StartLogged(cmd *exec.Cmd, logPath string, grace time.Duration) (*Process, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	p, err := Start(cmd, grace, func() { _ = logf.Close() })
	if err != nil {
		_ = logf.Close()
	}
	return p, err
}

// Output runs cmd to its end and returns what it wrote, stdout and stderr
// together; when it fails, the error names the command and holds that
// output, which is what tells why.
func Output(cmd *exec.Cmd) (string, error) {
	out, err := cmd.CombinedOutput()
	if err != nil {
		line := strings.Join(append([]string{filepath.Base(cmd.Path)}, cmd.Args[1:]...), " ")
		return string(out), fmt.Errorf("%s: %w\n%s", line, err, out)
	}
	return string(out), nil
}

func (p *Process) name() string { return filepath.Base(p.Cmd.Path) }

// Exited is closed once the process has ended.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Await calls ready every pause until it succeeds, and fails with its
// last error when the process ends first, ctx ends, or limit has passed.
func (p *Process) Await(ctx context.Context, limit, pause time.Duration, ready func(context.Context) error) error {
	deadline := time.Now().Add(limit)
	for {
		err := ready(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-p.exited:
			return errors.Join(fmt.Errorf("%s exited before it was ready", p.name()), p.err, err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s was not ready within %s: %w", p.name(), limit, err)
		}
	}
}

// WaitReady waits, for up to limit each, until every one of urls answers
// a GET with 200, in turn.
func (p *Process) WaitReady(ctx context.Context, limit time.Duration, urls ...string) error {
	client := &http.Client{Timeout: 5 * time.Second}
	for _, u := range urls {
		get := shopper.Get(client, u)
		if err := p.Await(ctx, limit, 20*time.Millisecond, func(ctx context.Context) error { return get(ctx, 0) }); err != nil {
			return err
		}
	}
	return nil
}

// Stop sends SIGTERM and waits for the process to drain and exit (Wait).
// A process that had already ended is not an error.
func (p *Process) Stop() error {
	select {
	case <-p.exited:
		return nil
	default:
	}
	_ = p.Cmd.Process.Signal(syscall.SIGTERM)
	return p.Wait()
}

// Wait waits for the process to end and returns how it ended (nil for a
// clean exit); after its grace it kills it, and says so.
func (p *Process) Wait() error {
	select {
	case <-p.exited:
		return p.err
	case <-time.After(p.grace):
		_ = p.Cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("%s did not exit within %s of being asked to", p.name(), p.grace)
	}
}

// Memory reads one memory line of the process's /proc/<pid>/status (VmRSS,
// its resident memory, or VmHWM, its peak), in bytes.
func (p *Process) Memory(field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.Cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, p.Cmd.Process.Pid)
}
