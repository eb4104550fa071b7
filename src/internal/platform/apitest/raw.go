// Package apitest holds the test helpers that hold a service to its
// contract: its OpenAPI document validated against every answer of its
// HTTP tests, property tests generated from that document, its routes
// checked against it, the AsyncAPI document of the events, and raw HTTP
// exchanges for requests no well-behaved client sends. Only tests import it.
package apitest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// RawResponse is an answer read off a raw connection.
type RawResponse struct {
	Status int
	Header http.Header
	Body   string
}

// Raw sends request, bytes as they are, on a new TCP connection to the
// server at base (http://host:port) and reads one answer. The request is
// written while the answer is read, so a server that answers and closes
// before reading all of it (a 431) is still heard.
func Raw(t testing.TB, base, request string) RawResponse {
	t.Helper()
	conn := dial(t, base, 10*time.Second)
	go func() { _, _ = io.WriteString(conn, request) }()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to %.60q: %v", request, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the answer to %.60q: %v", request, err)
	}
	return RawResponse{Status: resp.StatusCode, Header: resp.Header, Body: string(body)}
}

// dial opens a TCP connection to the server at base that the test closes
// when it ends, and that gives up after limit.
func dial(t testing.TB, base string, limit time.Duration) net.Conn {
	t.Helper()
	dialer := net.Dialer{Timeout: 5 * time.Second}
	conn, err := dialer.DialContext(context.Background(), "tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(limit))
	return conn
}

// secretToken is the Authorization a malformed request carries, so a test
// sees when an answer repeats the request.
const secretToken = "probe-secret-token-5f2c"

// MalformedRequests are requests no HTTP/1.1 parser can take, as the
// outside probe sent them, by what is wrong with them. Each carries an
// Authorization header an answer must never repeat.
var MalformedRequests = map[string]string{
	"a control byte in a header":    "GET /health HTTP/1.1\r\nHost: shop\r\nX-Probe: a\x01b\r\nAuthorization: Bearer " + secretToken + "\r\n\r\n",
	"a duplicate Content-Length":    "POST /health HTTP/1.1\r\nHost: shop\r\nAuthorization: Bearer " + secretToken + "\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
	"a header without a colon":      "GET /health HTTP/1.1\r\nHost: shop\r\nAuthorization: Bearer " + secretToken + "\r\nNoColonHere\r\n\r\n",
	"a space in the path":           "GET /health now HTTP/1.1\r\nHost: shop\r\nAuthorization: Bearer " + secretToken + "\r\n\r\n",
	"a request line without a path": "GET\r\nHost: shop\r\nAuthorization: Bearer " + secretToken + "\r\n\r\n",
	"a request line of garbage":     "\x16\x03\x01\x00\xa5 hello\r\nAuthorization: Bearer " + secretToken + "\r\n\r\n",
}

// UnknownMethods are requests whose method no service implements, with
// the status each must get: methods are case-sensitive, and an HTTP/2
// preface sent in the clear is not HTTP/1.1.
var UnknownMethods = map[string]struct {
	Request string
	Status  int
}{
	"an unknown method":   {"FOO /health HTTP/1.1\r\nHost: shop\r\n\r\n", http.StatusNotImplemented},
	"a lower-case method": {"get /health HTTP/1.1\r\nHost: shop\r\n\r\n", http.StatusNotImplemented},
	"an HTTP/2 preface":   {"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", http.StatusHTTPVersionNotSupported},
	"a method of WebDAV":  {"PROPFIND /health HTTP/1.1\r\nHost: shop\r\n\r\n", http.StatusNotImplemented},
}

// LeaksRequest reports what of the request an answer repeats: the
// Authorization header, or fasthttp's dump of the raw request.
func LeaksRequest(answer RawResponse) string {
	for _, leak := range []string{secretToken, "Buffer size", "contents:", "Invalid http method"} {
		if strings.Contains(answer.Body, leak) {
			return leak
		}
	}
	return ""
}

// ErrorShape checks that body is the services' one error shape,
// {"error": {"code": "...", "message": "..."}} and nothing more, and
// returns its code.
func ErrorShape(body string) (string, error) {
	var e map[string]map[string]any
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&e); err != nil || len(e) != 1 || len(e["error"]) != 2 {
		return "", fmt.Errorf("not the error shape: %.300s", body)
	}
	code, okCode := e["error"]["code"].(string)
	message, okMessage := e["error"]["message"].(string)
	if !okCode || !okMessage || code == "" || message == "" {
		return "", fmt.Errorf("the error shape needs a code and a message: %.300s", body)
	}
	return code, nil
}
