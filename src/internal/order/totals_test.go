package order

import (
	"math"
	"math/big"
	"strings"
	"testing"
	"testing/quick"
)

// Every quote adds up, whatever the subtotal, destination and method: the
// total is the subtotal plus shipping, and the tax is the exact included
// share of the total, rounded half up.
func TestQuoteAddsUpForAnySubtotalDestinationAndMethod(t *testing.T) {
	codes := strings.Fields(isoCountries)
	prop := func(subtotal int64, country uint16, express bool) bool {
		subtotal = max(subtotal, -subtotal, 0) % (math.MaxInt64 / 2)
		c, m := codes[int(country)%len(codes)], Standard
		if express {
			m = Express
		}
		q, ok := quote(subtotal, c, m)
		if !ok || q.TotalCents != q.SubtotalCents+q.ShippingCents || q.SubtotalCents != subtotal || q.Shipping.Cents != q.ShippingCents {
			return false
		}
		rate := vatBasisPoints[c]
		exact := new(big.Rat).SetFrac(new(big.Int).Mul(big.NewInt(q.TotalCents), big.NewInt(rate)), big.NewInt(10000+rate))
		diff := new(big.Rat).Sub(exact, new(big.Rat).SetInt64(q.TaxCents))
		return diff.Cmp(big.NewRat(1, 2)) < 0 && diff.Cmp(big.NewRat(-1, 2)) >= 0 && q.TaxCents <= q.TotalCents && q.Shipping.EstimateMinDays <= q.Shipping.EstimateMaxDays
	}
	if err := quick.Check(prop, &quick.Config{MaxCount: 5000}); err != nil {
		t.Fatal(err)
	}
}

func TestStandardShippingIsFreeFromTheZonesThreshold(t *testing.T) {
	for _, c := range []string{"US", "GB", "DE", "JP", "BR"} {
		free := freeShippingAbove(c)
		below, _ := quote(free-1, c, Standard)
		at, _ := quote(free, c, Standard)
		express, _ := quote(free, c, Express)
		if below.ShippingCents == 0 || at.ShippingCents != 0 || express.ShippingCents == 0 {
			t.Fatalf("%s: standard below %d costs %d, at it %d, express at it %d: want charged, free, charged",
				c, free, below.ShippingCents, at.ShippingCents, express.ShippingCents)
		}
	}
}

func TestShippingDependsOnTheDestinationZone(t *testing.T) {
	us, _ := quote(1000, "US", Standard)
	fr, _ := quote(1000, "FR", Standard)
	br, _ := quote(1000, "BR", Standard)
	cheaperNearer := us.ShippingCents < fr.ShippingCents && fr.ShippingCents < br.ShippingCents
	fasterNearer := us.Shipping.EstimateMaxDays < fr.Shipping.EstimateMaxDays && fr.Shipping.EstimateMaxDays < br.Shipping.EstimateMaxDays
	if !cheaperNearer || !fasterNearer {
		t.Fatalf("US %+v, France %+v, Brazil %+v: want farther to cost more and take longer", us.Shipping, fr.Shipping, br.Shipping)
	}
	express, _ := quote(1000, "FR", Express)
	if express.ShippingCents <= fr.ShippingCents || express.Shipping.EstimateMaxDays >= fr.Shipping.EstimateMaxDays {
		t.Fatalf("France express %+v, standard %+v: want express dearer and faster", express.Shipping, fr.Shipping)
	}
}

// Prices include VAT: a £120.00 order to the UK (20%) includes £20.00.
func TestTaxIsTheVATIncludedAtTheDestinationsRate(t *testing.T) {
	cases := []struct {
		country string
		total   int64
		tax     int64
	}{
		{"GB", 12000, 2000},
		{"DE", 11900, 1900},
		{"DE", 1, 0},     // 0.16 rounds down
		{"HU", 127, 27},  // 27%
		{"GB", 3, 1},     // 0.5 rounds half up
		{"US", 12000, 0}, // no VAT collected
		{"BR", 12000, 0}, // not in the table: none
	}
	for _, tc := range cases {
		if got := includedTax(tc.total, vatBasisPoints[tc.country]); got != tc.tax {
			t.Errorf("%s, total %d: tax %d, want %d", tc.country, tc.total, got, tc.tax)
		}
	}
}

func TestTaxOfTheLargestTotalDoesNotOverflow(t *testing.T) {
	if got := includedTax(math.MaxInt64, 2500); got <= 0 || got >= math.MaxInt64/4 {
		t.Fatalf("tax of MaxInt64 at 25%%: %d, want a fifth of it", got)
	}
	if _, ok := quote(math.MaxInt64-1, "FR", Express); ok {
		t.Fatal("a total beyond int64 was quoted")
	}
}

func TestReferencesAreReadableAndDistinct(t *testing.T) {
	seen := map[string]bool{}
	for range 2000 {
		r := newReference()
		if !referencePattern.MatchString(r) || strings.ContainsAny(r[4:], "01ILOU") {
			t.Fatalf("reference %q: want SHP- and six unambiguous characters", r)
		}
		seen[r] = true
	}
	if len(seen) < 1990 {
		t.Fatalf("%d distinct references in 2000 draws", len(seen))
	}
}

func TestTrackingIsStablePerOrder(t *testing.T) {
	a, b := trackingFor("6f1c1f36-0d5e-4c43-9a57-2f0e8d1c7b11"), trackingFor("6f1c1f36-0d5e-4c43-9a57-2f0e8d1c7b12")
	if a != trackingFor("6f1c1f36-0d5e-4c43-9a57-2f0e8d1c7b11") || a == b || !strings.HasPrefix(a, "TRK") || len(a) != 15 {
		t.Fatalf("tracking %q and %q", a, b)
	}
}
