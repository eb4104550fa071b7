// Package es connects services to Elasticsearch through the official client
// and turns every answer that is not a success into an error that says what
// Elasticsearch reported. Failures a client should retry (no connection, 5xx,
// 429) wrap platform.ErrUnavailable, so handlers answer them with 503.
package es

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/shop-platform/shop/src/internal/platform"
)

// Options is how to reach the cluster.
type Options struct {
	URL      string
	Username string
	Password platform.Secret
	// CACertPath is a PEM file of the CA that signed the cluster's
	// certificate; empty trusts the system roots.
	CACertPath string
	// Timeout bounds each HTTP round trip.
	Timeout time.Duration
}

// NewClient builds a client without contacting the cluster. The client
// checks on first use that the server is a genuine Elasticsearch.
func NewClient(o Options) (*elasticsearch.Client, error) {
	cfg := elasticsearch.Config{
		Addresses:  []string{o.URL},
		Username:   o.Username,
		Password:   o.Password.Value(),
		MaxRetries: 2,
		Transport:  &http.Transport{ResponseHeaderTimeout: o.Timeout, MaxIdleConnsPerHost: 32},
	}
	if o.CACertPath != "" {
		pem, err := os.ReadFile(o.CACertPath)
		if err != nil {
			return nil, fmt.Errorf("reading the Elasticsearch CA certificate: %w", err)
		}
		// The client adds the CA to a copy of the transport above.
		cfg.CACert = pem
	}
	client, err := elasticsearch.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("configuring the Elasticsearch client: %w", err)
	}
	return client, nil
}

// ResponseError is an answer of Elasticsearch with an error status.
type ResponseError struct {
	Op     string // what was attempted, e.g. "searching products"
	Status int
	Type   string // Elasticsearch's error type, e.g. index_not_found_exception
	Reason string
}

func (e *ResponseError) Error() string {
	if e.Type == "" {
		return fmt.Sprintf("%s: Elasticsearch answered %d", e.Op, e.Status)
	}
	return fmt.Sprintf("%s: Elasticsearch answered %d %s: %s", e.Op, e.Status, e.Type, e.Reason)
}

// Unwrap makes overloaded and failing clusters count as unavailable.
func (e *ResponseError) Unwrap() error {
	if e.Status >= 500 || e.Status == http.StatusTooManyRequests {
		return platform.ErrUnavailable
	}
	return nil
}

// IsStatus reports whether err is an Elasticsearch answer with that status.
func IsStatus(err error, status int) bool {
	var re *ResponseError
	return errors.As(err, &re) && re.Status == status
}

// IsType reports whether err is an Elasticsearch error of that type.
func IsType(err error, errType string) bool {
	var re *ResponseError
	return errors.As(err, &re) && re.Type == errType
}

// Check turns the result of an API call into an error, and decodes a
// successful JSON answer into out (nil discards it). It always closes the
// body. A transport failure, including a server that is not Elasticsearch,
// wraps platform.ErrUnavailable; an error status is a *ResponseError.
func Check(op string, res *esapi.Response, err error, out any) error {
	if err != nil {
		return fmt.Errorf("%s: Elasticsearch is unreachable: %w: %w", op, err, platform.ErrUnavailable)
	}
	defer func() { _ = res.Body.Close() }()
	if res.IsError() {
		return decodeError(op, res)
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, res.Body)
		return nil
	}
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		return fmt.Errorf("%s: decoding the Elasticsearch answer: %w", op, err)
	}
	return nil
}

func decodeError(op string, res *esapi.Response) error {
	re := &ResponseError{Op: op, Status: res.StatusCode}
	body, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	var e struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || len(e.Error) == 0 {
		return re
	}
	var detail struct {
		Type   string `json:"type"`
		Reason string `json:"reason"`
	}
	if json.Unmarshal(e.Error, &detail) == nil {
		re.Type, re.Reason = detail.Type, detail.Reason
	} else {
		// Some APIs answer "error" as a plain string.
		_ = json.Unmarshal(e.Error, &re.Reason)
	}
	return re
}
