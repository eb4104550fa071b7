package mq

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/testenv"
)

// busUnderTest is one Bus implementation with what the contract needs to
// look at: its dead-letter queues, and queue names unique to this test.
type busUnderTest struct {
	Bus
	deadLetters func(ctx context.Context, queue string) ([]events.Envelope, error)
	queue       func(name string) string
}

// testOptions keep retries short so the suite runs in seconds.
func testOptions() Options {
	return Options{Prefetch: 4, MaxAttempts: 3, RetryDelay: 5 * time.Millisecond, MaxRetryDelay: 40 * time.Millisecond, ShutdownGrace: 5 * time.Second}
}

// eachBus runs fn against the in-process bus and against RabbitMQ: both
// implementations are held to the same behaviour.
func eachBus(t *testing.T, fn func(t *testing.T, b busUnderTest)) {
	t.Run("memory", func(t *testing.T) {
		t.Parallel()
		b := NewMemory(testOptions())
		t.Cleanup(func() { _ = b.Close() })
		fn(t, busUnderTest{Bus: b, deadLetters: b.DeadLetters, queue: func(n string) string { return n }})
	})
	t.Run("rabbitmq", func(t *testing.T) {
		t.Parallel()
		opts := testOptions()
		b, queue := newTestRabbit(t, &opts)
		fn(t, busUnderTest{Bus: b, deadLetters: b.DeadLetters, queue: queue})
	})
}

// newTestRabbit connects a bus to the local broker on an exchange of its
// own; queue names a queue unique to the test, and everything is deleted
// when the test ends. opts is updated with the exchange and connection name.
func newTestRabbit(t *testing.T, opts *Options) (*Rabbit, func(string) string) {
	t.Helper()
	url := testenv.RabbitURL(t)
	suffix := testenv.RandomSuffix()
	opts.Exchange = "test.events." + suffix
	opts.ConnectionName = "mq-test-" + suffix
	b, err := NewRabbit(Config{URL: platform.Secret(url)}, *opts)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var queues []string
	testenv.DeleteRabbitObjects(t, url, []string{opts.Exchange, opts.Exchange + ".dlx"}, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return queues
	})
	t.Cleanup(func() { _ = b.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.WaitConnected(ctx); err != nil {
		t.Fatalf("connecting to RabbitMQ: %v", err)
	}
	return b, func(name string) string {
		q := "test." + name + "." + suffix
		mu.Lock()
		queues = append(queues, q, deadLetterQueue(q))
		mu.Unlock()
		return q
	}
}

// received records what a handler saw, by event id.
type received struct {
	mu    sync.Mutex
	count map[string]int
}

func newReceived() *received { return &received{count: map[string]int{}} }

// handler records each delivery, then returns what fail says (nil: ack).
func (r *received) handler(fail func(e events.Envelope, delivery int) error) Handler {
	return func(_ context.Context, e events.Envelope) error {
		r.mu.Lock()
		r.count[e.ID]++
		n := r.count[e.ID]
		r.mu.Unlock()
		if fail != nil {
			return fail(e, n)
		}
		return nil
	}
}

func (r *received) times(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.count[id]
}

func (r *received) total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.count {
		n += c
	}
	return n
}

// eventually polls cond until it holds, failing the test after a deadline
// that only a broken bus could reach.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func newEvent(t *testing.T, eventType string, n int) events.Envelope {
	t.Helper()
	e, err := events.New("/test", eventType, map[string]int{"n": n})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func publish(t *testing.T, b Bus, e events.Envelope) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.Publish(ctx, e); err != nil {
		t.Fatalf("publishing %s: %v", e.Type, err)
	}
}

func subscribe(t *testing.T, b Bus, sub Subscription) {
	t.Helper()
	if err := b.Subscribe(context.Background(), sub); err != nil {
		t.Fatalf("subscribing %s: %v", sub.Queue, err)
	}
}

