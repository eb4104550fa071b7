package platform

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// ErrUnavailable marks failures of a dependency (database, broker, another
// service). Handlers answer them with 503 so clients know to retry.
var ErrUnavailable = errors.New("dependency unavailable")

// Errors of requests no route can take, raised before any handler runs.
var (
	// ErrUnknownMethod is a request method the services do not implement:
	// methods are case-sensitive, so "get" is one of them.
	ErrUnknownMethod = errors.New("unknown request method")
	// ErrHTTP2Preface is the connection preface of HTTP/2 with prior
	// knowledge (h2c): the services speak HTTP/1.1.
	ErrHTTP2Preface = errors.New("HTTP/2 connection preface")
)

// Error is an error a client should see: an HTTP status, a stable
// machine-readable code and a message that says what is wrong.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// NewError builds a client-facing error.
func NewError(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// BadRequest is a 400 with the given code and message.
func BadRequest(code, format string, args ...any) *Error {
	return NewError(http.StatusBadRequest, code, format, args...)
}

// NotFound is a 404 with the given message.
func NotFound(format string, args ...any) *Error {
	return NewError(http.StatusNotFound, "not_found", format, args...)
}

// ErrorBody is the JSON shape of every error answer.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the inside of ErrorBody.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// ReadError is the client-facing error for a request the server could not
// read or route before any handler ran: fasthttp's parse errors, a body
// over BODY_LIMIT, headers beyond the read buffer, a client too slow to
// send, and the method errors above. The messages are fixed: fasthttp's
// own carry the raw request, headers and all.
func (b Base) ReadError(err error) *Error {
	var netErr net.Error
	switch {
	case errors.Is(err, ErrUnknownMethod):
		return NewError(http.StatusNotImplemented, codeForStatus(http.StatusNotImplemented),
			"the request method is not one this service implements; methods are case-sensitive (GET, not get)")
	case errors.Is(err, ErrHTTP2Preface):
		return NewError(http.StatusHTTPVersionNotSupported, codeForStatus(http.StatusHTTPVersionNotSupported),
			"this service speaks HTTP/1.1; HTTP/2 without TLS (prior knowledge) is not supported")
	case errors.As(err, new(*fasthttp.ErrSmallBuffer)):
		return NewError(http.StatusRequestHeaderFieldsTooLarge, codeForStatus(http.StatusRequestHeaderFieldsTooLarge),
			"the request line and headers are larger than the limit of %d bytes", readBufferSize)
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		return b.bodyTooLarge()
	case errors.As(err, &netErr) && netErr.Timeout(), strings.Contains(err.Error(), "timeout"):
		return NewError(http.StatusRequestTimeout, codeForStatus(http.StatusRequestTimeout),
			"the request was not received within %s", b.ReadTimeout)
	}
	return NewError(http.StatusBadRequest, codeForStatus(http.StatusBadRequest),
		"the request is not valid HTTP/1.1: check the request line, that every header is a name, a colon and "+
			"a value without control characters, and that the body has one Content-Length or is chunked")
}

func (b Base) bodyTooLarge() *Error {
	return NewError(http.StatusRequestEntityTooLarge, codeForStatus(http.StatusRequestEntityTooLarge),
		"the request body is larger than the limit of %d bytes", b.BodyLimit)
}

// readBufferSize is fasthttp's default read buffer, which bounds the
// request line and headers (Fiber's ReadBufferSize, left at its default).
const readBufferSize = 4096

// classify maps any error to the status, code and message the client gets.
// Unknown errors become a 500 whose message reveals nothing internal, and
// Fiber's own errors get fixed messages, never their text.
func classify(c *fiber.Ctx, err error) *Error {
	var pe *Error
	var fe *fiber.Error
	switch {
	case errors.As(err, &pe):
		return pe
	case errors.As(err, &fe):
		return fiberError(c, fe.Code)
	case errors.Is(err, ErrUnavailable):
		return NewError(http.StatusServiceUnavailable, "unavailable", "a backing service is unavailable, try again shortly")
	case errors.Is(err, context.DeadlineExceeded):
		return NewError(http.StatusServiceUnavailable, "timeout", "the request took too long, try again shortly")
	default:
		return NewError(http.StatusInternalServerError, "internal", "internal error")
	}
}

// fiberError words the errors Fiber's router raises.
func fiberError(c *fiber.Ctx, status int) *Error {
	code := codeForStatus(status)
	switch status {
	case http.StatusNotFound:
		return NewError(status, code, "no route matches this path; routes are case-sensitive and have no trailing slash")
	case http.StatusMethodNotAllowed:
		return NewError(status, code, "this path does not allow %s; it allows %s", c.Method(), c.GetRespHeader(fiber.HeaderAllow))
	}
	if text := http.StatusText(status); text != "" {
		return NewError(status, code, "%s", strings.ToLower(text))
	}
	return NewError(status, code, "the request failed")
}

func codeForStatus(status int) string {
	text := http.StatusText(status)
	if text == "" {
		return "error"
	}
	return strings.ReplaceAll(strings.ToLower(text), " ", "_")
}

// writeError answers c with the JSON error body for err and logs server-side
// failures with the request's context (and so its request id).
func writeError(c *fiber.Ctx, logger *slog.Logger, err error) error {
	e := classify(c, err)
	status := e.Status
	if status >= 500 && status != http.StatusNotImplemented && status != http.StatusHTTPVersionNotSupported {
		logger.ErrorContext(c.UserContext(), "request failed",
			"method", c.Method(), "path", c.Path(), "status", status, "error", err)
	}
	if status == http.StatusUnauthorized {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="shop"`)
	}
	return c.Status(status).JSON(ErrorBody{Error: ErrorDetail{Code: e.Code, Message: e.Message}})
}
