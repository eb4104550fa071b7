package frontend

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// findOrderData is what the "find my order" page shows.
type findOrderData struct {
	Reference string
	// Missed is true after a search that found nothing.
	Missed bool
	// Problem is what is wrong with the form as posted.
	Problem string
}

// referenceShape is a reference as a shopper may type it: the order
// service decides whether it exists.
var referenceShape = regexp.MustCompile(`^[A-Za-z0-9-]{4,20}$`)

// findMiss is the one answer to a search that finds nothing, whether the
// reference exists or the email differs: the page tells nobody which
// references exist.
const findMiss = "We could not find an order with that reference and email. Check both against your confirmation email and try again."

func (h *handlers) findOrderForm(c *fiber.Ctx) error {
	d := findOrderData{Missed: c.Query("missed") != "", Reference: c.Query("reference")}
	if !referenceShape.MatchString(d.Reference) {
		d.Reference = ""
	}
	switch c.Query("problem") {
	case "reference":
		d.Problem = "Enter the order reference from your confirmation email, like SHP-7K3M2Q."
	case "email":
		d.Problem = "Enter the email address you ordered with."
	}
	v := view{Title: "Find your order", Data: d, Description: "Find an order with its reference and the email it was placed with."}
	if d.Missed {
		v.Notice = findMiss
	}
	return h.renderView(c, http.StatusOK, "find-order", v)
}

// findOrder looks the order up and goes to its page, or back to the form
// (post/redirect/get) saying it found nothing. The route is rate-limited
// per shopper.
func (h *handlers) findOrder(c *fiber.Ctx) error {
	ref := strings.ToUpper(strings.TrimSpace(c.FormValue("reference")))
	email := strings.TrimSpace(c.FormValue("email"))
	back := func(q url.Values) error {
		if referenceShape.MatchString(ref) {
			q.Set("reference", ref)
		}
		return c.Redirect("/find-order?"+q.Encode(), http.StatusSeeOther)
	}
	switch {
	case ref == "":
		return back(url.Values{"problem": {"reference"}})
	case email == "":
		return back(url.Values{"problem": {"email"}})
	case !referenceShape.MatchString(ref) || len(email) > 254:
		return back(url.Values{"missed": {"1"}})
	}
	o, err := h.lookupOrder(c.UserContext(), ref, email)
	if isNotFound(err) {
		return back(url.Values{"missed": {"1"}})
	}
	if err != nil {
		return err
	}
	return c.Redirect("/orders/"+url.PathEscape(o.ID), http.StatusSeeOther)
}