func TestBusRoutesEachTypeToEveryQueueBoundToIt(t *testing.T) {
	eachBus(t, func(t *testing.T, b busUnderTest) {
		a, c, other := newReceived(), newReceived(), newReceived()
		subscribe(t, b, Subscription{Queue: b.queue("a"), Types: []string{events.OrderCreated}, Handler: a.handler(nil)})
		subscribe(t, b, Subscription{Queue: b.queue("c"), Types: []string{events.OrderCreated, events.StockReserved}, Handler: c.handler(nil)})
		subscribe(t, b, Subscription{Queue: b.queue("other"), Types: []string{events.StockReserved}, Handler: other.handler(nil)})

		created, reserved := newEvent(t, events.OrderCreated, 1), newEvent(t, events.StockReserved, 2)
		publish(t, b, created)
		publish(t, b, reserved)
		eventually(t, "every bound queue got its events", func() bool {
			return a.times(created.ID) == 1 && c.times(created.ID) == 1 && c.times(reserved.ID) == 1 && other.times(reserved.ID) == 1
		})
		if a.times(reserved.ID) != 0 || other.times(created.ID) != 0 {
			t.Fatalf("a queue got an event type it is not bound to")
		}
	})
}

func TestBusRefusesAnEventNoQueueIsBoundTo(t *testing.T) {
	eachBus(t, func(t *testing.T, b busUnderTest) {
		subscribe(t, b, Subscription{Queue: b.queue("bound"), Types: []string{events.OrderCreated}, Handler: newReceived().handler(nil)})
		err := b.Publish(context.Background(), newEvent(t, events.StockRejected, 1))
		if !errors.Is(err, ErrUnroutable) {
			t.Fatalf("publishing an event nobody is bound to: got %v, want ErrUnroutable", err)
		}
	})
}

func TestBusSubscribersOfOneQueueCompeteForItsEvents(t *testing.T) {
	eachBus(t, func(t *testing.T, b busUnderTest) {
		queue := b.queue("shared")
		seen := newReceived()
		for range 2 {
			subscribe(t, b, Subscription{Queue: queue, Types: []string{events.OrderCreated}, Handler: seen.handler(nil)})
		}
		var sent []events.Envelope
		for i := range 30 {
			e := newEvent(t, events.OrderCreated, i)
			sent = append(sent, e)
			publish(t, b, e)
		}
		eventually(t, "all events handled", func() bool { return seen.total() >= len(sent) })
		for _, e := range sent {
			if n := seen.times(e.ID); n != 1 {
				t.Fatalf("event %s handled %d times by the shared queue's subscribers, want once", e.ID, n)
			}
		}
	})
}

func TestBusPerReplicaSubscribersEachSeeEveryEvent(t *testing.T) {
	eachBus(t, func(t *testing.T, b busUnderTest) {
		prefix := b.queue("replica")
		one, two := newReceived(), newReceived()
		subscribe(t, b, Subscription{Queue: prefix, PerReplica: true, Types: []string{events.ProductUpserted}, Handler: one.handler(nil)})
		subscribe(t, b, Subscription{Queue: prefix, PerReplica: true, Types: []string{events.ProductUpserted}, Handler: two.handler(nil)})
		e := newEvent(t, events.ProductUpserted, 1)
		publish(t, b, e)
		eventually(t, "both replicas got the event", func() bool { return one.times(e.ID) == 1 && two.times(e.ID) == 1 })
	})
}

func TestBusRedeliversAnEventItsHandlerFailed(t *testing.T) {
	eachBus(t, func(t *testing.T, b busUnderTest) {
		queue := b.queue("flaky")
		seen := newReceived()
		subscribe(t, b, Subscription{Queue: queue, Types: []string{events.OrderCreated}, Handler: seen.handler(func(_ events.Envelope, n int) error {
			if n < 3 {
				return fmt.Errorf("failure number %d", n)
			}
			return nil
		})})
		e := newEvent(t, events.OrderCreated, 1)
		publish(t, b, e)
		eventually(t, "the third delivery", func() bool { return seen.times(e.ID) >= 3 })
		dead, err := b.deadLetters(context.Background(), queue)
		if err != nil {
			t.Fatal(err)
		}
		if len(dead) != 0 {
			t.Fatalf("an event that succeeded on its last allowed attempt was dead-lettered")
		}
	})
}

