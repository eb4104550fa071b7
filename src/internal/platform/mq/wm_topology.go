package mq

import (
	"fmt"
	"strconv"

	"github.com/ThreeDotsLabs/watermill"
	wmamqp "github.com/ThreeDotsLabs/watermill-amqp/v3/pkg/amqp"
	"github.com/ThreeDotsLabs/watermill/message"
	amqp "github.com/rabbitmq/amqp091-go"
)

// topology declares one subscription's queues for Watermill's subscriber,
// whose own builder binds one queue to one routing key: the dead-letter
// queue, then the queue bound to every type of the subscription.
//
// A shared queue is a quorum queue: durable, replicated, and it counts
// deliveries (x-delivery-count), which is how replicas agree on an event's
// attempts. Its x-delivery-limit dead-letters an event that kills its
// consumer before it can even report a failure. A per-replica queue is
// exclusive and auto-deleted, which quorum queues cannot be, so it is a
// classic queue and its consumers count attempts themselves.
type topology struct {
	sub   Subscription
	queue string
	dlx   string
	opts  Options
}

func (t topology) BuildTopology(ch *amqp.Channel, _ wmamqp.BuildTopologyParams, _ wmamqp.Config, _ watermill.LoggerAdapter) error {
	if err := ch.ExchangeDeclare(t.opts.Exchange, amqp.ExchangeTopic, true, false, false, false, nil); err != nil {
		return fmt.Errorf("declaring exchange: %w", err)
	}
	if err := ch.ExchangeDeclare(t.dlx, amqp.ExchangeDirect, true, false, false, false, nil); err != nil {
		return fmt.Errorf("declaring dead-letter exchange: %w", err)
	}
	dlq := deadLetterQueue(t.sub.Queue)
	if _, err := ch.QueueDeclare(dlq, true, false, false, false, amqp.Table{"x-queue-type": "quorum"}); err != nil {
		return fmt.Errorf("declaring dead-letter queue %s: %w", dlq, err)
	}
	if err := ch.QueueBind(dlq, t.sub.Queue, t.dlx, false, nil); err != nil {
		return fmt.Errorf("binding dead-letter queue %s: %w", dlq, err)
	}
	args := amqp.Table{"x-dead-letter-exchange": t.dlx, "x-dead-letter-routing-key": t.sub.Queue}
	durable, exclusive := true, false
	if t.sub.PerReplica {
		durable, exclusive = false, true
	} else {
		args["x-queue-type"] = "quorum"
		args["x-delivery-limit"] = 4 * t.opts.MaxAttempts
	}
	if _, err := ch.QueueDeclare(t.queue, durable, !durable, exclusive, false, args); err != nil {
		return fmt.Errorf("declaring queue %s: %w", t.queue, err)
	}
	for _, typ := range t.sub.Types {
		if err := ch.QueueBind(t.queue, typ, t.opts.Exchange, false, nil); err != nil {
			return fmt.Errorf("binding %s to %s: %w", t.queue, typ, err)
		}
	}
	return nil
}

func (t topology) ExchangeDeclare(*amqp.Channel, string, wmamqp.Config) error { return nil }

// Metadata keys of the messages.
const (
	typeKey          = "type"
	deliveryCountKey = "x-delivery-count"
)

// eventMarshaler maps a message to the AMQP properties the shop's events
// have always had, and back without failing: Watermill's default marshaler
// requires every header to be a string, and a quorum queue's redelivery
// carries x-delivery-count, a number, which it would nack forever.
type eventMarshaler struct{}

func (eventMarshaler) Marshal(msg *message.Message) (amqp.Publishing, error) {
	return amqp.Publishing{
		ContentType:  "application/cloudevents+json",
		DeliveryMode: amqp.Persistent,
		MessageId:    msg.UUID,
		Type:         msg.Metadata.Get(typeKey),
		Body:         msg.Payload,
	}, nil
}

func (eventMarshaler) Unmarshal(d amqp.Delivery) (*message.Message, error) {
	msg := message.NewMessage(d.MessageId, d.Body)
	switch n := d.Headers[deliveryCountKey].(type) {
	case int64:
		msg.Metadata.Set(deliveryCountKey, strconv.FormatInt(n, 10))
	case int32:
		msg.Metadata.Set(deliveryCountKey, strconv.FormatInt(int64(n), 10))
	}
	return msg, nil
}
