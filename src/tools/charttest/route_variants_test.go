//go:build charttest

package charttest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestRouteVariantsOnRenderedPolicies holds every route of every service to
// the access matrix, in every spelling a client can send: for each route of
// each service's Fiber app (GetRoutes of the app built as the service
// builds it), a sample path and its variants (case, trailing slash, double
// slashes, percent-encoded characters and slashes, dot segments, encoded
// dots, backslashes, a query, escapes through every prefix the policies
// allow), each caller of the matrix, and both mesh profiles. Envoy
// normalizes the path (istioNormalize) before the AuthorizationPolicies see
// it and forwards the normalized path, so the app is asked about that one
// (app.Test: a 404, or Fiber's 405, is not served) and names the route that serves it (a
// copy of its routing table with its routing settings). A request the
// policies allow and the app serves must reach a route the access matrix
// gives that caller: an allow row whose path the same route serves (HEAD
// as GET). Everything else is denied, so a public surface listing what it
// excludes (notPaths) fails here with the spellings it misses.
func TestRouteVariantsOnRenderedPolicies(t *testing.T) {
	_, renders := renderAll(t)
	normalize := meshPathNormalization(t)
	apps := serviceApps(t)
	rows := readAccessMatrix(t)
	for _, profile := range []string{"prod", "testdata/mesh-ambient"} {
		t.Run(profile, func(t *testing.T) {
			r := renders[profile]
			peers := matrixPeers(t, r)
			prefixes := allowedPrefixes(r)
			for _, svc := range Services {
				app := apps[svc]
				router := newRouteTable(t, app)
				intended := intendedRoutes(t, rows, svc, router)
				checked := 0
				for _, route := range router.routes {
					for _, raw := range pathVariants(t, route.Path, prefixes) {
						path, query, ok := normalize(raw)
						if !ok {
							continue
						}
						served := router.match(t, route.Method, path)
						if served == "" {
							// No handler runs: Fiber answers 404, or 405 when
							// the path has routes for other methods only.
							if status := appStatus(t, app, route.Method, path+query); status != http.StatusNotFound && status != http.StatusMethodNotAllowed {
								t.Fatalf("%s %s %s answers %d outside its routing table", svc, route.Method, path+query, status)
							}
							continue
						}
						for caller := range peers {
							checked++
							row := matrixRow{caller: caller, service: svc, method: route.Method, path: path}
							allowed, why := istioAllows(t, r, peers, row, profile != "prod")
							if allowed && !intended[caller+" "+route.Method+" "+served] {
								t.Errorf("%s -> %s %s %q (Envoy forwards %q): the policies allow it (%s) and route %s serves it, which access-matrix.txt does not give %s",
									caller, svc, route.Method, raw, path, why, served, caller)
							}
						}
					}
				}
				t.Logf("%s: %d routes, %d served (caller, variant) pairs checked", svc, len(router.routes), checked)
			}
		})
	}
}

// TestPublicSurfaceIsAnAllowList proves the chart refuses a public surface
// that lists what the public may not reach, or admits every path: the
// storefront's public entries name their paths, exact or `prefix*`.
func TestPublicSurfaceIsAnAllowList(t *testing.T) {
	requireRefused(t, []refusal{
		{"notPaths", "access:\n  frontend:\n    public:\n      - methods: [GET]\n        notPaths: [/metrics]\n", "notPaths"},
		{"no paths", "access:\n  frontend:\n    public:\n      - methods: [GET]\n", "paths"},
		{"every path", "access:\n  frontend:\n    public:\n      - methods: [GET]\n        paths: [\"*\"]\n", "paths"},
	})
}

// intendedRoutes maps "caller METHOD route" to true for each allow row of
// the access matrix for svc (HEAD is GET without a body: a GET row grants
// it too). A row whose path no route serves fails the test: it would grant
// nothing.
func intendedRoutes(t *testing.T, rows []matrixRow, svc string, router *routeTable) map[string]bool {
	t.Helper()
	intended := map[string]bool{}
	for _, row := range rows {
		if row.service != svc || !row.l7 {
			continue
		}
		route := router.match(t, row.method, row.path)
		if route == "" {
			t.Errorf("access-matrix.txt allows %s %s %s %s, which no route of %s serves", row.caller, svc, row.method, row.path, svc)
			continue
		}
		intended[row.caller+" "+row.method+" "+route] = true
		if row.method == http.MethodGet {
			intended[row.caller+" "+http.MethodHead+" "+route] = true
		}
	}
	return intended
}

// routeTable is a service app's routing table, asked which route serves a
// path: a Fiber app with the same routes, in the same order, and the same
// routing settings (strict, case-sensitive, unescaped), whose handlers
// answer with the route's path. Fiber's own router decides, not a copy of
// its rules.
type routeTable struct {
	routes []fiber.Route
	probe  *fiber.App
}

// routeHeader carries the serving route's path in the probe's answers.
const routeHeader = "X-Route"

