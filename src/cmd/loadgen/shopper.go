package main

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// What the shopper reads off the storefront's pages: the same links,
// hidden fields and status a person would see (src/internal/frontend/templates).
var (
	categoryLink = regexp.MustCompile(`href="/category/([a-z0-9-]+)"`)
	productLink  = regexp.MustCompile(`href="/product/([a-z0-9][a-z0-9-]*)"`)
	csrfField    = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)
	nonceField   = regexp.MustCompile(`name="nonce" value="([^"]+)"`)
	cardName     = regexp.MustCompile(`<span class="name">([^<]+)</span>`)
	orderStatus  = regexp.MustCompile(`class="status status-([a-z]+)"`)
	addForm      = `action="/cart/add"`
)

// errStop ends a journey early: a step failed (and was recorded) or the
// run is over.
var errStop = errors.New("journey stopped")

// words is the pool of search words, filled from product names on the
// pages shoppers see, so searches hit what the shop sells.
type words struct {
	mu   sync.Mutex
	list []string
	seen map[string]bool
}

const maxWords = 500

func newWords() *words {
	// A few words to start with, before any page has been read.
	w := &words{seen: map[string]bool{}}
	for _, s := range []string{"lamp", "chair", "headphones", "kettle", "book", "shirt", "mug", "speaker"} {
		w.add(s)
	}
	return w
}

func (w *words) add(s string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.list) >= maxWords || w.seen[s] {
		return
	}
	w.seen[s] = true
	w.list = append(w.list, s)
}

// learn takes the words of the product names on a page. Search results
// mark the matched words (<mark>), which are dropped first, so a shopper
// who only searches learns new words too.
func (w *words) learn(page string) {
	page = strings.NewReplacer("<mark>", "", "</mark>", "").Replace(page)
	for _, m := range cardName.FindAllStringSubmatch(page, 20) {
		for f := range strings.FieldsSeq(strings.ToLower(html.UnescapeString(m[1]))) {
			f = strings.Trim(f, ".,-'\"()")
			if len(f) >= 4 && isLetters(f) {
				w.add(f)
			}
		}
	}
}

func (w *words) pick(rng *rand.Rand) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.list[rng.IntN(len(w.list))]
}

