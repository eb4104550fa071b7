package order

import (
	"errors"
	"fmt"
	"net/mail"
	"time"

	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/mq"
	"github.com/shop-platform/shop/src/internal/platform/pg"
)

// Config is everything the order service reads from its environment.
type Config struct {
	platform.Base
	// Port is the HTTP port.
	Port int `env:"PORT" envDefault:"5003"`
	// Database selects PostgreSQL when DATABASE_URL is set, else the
	// embedded in-memory store.
	Database pg.Config
	// Broker selects RabbitMQ when AMQP_URL is set, else the in-process bus.
	Broker mq.Config
	// CatalogURL is where authoritative prices are looked up.
	CatalogURL string `env:"CATALOG_URL" envDefault:"http://localhost:5001"`
	// CatalogTimeout bounds each price lookup.
	CatalogTimeout time.Duration `env:"CATALOG_TIMEOUT" envDefault:"2s"`
	// PaymentURL is where cards are tokenised.
	PaymentURL string `env:"PAYMENT_URL" envDefault:"http://localhost:5005"`
	// PaymentTimeout bounds each tokenisation.
	PaymentTimeout time.Duration `env:"PAYMENT_TIMEOUT" envDefault:"5s"`
	// AdminToken guards POST /orders/{id}/ship; empty disables it.
	AdminToken platform.Secret `env:"ADMIN_TOKEN"`
	// Mail configures the shoppers' emails: a receipt when an order is
	// confirmed, a notice when it is rejected or cancelled.
	Mail MailConfig
}

// MailConfig is the SMTP server the emails go through; with SMTP_HOST unset
// no email is written or sent, unless Mailbox (the all-in-one runner's
// embedded mailbox) takes them.
type MailConfig struct {
	Host     string          `env:"SMTP_HOST"`
	Port     int             `env:"SMTP_PORT" envDefault:"587"`
	From     string          `env:"SMTP_FROM" envDefault:"Shop <shop@localhost>"`
	Username string          `env:"SMTP_USERNAME"`
	Password platform.Secret `env:"SMTP_PASSWORD"`
	// Timeout bounds one message's delivery to the server.
	Timeout time.Duration `env:"SMTP_TIMEOUT" envDefault:"10s"`
	// Mailbox receives the emails instead of a server when Host is unset.
	Mailbox *Mailbox `env:"-"`
}

// mailer is the configured Mailer, or nil when email is off.
func (c MailConfig) mailer() Mailer {
	switch {
	case c.Host != "":
		return SMTP{Host: c.Host, Port: c.Port, Username: c.Username, Password: c.Password, Timeout: c.Timeout}
	case c.Mailbox != nil:
		return c.Mailbox
	}
	return nil
}

// validate reports the mail settings that cannot work.
func (c MailConfig) validate() error {
	errs := []error{platform.ValidatePort("SMTP_PORT", c.Port)}
	if _, err := mail.ParseAddress(c.From); err != nil {
		errs = append(errs, fmt.Errorf("SMTP_FROM must be an address like Shop <shop@example.com>: %w", err))
	}
	if c.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("SMTP_TIMEOUT must be positive, got %s", c.Timeout))
	}
	if c.Password != "" && c.Username == "" {
		errs = append(errs, errors.New("SMTP_PASSWORD is set without SMTP_USERNAME"))
	}
	return errors.Join(errs...)
}

// Validate reports every setting that cannot work.
func (c Config) Validate() error {
	errs := []error{platform.ValidatePort("PORT", c.Port)}
	errs = append(errs, c.Base.Validate(), c.Database.Validate(), c.Broker.Validate(), platform.ValidateURL("CATALOG_URL", c.CatalogURL), platform.ValidateURL("PAYMENT_URL", c.PaymentURL), c.Mail.validate())
	if c.PaymentTimeout <= 0 {
		errs = append(errs, fmt.Errorf("PAYMENT_TIMEOUT must be positive, got %s", c.PaymentTimeout))
	}
	if c.CatalogTimeout <= 0 {
		errs = append(errs, fmt.Errorf("CATALOG_TIMEOUT must be positive, got %s", c.CatalogTimeout))
	}
	return errors.Join(errs...)
}
