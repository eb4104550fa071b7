package order

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
)

// isoCodesFile is Debian's iso-codes list, the table's source.
const isoCodesFile = "/usr/share/iso-codes/json/iso_3166-1.json"

// The committed table is exactly the source's list of codes.
func TestCountryTableMatchesISOCodes(t *testing.T) {
	raw, err := os.ReadFile(isoCodesFile)
	if err != nil {
		t.Skipf("SKIPPED: %s unreadable (%v); apt-get install iso-codes to check the country table", isoCodesFile, err)
	}
	var src struct {
		Countries []struct {
			Alpha2 string `json:"alpha_2"`
		} `json:"3166-1"`
	}
	if err := json.Unmarshal(raw, &src); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, c := range src.Countries {
		want = append(want, c.Alpha2)
	}
	slices.Sort(want)
	got := strings.Fields(isoCountries)
	if !slices.Equal(got, want) {
		t.Fatalf("country table differs from %s:\n got %v\nwant %v", isoCodesFile, got, want)
	}
	for _, code := range want {
		if !isCountry(code) {
			t.Errorf("%s refused", code)
		}
	}
	for _, code := range []string{"ZZ", "EU", "UK", "XK", "SU", "gb", "G", "GBR", " G", "G ", "", "AD AE"} {
		if isCountry(code) {
			t.Errorf("%q accepted", code)
		}
	}
}