func newRouteTable(t *testing.T, app *fiber.App) *routeTable {
	t.Helper()
	cfg := app.Config()
	rt := &routeTable{probe: fiber.New(fiber.Config{
		StrictRouting: cfg.StrictRouting, CaseSensitive: cfg.CaseSensitive, UnescapePath: cfg.UnescapePath,
		DisableStartupMessage: true,
	})}
	seen := map[string]bool{}
	for _, r := range app.GetRoutes(true) {
		if seen[r.Method+" "+r.Path] {
			continue
		}
		seen[r.Method+" "+r.Path] = true
		pattern := r.Path
		rt.probe.Add(r.Method, r.Path, func(c *fiber.Ctx) error {
			c.Set(routeHeader, pattern)
			return c.SendStatus(http.StatusNoContent)
		})
		rt.routes = append(rt.routes, r)
	}
	if len(rt.routes) == 0 {
		t.Fatal("the app has no routes")
	}
	return rt
}

// match is the path of the route that serves method and path, or "".
func (rt *routeTable) match(t *testing.T, method, path string) string {
	t.Helper()
	resp := send(t, rt.probe, method, path)
	return resp.Header.Get(routeHeader)
}

// appStatus is the status the app answers method and path (with its query) with.
func appStatus(t *testing.T, app *fiber.App, method, target string) int {
	t.Helper()
	return send(t, app, method, target).StatusCode
}

// send makes the request with target as the request line's target, byte
// for byte, through app.Test (the app's own HTTP server).
func send(t *testing.T, app *fiber.App, method, target string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, "/", nil)
	req.RequestURI = target
	resp, err := app.Test(req, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	_ = resp.Body.Close()
	return resp
}

// samplePath is a path a route pattern serves: each parameter a plain
// segment, a wildcard a file name.
func samplePath(t *testing.T, pattern string) string {
	t.Helper()
	segs := strings.Split(pattern, "/")
	for i, s := range segs {
		switch {
		case s == "*":
			segs[i] = "style.css"
		case strings.HasPrefix(s, ":") && !strings.ContainsAny(s[1:], ":*+?."):
			segs[i] = "x1"
		case strings.ContainsAny(s, ":*+?"):
			t.Fatalf("route %s: the sample path knows plain parameters and a trailing wildcard only", pattern)
		}
	}
	return strings.Join(segs, "/")
}

