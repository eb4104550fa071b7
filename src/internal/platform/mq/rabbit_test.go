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
