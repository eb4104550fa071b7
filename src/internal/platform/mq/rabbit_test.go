package mq

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/testenv"
)

func TestRabbitRecoversAfterTheBrokerDropsItsConnection(t *testing.T) {
	t.Parallel()
	opts := testOptions()
	b, queue := newTestRabbit(t, &opts)
	q := queue("recover")
	seen := newReceived()
	subscribe(t, b, Subscription{Queue: q, Types: []string{events.OrderCreated}, Handler: seen.handler(nil)})
	before := newEvent(t, events.OrderCreated, 1)
	publish(t, b, before)
	eventually(t, "the first event arrives", func() bool { return seen.times(before.ID) == 1 })

	if n := testenv.CloseRabbitConnections(t, opts.ConnectionName); n != 1 {
		t.Fatalf("closed %d broker connections named %s, want 1", n, opts.ConnectionName)
	}
	after := newEvent(t, events.OrderCreated, 2)
	eventually(t, "publishing works again", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		return b.Publish(ctx, after) == nil
	})
	eventually(t, "the consumer receives again", func() bool { return seen.times(after.ID) >= 1 })
}

// A consumer subscribed before the bus's first connection gets the first
// event published on it: publishing waits until that consumer's queue is
// declared. The composed shop's payment service lost an order.created
// published between the connection and its (slow, quorum) queue's
// declaration, and the order was never paid. Here a queue of the same name
// with other arguments, deleted half a second after the bus connects,
// keeps the consumer's declaration failing that long, while another
// consumer's queue takes the same event type.
func TestRabbitPublishesOnlyOnceTheQueuesSubscribedEarlierAreDeclared(t *testing.T) {
	t.Parallel()
	opts := testOptions()
	url, suffix := testenv.RabbitURL(t), testenv.RandomSuffix()
	opts.Exchange, opts.ConnectionName = "test.events."+suffix, "mq-test-"+suffix
	q, other := "test.early."+suffix, "test.other."+suffix
	testenv.DeleteRabbitObjects(t, url, []string{opts.Exchange, opts.Exchange + ".dlx"}, func() []string {
		return []string{q, deadLetterQueue(q), other, deadLetterQueue(other)}
	})
	conn, err := amqp.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ch.QueueDeclare(q, false, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	// Another service's queue takes the same events, so a publish is not
	// refused as unroutable while q is missing: it reaches other only.
	otherBus, err := NewRabbit(Config{URL: platform.Secret(url)}, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = otherBus.Close() })
	if err := otherBus.WaitConnected(t.Context()); err != nil {
		t.Fatal(err)
	}
	subscribe(t, otherBus, Subscription{Queue: other, Types: []string{events.OrderCreated}, Handler: newReceived().handler(nil)})
	b, err := NewRabbit(Config{URL: platform.Secret(url)}, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	seen := newReceived()
	subscribe(t, b, Subscription{Queue: q, Types: []string{events.OrderCreated}, Handler: seen.handler(nil)})
	if err := b.WaitConnected(t.Context()); err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(500*time.Millisecond, func() { _, _ = ch.QueueDelete(q, false, false, false) })
	first := newEvent(t, events.OrderCreated, 1)
	eventually(t, "the bus publishes", func() bool { return b.Publish(t.Context(), first) == nil })
	eventually(t, "the consumer subscribed before the connection receives the first event", func() bool { return seen.times(first.ID) == 1 })
}

func TestRabbitDeadLettersAMessageThatIsNotAnEvent(t *testing.T) {
	t.Parallel()
	opts := testOptions()
	opts.Logger = slog.New(slog.NewTextHandler(t.Output(), nil))
	b, queue := newTestRabbit(t, &opts)
	q := queue("garbage")
	seen := newReceived()
	subscribe(t, b, Subscription{Queue: q, Types: []string{events.OrderCreated}, Handler: seen.handler(nil)})

	conn, err := amqp.Dial(testenv.RabbitURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.PublishWithContext(context.Background(), opts.Exchange, events.OrderCreated, false, false,
		amqp.Publishing{MessageId: "garbage", Body: []byte("{not json")}); err != nil {
		t.Fatal(err)
	}
	good := newEvent(t, events.OrderCreated, 1)
	publish(t, b, good)
	eventually(t, "the event behind the garbage is handled", func() bool { return seen.times(good.ID) == 1 })
	eventually(t, "the garbage is in the dead-letter queue", func() bool {
		_, ok, err := ch.Get(deadLetterQueue(q), true)
		return err == nil && ok
	})
	if seen.total() != 1 {
		t.Fatalf("the handler saw %d deliveries, want only the valid event", seen.total())
	}
}

func TestRabbitPublishWithoutABrokerIsUnavailable(t *testing.T) {
	t.Parallel()
	b, err := NewRabbit(Config{URL: "amqp://guest:guest@127.0.0.1:1/"}, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = b.Close() }()
	err = b.Publish(context.Background(), newEvent(t, events.OrderCreated, 1))
	if !errors.Is(err, platform.ErrUnavailable) {
		t.Fatalf("publishing with no broker: got %v, want ErrUnavailable", err)
	}
}
