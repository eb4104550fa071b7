package platform

import (
	"context"
	"sync"
	"time"
)

// requestCtx is a request's context: its id and its deadline. The timer
// that ends it at the deadline starts only when something first asks for
// Done or Err (a database query, a backend call, a derived context), so a
// request that waits on nothing (a cached page, the in-memory store) pays
// no timer: context.WithTimeout's was a fifth of the middleware's CPU.
// Deadline answers without starting it, as the deadline is known.
type requestCtx struct {
	context.Context // the parent, for Value
	id              string
	deadline        time.Time

	once   sync.Once
	inner  context.Context // the parent with the deadline, once started
	cancel context.CancelFunc
}

func newRequestCtx(parent context.Context, id string, timeout time.Duration) *requestCtx {
	return &requestCtx{Context: parent, id: id, deadline: time.Now().Add(timeout)}
}

func (c *requestCtx) Deadline() (time.Time, bool) { return c.deadline, true }

func (c *requestCtx) Done() <-chan struct{} { return c.started().Done() }

func (c *requestCtx) Err() error { return c.started().Err() }

func (c *requestCtx) Value(key any) any {
	if _, ok := key.(requestIDKey); ok {
		return c.id
	}
	return c.Context.Value(key)
}

func (c *requestCtx) started() context.Context {
	c.once.Do(func() { c.inner, c.cancel = context.WithDeadline(c.Context, c.deadline) })
	return c.inner
}

// end cancels the context when its request is over: whatever still holds
// it (a goroutine the handler started) sees context.Canceled. A context
// nobody waited on ends without ever starting a timer.
func (c *requestCtx) end() {
	c.once.Do(func() { c.inner, c.cancel = context.WithCancel(c.Context) })
	c.cancel()
}