func isLetters(s string) bool {
	for _, r := range s {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	return true
}

// typo misspells a word as people do: two letters swapped, one dropped
// or one doubled.
func typo(rng *rand.Rand, w string) string {
	if len(w) < 5 {
		return w
	}
	i := 1 + rng.IntN(len(w)-2)
	switch rng.IntN(3) {
	case 0:
		return w[:i] + string(w[i+1]) + string(w[i]) + w[i+2:]
	case 1:
		return w[:i] + w[i+1:]
	default:
		return w[:i] + string(w[i]) + w[i:]
	}
}

// shopper is one simulated person: a cookie jar (cart, CSRF token) and
// the journeys they take.
type shopper struct {
	o      *options
	client *http.Client
	rec    *recorder
	words  *words
	rng    *rand.Rand
	// stop ends browsing when the run is over; hard also ends following
	// an order already placed.
	stop, hard context.Context
	email      func() string
}

func newShopper(o *options, transport http.RoundTripper, rec *recorder, w *words, seed uint64, stop, hard context.Context, email func() string) *shopper {
	jar, _ := cookiejar.New(nil)
	return &shopper{o: o, rec: rec, words: w, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		stop: stop, hard: hard, email: email,
		client: &http.Client{Transport: transport, Jar: jar, Timeout: o.timeout,
			// Redirects are steps of their own: the 303 after a POST says
			// where the shopper goes next (the cart, the order).
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// page is an answer the shopper reads.
type page struct {
	status   int
	body     string
	location string
}

// get fetches path as step, expecting 200.
func (s *shopper) get(ctx context.Context, step, path string) (page, error) {
	return s.do(ctx, step, http.MethodGet, path, nil, http.StatusOK)
}

// do sends one request and records it. A status other than want, a
// transport error or a timeout is an error of its kind; a request cut off
// because the run ended is not recorded at all.
func (s *shopper) do(ctx context.Context, step, method, path string, form url.Values, want int) (page, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, s.o.target+path, body)
	if err != nil {
		return page{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return s.send(ctx, step, req, want)
}

// send performs req as step and records it; see do.
func (s *shopper) send(ctx context.Context, step string, req *http.Request, want int) (page, error) {
	start := time.Now()
	resp, err := s.client.Do(req)
	var p page
	if err == nil {
		var b []byte
		b, err = io.ReadAll(io.LimitReader(resp.Body, 4<<20))
		_ = resp.Body.Close()
		p = page{status: resp.StatusCode, body: string(b), location: resp.Header.Get("Location")}
	}
	d := time.Since(start)
	if ctx.Err() != nil {
		return p, errStop
	}
	kind := ""
	switch {
	case err != nil:
		kind = errorKind(err)
	case p.status == http.StatusTooManyRequests:
		kind = "rate_limited"
	case p.status != want:
		kind = "status_" + strconv.Itoa(p.status)
	}
	s.rec.request(step, d, kind)
	if kind != "" {
		return p, errStop
	}
	return p, nil
}

// errorKind names a transport failure for the report.
func errorKind(err error) string {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case strings.Contains(err.Error(), "connection refused"):
		return "connection_refused"
	case strings.Contains(err.Error(), "reset") || strings.Contains(err.Error(), "EOF"):
		return "connection_reset"
	default:
		return "transport"
	}
}

// unexpected records a page that lacked what every such page has.
func (s *shopper) unexpected(step string) error {
	s.rec.failure("unexpected_page_" + step)
	return errStop
}

// think pauses like a person reading the page: exponentially distributed
// around the configured mean, at most four times it.
func (s *shopper) think() error {
	if s.o.think <= 0 {
		return s.stop.Err()
	}
	d := time.Duration(min(s.rng.ExpFloat64(), 4) * float64(s.o.think))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-s.stop.Done():
		return errStop
	case <-t.C:
		return nil
	}
}

func pickMatch(rng *rand.Rand, re *regexp.Regexp, body string) string {
	ms := re.FindAllStringSubmatch(body, -1)
	if len(ms) == 0 {
		return ""
	}
	return ms[rng.IntN(len(ms))][1]
}

// browse: the home page, a category, a few products.
func (s *shopper) browse() error {
	home, err := s.get(s.stop, "home", "/")
	if err != nil {
		return err
	}
	s.words.learn(home.body)
	cat := pickMatch(s.rng, categoryLink, home.body)
	if cat == "" {
		return s.unexpected("home")
	}
	if err := s.think(); err != nil {
		return err
	}
	list, err := s.get(s.stop, "category", "/category/"+cat)
	if err != nil {
		return err
	}
	s.words.learn(list.body)
	for range 1 + s.rng.IntN(3) {
		id := pickMatch(s.rng, productLink, list.body)
		if id == "" {
			return s.unexpected("category")
		}
		if err := s.think(); err != nil {
			return err
		}
		if _, err := s.get(s.stop, "product", "/product/"+id); err != nil {
			return err
		}
	}
	return nil
}

// search: a query (sometimes misspelt, sometimes two words), then one of
// the results.
func (s *shopper) search() error {
	q := s.words.pick(s.rng)
	if s.rng.IntN(4) == 0 {
		q += " " + s.words.pick(s.rng)
	}
	if s.rng.Float64() < s.o.typoRate {
		q = typo(s.rng, q)
	}
	res, err := s.get(s.stop, "search", "/search?q="+url.QueryEscape(q))
	if err != nil {
		return err
	}
	s.words.learn(res.body)
	id := pickMatch(s.rng, productLink, res.body)
	if id == "" {
		return nil // nothing found is an answer too
	}
	if err := s.think(); err != nil {
		return err
	}
	_, err = s.get(s.stop, "product", "/product/"+id)
	return err
}

// buy: find products, put one or two in the cart, check out, and follow
// the order until it is confirmed or rejected.
func (s *shopper) buy() error {
	list, err := s.get(s.stop, "home", "/")
	if err != nil {
		return err
	}
	if cat := pickMatch(s.rng, categoryLink, list.body); cat != "" && s.rng.IntN(2) == 0 {
		if err := s.think(); err != nil {
			return err
		}
		if list, err = s.get(s.stop, "category", "/category/"+cat); err != nil {
			return err
		}
	}
	added := 0
	for range 1 + s.rng.IntN(2) {
		id := pickMatch(s.rng, productLink, list.body)
		if id == "" {
			return s.unexpected("listing")
		}
		if err := s.think(); err != nil {
			return err
		}
		prod, err := s.get(s.stop, "product", "/product/"+id)
		if err != nil {
			return err
		}
		if !strings.Contains(prod.body, addForm) {
			continue // out of stock: no add button
		}
		csrf := csrfField.FindStringSubmatch(prod.body)
		if csrf == nil {
			return s.unexpected("product")
		}
		form := url.Values{"_csrf": {csrf[1]}, "product_id": {id}, "quantity": {strconv.Itoa(1 + s.rng.IntN(3))}}
		if _, err := s.do(s.stop, "cart_add", http.MethodPost, "/cart/add", form, http.StatusSeeOther); err != nil {
			return err
		}
		added++
	}
	if added == 0 {
		return nil
	}
	if err := s.think(); err != nil {
		return err
	}
	if _, err := s.get(s.stop, "cart", "/cart"); err != nil {
		return err
	}
	if err := s.think(); err != nil {
		return err
	}
	co, err := s.get(s.stop, "checkout_form", "/checkout")
	if err != nil {
		return err
	}
	csrf, nonce := csrfField.FindStringSubmatch(co.body), nonceField.FindStringSubmatch(co.body)
	if csrf == nil || nonce == nil {
		return s.unexpected("checkout_form")
	}
	if err := s.think(); err != nil {
		return err
	}
	form := url.Values{"_csrf": {csrf[1]}, "nonce": {nonce[1]}, "name": {"Load Shopper"}, "email": {s.email()},
		"line1": {"1 Test Street"}, "line2": {""}, "city": {"Testville"}, "postal_code": {"TE5 7ST"}, "country": {"GB"}}
	id, err := s.placeOrder(form)
	if err != nil {
		return err
	}
	s.rec.orderPlaced(id)
	return s.follow(id)
}

// orderPath is where the storefront sends a shopper after checkout.
var orderPath = regexp.MustCompile(`^/orders/([A-Za-z0-9_-]+)$`)

// placeOrder posts the checkout form; on a failure that may be passing (a
// 5xx, a timeout, a dropped connection) it posts the same form again, as
// a shopper pressing the button again would. The form's nonce makes the
// retry the same order, never a second one.
func (s *shopper) placeOrder(form url.Values) (string, error) {
	for attempt := 0; ; attempt++ {
		p, err := s.do(s.hard, "checkout", http.MethodPost, "/checkout", form, http.StatusSeeOther)
		if err == nil {
			m := orderPath.FindStringSubmatch(p.location)
			if m == nil {
				return "", s.unexpected("checkout")
			}
			return m[1], nil
		}
		retryable := p.status == 0 || p.status >= 500
		if !retryable || attempt >= s.o.checkoutRetries || s.stop.Err() != nil {
			return "", err
		}
		if sleep(s.stop, time.Duration(attempt+1)*time.Second) != nil {
			return "", errStop
		}
	}
}

// follow reloads the order page, as the page itself does while pending,
// until the order is confirmed or rejected or the order timeout passes.
func (s *shopper) follow(id string) error {
	deadline := time.Now().Add(s.o.orderTimeout)
	for {
		p, err := s.get(s.hard, "order_status", "/orders/"+id)
		if err == nil {
			m := orderStatus.FindStringSubmatch(p.body)
			if m == nil {
				return s.unexpected("order_status")
			}
			s.rec.orderStatus(id, m[1])
			if m[1] != "pending" {
				return nil
			}
		}
		if s.hard.Err() != nil {
			return errStop
		}
		if time.Now().After(deadline) {
			s.rec.failure("order_unsettled")
			return errStop
		}
		if sleep(s.hard, s.o.pollInterval) != nil {
			return errStop
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
