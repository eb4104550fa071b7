// Package es connects services to Elasticsearch with the official client's
// request builders (esapi) over its transport (elastictransport), and turns
// every answer that is not a success into an error that says what
// Elasticsearch reported. Failures a client should retry (no connection, 5xx,
// 429) wrap platform.ErrUnavailable, so handlers answer them with 503.
//
// The client's root package is not used: it imports the typed API, some 850
// packages the shop never calls, which more than doubled the shop's import
// graph and its cold build.
package es

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/elastic/elastic-transport-go/v8/elastictransport"
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

// NewClient builds the Elasticsearch API without contacting the cluster.
// It keeps what the official client's constructor did that matters here:
// retries of 502, 503 and 504 answers and of failed connections, its
// User-Agent, and the check on first use that the server is a genuine
// Elasticsearch (see genuine). It leaves out the x-elastic-client-meta
// header, usage telemetry for Elastic that Elasticsearch does not act on,
// and the compatibility headers, which that client sent only when asked
// (EnableCompatibilityMode or ELASTIC_CLIENT_APIVERSIONING) and the shop
// never asked.
func NewClient(o Options) (*esapi.API, error) {
	u, err := url.Parse(strings.TrimRight(o.URL, "/"))
	if err != nil {
		return nil, fmt.Errorf("parsing the Elasticsearch URL: %w", err)
	}
	opts := []elastictransport.Option{
		elastictransport.WithURLs(u),
		elastictransport.WithBasicAuth(o.Username, o.Password.Value()),
		elastictransport.WithMaxRetries(2),
		elastictransport.WithTransport(&http.Transport{ResponseHeaderTimeout: o.Timeout, MaxIdleConnsPerHost: 32}),
		// The official client's User-Agent, so that cluster logs and
		// proxies see the same client as before.
		elastictransport.WithUserAgent(fmt.Sprintf("go-elasticsearch/%s (%s %s; Go %s)",
			esapi.Version, runtime.GOOS, runtime.GOARCH, strings.TrimPrefix(runtime.Version(), "go"))),
	}
	if o.CACertPath != "" {
		pem, err := os.ReadFile(o.CACertPath)
		if err != nil {
			return nil, fmt.Errorf("reading the Elasticsearch CA certificate: %w", err)
		}
		// The transport adds the CA to a copy of the http.Transport above.
		opts = append(opts, elastictransport.WithCACert(pem))
	}
	transport, err := elastictransport.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("configuring the Elasticsearch transport: %w", err)
	}
	return esapi.New(&genuine{next: transport}), nil
}

// genuine refuses a server that is not Elasticsearch, as the official
// client does: a successful answer without the X-Elastic-Product header,
// which Elasticsearch sends on every answer since 7.14, comes from something
// else at the cluster's address (another product, a proxy or an ingress
// answering for it), whose bodies the shop would misread as empty results.
// Check reports it as unavailable. The first genuine success is trusted for
// the client's lifetime, as the official client does, so the check costs one
// header lookup until then and an atomic load after. Error answers are not
// checked: they are reported whatever answered them.
type genuine struct {
	next     esapi.Transport
	verified atomic.Bool
}

// Perform implements esapi.Transport.
func (g *genuine) Perform(req *http.Request) (*http.Response, error) {
	res, err := g.next.Perform(req)
	if err != nil || g.verified.Load() || res.StatusCode < 200 || res.StatusCode > 299 {
		return res, err
	}
	if res.Header.Get("X-Elastic-Product") != "Elasticsearch" {
		_ = res.Body.Close()
		return nil, fmt.Errorf("the server at %s is not Elasticsearch: its answer lacks the header X-Elastic-Product: Elasticsearch", req.URL.Host)
	}
	g.verified.Store(true)
	return res, nil
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