// pathVariants are the spellings of a route's sample path a client may send
// hoping one reaches it past a policy, or reaches something else: case,
// trailing and doubled slashes, percent-encoded characters (unreserved ones,
// which Envoy decodes, and slashes, which it keeps), dot segments plain and
// encoded, backslashes, a query, a path parameter, and escapes out of every
// prefix a policy allows.
func pathVariants(t *testing.T, pattern string, prefixes []string) []string {
	t.Helper()
	s := samplePath(t, pattern)
	inner := strings.TrimPrefix(s, "/")
	variants := []string{
		s,
		strings.ToUpper(s),
		titleSegments(s),
		s + "/",
		"/" + s,
		s + "//",
		"/" + strings.ReplaceAll(inner, "/", "//"),
		"/" + strings.ReplaceAll(inner, "/", "/./"),
		"/" + strings.ReplaceAll(inner, "/", "%2F"),
		"/" + strings.ReplaceAll(inner, "/", "%2f"),
		"/" + strings.ReplaceAll(inner, "/", `\`),
		s + "%2F",
		s + "?q=1",
		s + ";x=1",
		s + "/.",
		s + "/..",
		s + "/%2e",
		"/." + s,
		"/x1/.." + s,
		"/%2e" + s,
		"/x1/%2E%2E" + s,
		escapeFirst(s, "%%%02X"),
		escapeFirst(s, "%%%02x"),
		escapeAll(s),
	}
	for _, p := range prefixes {
		prefix := strings.TrimSuffix(p, "*")
		variants = append(variants, prefix+"../"+inner, prefix+"..%2F"+inner, prefix+"%2E%2E/"+inner, prefix+"%2e%2e%2f"+inner)
	}
	slices.Sort(variants)
	return slices.Compact(variants)
}

// titleSegments upper-cases the first letter of each segment.
func titleSegments(s string) string {
	segs := strings.Split(s, "/")
	for i, seg := range segs {
		if seg != "" {
			segs[i] = strings.ToUpper(seg[:1]) + seg[1:]
		}
	}
	return strings.Join(segs, "/")
}

// escapeFirst percent-encodes the first character of each segment.
func escapeFirst(s, format string) string {
	segs := strings.Split(s, "/")
	for i, seg := range segs {
		if seg != "" {
			segs[i] = fmt.Sprintf(format, seg[0]) + seg[1:]
		}
	}
	return strings.Join(segs, "/")
}

// escapeAll percent-encodes every character but the slashes.
func escapeAll(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '/' {
			b.WriteByte('/')
			continue
		}
		fmt.Fprintf(&b, "%%%02X", s[i])
	}
	return b.String()
}

// allowedPrefixes are the `prefix*` paths of every rendered AuthorizationPolicy.
func allowedPrefixes(r *Rendered) []string {
	var out []string
	for _, ap := range r.Of("AuthorizationPolicy") {
		rules, _, _ := unstructured.NestedSlice(ap.Object, "spec", "rules")
		for _, rule := range rules {
			to, _, _ := unstructured.NestedSlice(rule.(map[string]any), "to")
			for _, o := range to {
				paths, _, _ := unstructured.NestedStringSlice(o.(map[string]any), "operation", "paths")
				for _, p := range paths {
					if strings.HasSuffix(p, "*") && p != "*" {
						out = append(out, p)
					}
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// meshPathNormalization is the path normalization of the mesh istio/
// installs: meshConfig.pathNormalization of istio/values-istiod.yaml, whose
// default is BASE (Istio's "Authorization Policy Normalization" reference).
// The test knows BASE only, and refuses another setting rather than
// evaluate the policies on paths Envoy would not produce.
func meshPathNormalization(t *testing.T) func(string) (path, query string, ok bool) {
	t.Helper()
	mode, _, _ := unstructured.NestedString(istiodValues(t), "meshConfig", "pathNormalization", "normalization")
	if mode != "" && mode != "DEFAULT" && mode != "BASE" {
		t.Fatalf("istio/values-istiod.yaml sets pathNormalization %s: teach istioNormalize it", mode)
	}
	return istioNormalize
}

// istioNormalize is Istio's BASE path normalization (Envoy's normalize_path,
// istio.io/latest/docs/reference/config/security/normalization): a %00 is
// refused (400); a percent-encoded unreserved character (%2D, %2E, %30-%39,
// %41-%5A, %5F, %61-%7A, %7E, either case) is decoded once, other escapes
// (%2F and %5C included) are kept; backslashes become slashes; dot segments
// are removed as RFC 3986 section 5.2.4 says; slashes are not merged. The
// policies compare the path without its query; the app gets both.
func istioNormalize(raw string) (path, query string, ok bool) {
	path, query = raw, ""
	if i := strings.IndexByte(raw, '?'); i >= 0 {
		path, query = raw[:i], raw[i:]
	}
	if strings.Contains(strings.ToLower(path), "%00") {
		return "", "", false
	}
	var b strings.Builder
	for i := 0; i < len(path); i++ {
		if path[i] == '%' && i+2 < len(path) {
			if c, ok := unhex(path[i+1], path[i+2]); ok && isUnreserved(c) {
				b.WriteByte(c)
				i += 2
				continue
			}
		}
		if path[i] == '\\' {
			b.WriteByte('/')
			continue
		}
		b.WriteByte(path[i])
	}
	return removeDotSegments(b.String()), query, true
}

// removeDotSegments is RFC 3986 section 5.2.4.
func removeDotSegments(in string) string {
	var out []string
	for in != "" {
		switch {
		case strings.HasPrefix(in, "../"):
			in = in[3:]
		case strings.HasPrefix(in, "./"):
			in = in[2:]
		case strings.HasPrefix(in, "/./"):
			in = in[2:]
		case in == "/.":
			in = "/"
		case strings.HasPrefix(in, "/../"):
			in = in[3:]
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		case in == "/..":
			in = "/"
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		case in == "." || in == "..":
			in = ""
		default:
			start := 0
			if in[0] == '/' {
				start = 1
			}
			end := strings.IndexByte(in[start:], '/')
			if end < 0 {
				end = len(in)
			} else {
				end += start
			}
			out = append(out, in[:end])
			in = in[end:]
		}
	}
	return strings.Join(out, "")
}

func unhex(hi, lo byte) (byte, bool) {
	h, ok1 := hexValue(hi)
	l, ok2 := hexValue(lo)
	return h<<4 | l, ok1 && ok2
}

func hexValue(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// isUnreserved is RFC 3986's unreserved set: the characters Envoy decodes.
func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~", c) >= 0
}

// TestIstioNormalizeMatchesIstioReference holds istioNormalize to the
// examples of Istio's normalization reference for the BASE option.
func TestIstioNormalizeMatchesIstioReference(t *testing.T) {
	cases := map[string]string{
		"/some%2fdata/%61%62%63":    "/some%2fdata/abc", // %2f needs DECODE_AND_MERGE_SLASHES
		`/some\data`:                "/some/data",
		"/some//data///abc":         "/some//data///abc", // merging needs MERGE_SLASHES
		"/public/./data/abc/../xyz": "/public/data/xyz",
		"/a/%2E%2E/b":               "/b",
		"/a/%2d%5F%7e":              "/a/-_~",
		"/foo?v=1":                  "/foo",
	}
	for in, want := range cases {
		if got, _, ok := istioNormalize(in); !ok || got != want {
			t.Errorf("istioNormalize(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	if _, _, ok := istioNormalize("/a%00b"); ok {
		t.Error("a path with %00 is refused with 400, not normalized")
	}
}
