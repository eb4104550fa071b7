// Package mq connects services to RabbitMQ: the durable topic exchange, the
// outbox relay that publishes with confirms, and consumers that ack only
// after their own transaction commits.
package mq

import (
	"errors"
	"fmt"
	"net/url"

	"github.com/shop-platform/shop/src/internal/platform"
)

// Config is how a service reaches RabbitMQ. Services embed it.
type Config struct {
	// URL is an AMQP URL; empty selects the in-process event bus.
	URL platform.Secret `env:"AMQP_URL"`
	// Password, when set, replaces the URL's password, so the chart can keep
	// the URL in plain values and the password in a Secret.
	Password platform.Secret `env:"AMQP_PASSWORD"`
	// Exchange is the topic exchange of the shop's events.
	Exchange string `env:"AMQP_EXCHANGE" envDefault:"shop.events"`
	// QueuePrefix is put before every queue name, so several shops (or
	// test runs) can share one broker without taking each other's events.
	QueuePrefix string `env:"AMQP_QUEUE_PREFIX"`
}

// Validate checks the URL parses without connecting.
func (c Config) Validate() error {
	if c.URL == "" {
		return nil
	}
	u, err := url.Parse(c.URL.Value())
	if err != nil || (u.Scheme != "amqp" && u.Scheme != "amqps") || u.Host == "" {
		return fmt.Errorf("AMQP_URL must be an amqp:// or amqps:// URL with a host")
	}
	return nil
}

// dialURL is the URL with Password, when set, in place of the URL's own.
func (c Config) dialURL() (string, error) {
	u, err := url.Parse(c.URL.Value())
	if err != nil {
		return "", errors.New("AMQP_URL is not a valid URL")
	}
	if c.Password != "" {
		user := "guest"
		if u.User != nil {
			user = u.User.Username()
		}
		u.User = url.UserPassword(user, c.Password.Value())
	}
	return u.String(), nil
}

// Open returns the bus cfg selects: RabbitMQ when AMQP_URL is set (connecting
// in the background), else an in-process bus.
func Open(cfg Config, opts Options) (Bus, error) {
	opts.Exchange, opts.QueuePrefix = cfg.Exchange, cfg.QueuePrefix
	opts.ConnectionName = cfg.QueuePrefix + opts.ConnectionName
	if cfg.URL == "" {
		return NewMemory(opts), nil
	}
	return NewRabbit(cfg, opts)
}
