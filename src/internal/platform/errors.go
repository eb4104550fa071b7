package platform

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// ErrUnavailable marks failures of a dependency (database, broker, another
// service). Handlers answer them with 503 so clients know to retry.
var ErrUnavailable = errors.New("dependency unavailable")

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

// classify maps any error to the status, code and message the client gets.
// Unknown errors become a 500 whose message reveals nothing internal.
func classify(err error) (status int, code, message string) {
	var pe *Error
	var fe *fiber.Error
	switch {
	case errors.As(err, &pe):
		return pe.Status, pe.Code, pe.Message
	case errors.As(err, &fe):
		return fe.Code, codeForStatus(fe.Code), fiberMessage(fe)
	case errors.Is(err, ErrUnavailable):
		return http.StatusServiceUnavailable, "unavailable", "a backing service is unavailable, try again shortly"
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, "timeout", "the request took too long, try again shortly"
	default:
		return http.StatusInternalServerError, "internal", "internal error"
	}
}

func fiberMessage(fe *fiber.Error) string {
	switch fe.Code {
	case http.StatusRequestEntityTooLarge:
		return "request body is larger than the limit"
	case http.StatusNotFound:
		return "no such route: " + strings.TrimPrefix(fe.Message, "Cannot ")
	}
	return fe.Message
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
	status, code, message := classify(err)
	if status >= 500 {
		logger.ErrorContext(c.UserContext(), "request failed",
			"method", c.Method(), "path", c.Path(), "status", status, "error", err)
	}
	if status == http.StatusUnauthorized {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="shop"`)
	}
	return c.Status(status).JSON(ErrorBody{Error: ErrorDetail{Code: code, Message: message}})
}
