package order

import (
	"math"
	"math/big"
	"slices"
)

// Shipping methods a shopper can choose.
const (
	Standard = "standard"
	Express  = "express"
)

// Methods lists the shipping methods in the order they are offered.
var Methods = []string{Standard, Express}

// zone is a group of destinations that share shipping rates.
type zone struct {
	name string
	// rates by method.
	rates map[string]rate
	// freeAboveCents: a standard delivery is free when the subtotal is at
	// least this much. Express is always charged: it is the premium choice.
	freeAboveCents int64
}

// rate is the price and delivery estimate of one method in one zone.
type rate struct {
	cents            int64
	minDays, maxDays int
}

// The shop ships from the United States. Rates are amounts in the order's
// currency (every catalog price is in one currency per order): a shop that
// sells in several currencies would keep a table per currency.
var (
	domestic = zone{name: "domestic", freeAboveCents: 5000, rates: map[string]rate{
		Standard: {cents: 499, minDays: 3, maxDays: 5}, Express: {cents: 1499, minDays: 1, maxDays: 2}}}
	europe = zone{name: "europe", freeAboveCents: 10000, rates: map[string]rate{
		Standard: {cents: 999, minDays: 5, maxDays: 8}, Express: {cents: 2499, minDays: 2, maxDays: 4}}}
	world = zone{name: "world", freeAboveCents: 15000, rates: map[string]rate{
		Standard: {cents: 1499, minDays: 7, maxDays: 14}, Express: {cents: 3499, minDays: 3, maxDays: 6}}}
)

// vatBasisPoints is the standard VAT (or GST) rate of each country where
// the shop charges it, in hundredths of a percent. Prices include it, so
// it is a share of the total, never added on top; a country not listed
// (the United States among them: sales tax is not collected) shows none.
// Canada's is the federal GST only. The European countries are the
// European zone for shipping.
var vatBasisPoints = map[string]int64{
	// The European Union (standard rates, 2026).
	"AT": 2000, "BE": 2100, "BG": 2000, "HR": 2500, "CY": 1900, "CZ": 2100, "DK": 2500,
	"EE": 2400, "FI": 2550, "FR": 2000, "DE": 1900, "GR": 2400, "HU": 2700, "IE": 2300,
	"IT": 2200, "LV": 2100, "LT": 2100, "LU": 1700, "MT": 1800, "NL": 2100, "PL": 2300,
	"PT": 2300, "RO": 2100, "SK": 2300, "SI": 2200, "ES": 2100, "SE": 2500,
	// The rest of Europe the shop delivers to.
	"GB": 2000, "NO": 2500, "CH": 810, "IS": 2400, "LI": 810,
	// Outside Europe.
	"AU": 1000, "NZ": 1500, "JP": 1000, "CA": 500,
}

// outsideEurope are the countries with a VAT entry that are not in the
// European shipping zone.
var outsideEurope = []string{"AU", "NZ", "JP", "CA"}

// zoneOf is the shipping zone of a destination country.
func zoneOf(country string) zone {
	_, vat := vatBasisPoints[country]
	switch {
	case country == "US":
		return domestic
	case vat && !slices.Contains(outsideEurope, country):
		return europe
	}
	return world
}

// Shipping is the delivery of an order: the method chosen, its price and
// estimate, and the carrier's tracking reference once it is confirmed.
type Shipping struct {
	Method          string `json:"method"`
	Cents           int64  `json:"cents"`
	EstimateMinDays int    `json:"estimate_min_days"`
	EstimateMaxDays int    `json:"estimate_max_days"`
	Tracking        string `json:"tracking"`
}

// Totals are an order's amounts, in minor units of its currency. Total is
// what the shopper pays: the subtotal of the lines plus shipping. Tax is
// the VAT included in the total, shown, never added.
type Totals struct {
	SubtotalCents int64
	ShippingCents int64
	TaxCents      int64
	TotalCents    int64
	Shipping      Shipping
}

// quote prices the delivery of a subtotal's worth of goods to country by
// method (a known method: the request was validated). ok is false when the
// total would overflow.
func quote(subtotal int64, country, method string) (Totals, bool) {
	z := zoneOf(country)
	r := z.rates[method]
	ship := r.cents
	if method == Standard && subtotal >= z.freeAboveCents {
		ship = 0
	}
	if subtotal < 0 || subtotal > math.MaxInt64-ship {
		return Totals{}, false
	}
	total := subtotal + ship
	return Totals{
		SubtotalCents: subtotal, ShippingCents: ship, TotalCents: total, TaxCents: includedTax(total, vatBasisPoints[country]),
		Shipping: Shipping{Method: method, Cents: ship, EstimateMinDays: r.minDays, EstimateMaxDays: r.maxDays},
	}, true
}

// includedTax is the tax contained in a tax-inclusive amount at rate basis
// points: amount * rate / (10000 + rate), rounded half up. Big integers
// keep it exact for any int64 amount.
func includedTax(amount, rate int64) int64 {
	if rate == 0 {
		return 0
	}
	num := new(big.Int).Mul(big.NewInt(amount), big.NewInt(2*rate))
	den := big.NewInt(2 * (10000 + rate))
	num.Add(num, big.NewInt(10000+rate))
	return num.Quo(num, den).Int64()
}

// Option is one shipping method as a quote offers it.
type Option struct {
	Method          string `json:"method"`
	Cents           int64  `json:"cents"`
	EstimateMinDays int    `json:"estimate_min_days"`
	EstimateMaxDays int    `json:"estimate_max_days"`
}

// options are every method's price and estimate for a subtotal to country.
func options(subtotal int64, country string) []Option {
	out := make([]Option, 0, len(Methods))
	for _, m := range Methods {
		t, ok := quote(subtotal, country, m)
		if ok {
			out = append(out, Option{Method: m, Cents: t.ShippingCents, EstimateMinDays: t.Shipping.EstimateMinDays, EstimateMaxDays: t.Shipping.EstimateMaxDays})
		}
	}
	return out
}

// freeShippingAbove is the subtotal from which standard delivery to
// country is free.
func freeShippingAbove(country string) int64 { return zoneOf(country).freeAboveCents }