func TestBusDeadLettersAPoisonEventWithoutBlockingTheQueue(t *testing.T) {
	eachBus(t, func(t *testing.T, b busUnderTest) {
		queue := b.queue("poison")
		poison := newEvent(t, events.OrderCreated, 0)
		seen := newReceived()
		subscribe(t, b, Subscription{Queue: queue, Types: []string{events.OrderCreated}, Handler: seen.handler(func(e events.Envelope, _ int) error {
			if e.ID == poison.ID {
				return errors.New("this event always fails")
			}
			return nil
		})})
		publish(t, b, poison)
		var good []events.Envelope
		for i := range 5 {
			e := newEvent(t, events.OrderCreated, i+1)
			good = append(good, e)
			publish(t, b, e)
		}
		eventually(t, "the events behind the poison are handled", func() bool {
			for _, e := range good {
				if seen.times(e.ID) != 1 {
					return false
				}
			}
			return true
		})
		var dead []events.Envelope
		eventually(t, "the poison event is dead-lettered", func() bool {
			var err error
			dead, err = b.deadLetters(context.Background(), queue)
			return err == nil && len(dead) == 1
		})
		if dead[0].ID != poison.ID || string(dead[0].Data) != string(poison.Data) {
			t.Fatalf("dead letter %+v is not the poison event %+v", dead[0], poison)
		}
		if n := seen.times(poison.ID); n != testOptions().MaxAttempts {
			t.Fatalf("poison event delivered %d times, want MaxAttempts = %d", n, testOptions().MaxAttempts)
		}
	})
}

func TestBusDeadLettersAPermanentFailureAtOnce(t *testing.T) {
	eachBus(t, func(t *testing.T, b busUnderTest) {
		queue := b.queue("permanent")
		seen := newReceived()
		subscribe(t, b, Subscription{Queue: queue, Types: []string{events.OrderCreated}, Handler: seen.handler(func(events.Envelope, int) error {
			return Permanent(errors.New("payload cannot be decoded"))
		})})
		e := newEvent(t, events.OrderCreated, 1)
		publish(t, b, e)
		eventually(t, "the event is dead-lettered", func() bool {
			dead, err := b.deadLetters(context.Background(), queue)
			return err == nil && len(dead) == 1
		})
		if n := seen.times(e.ID); n != 1 {
			t.Fatalf("a permanently failing event was delivered %d times, want 1", n)
		}
	})
}

func TestBusRetriesWhileTheHandlersDependencyIsDown(t *testing.T) {
	eachBus(t, func(t *testing.T, b busUnderTest) {
		queue := b.queue("outage")
		seen := newReceived()
		outage := 2 * testOptions().MaxAttempts
		subscribe(t, b, Subscription{Queue: queue, Types: []string{events.OrderCreated}, Handler: seen.handler(func(_ events.Envelope, n int) error {
			if n <= outage {
				return fmt.Errorf("database: %w", platform.ErrUnavailable)
			}
			return nil
		})})
		e := newEvent(t, events.OrderCreated, 1)
		publish(t, b, e)
		eventually(t, "the handler succeeds after the outage", func() bool { return seen.times(e.ID) == outage+1 })
		dead, err := b.deadLetters(context.Background(), queue)
		if err != nil {
			t.Fatal(err)
		}
		if len(dead) != 0 {
			t.Fatalf("an event was dead-lettered because the handler's database was down")
		}
	})
}

func TestBusCloseLetsHandlersInFlightFinish(t *testing.T) {
	eachBus(t, func(t *testing.T, b busUnderTest) {
		started, release := make(chan struct{}), make(chan struct{})
		var finished sync.WaitGroup
		finished.Add(1)
		subscribe(t, b, Subscription{Queue: b.queue("slow"), Types: []string{events.OrderCreated}, Handler: func(ctx context.Context, _ events.Envelope) error {
			close(started)
			<-release
			finished.Done()
			return ctx.Err()
		}})
		publish(t, b, newEvent(t, events.OrderCreated, 1))
		<-started
		closed := make(chan struct{})
		go func() { _ = b.Close(); close(closed) }()
		select {
		case <-closed:
			t.Fatal("Close returned while a handler was still running")
		case <-time.After(50 * time.Millisecond):
		}
		close(release)
		<-closed
		finished.Wait()
		if err := b.Publish(context.Background(), newEvent(t, events.OrderCreated, 2)); !errors.Is(err, ErrClosed) {
			t.Fatalf("Publish after Close: got %v, want ErrClosed", err)
		}
	})
}
