package platform

import (
	"strconv"
	"unicode/utf8"
)

// maxQuoted is how much of a client's value an error message repeats.
const maxQuoted = 64

// Quote is a client's value as an error message repeats it: quoted, and
// cut at 64 characters, so a message names the value without carrying
// kilobytes of it back.
func Quote(s string) string {
	if utf8.RuneCountInString(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	return strconv.Quote(string([]rune(s)[:maxQuoted])) + "…"
}

// IntParam reads an optional integer query parameter within [lo, hi]; get
// returns "" for an absent one. A bad value is a 400 naming the parameter.
func IntParam(get func(string) string, name string, def, lo, hi int) (int, error) {
	raw := get(name)
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		return 0, BadRequest("invalid_"+name, "%s must be an integer from %d to %d, got %s", name, lo, hi, Quote(raw))
	}
	return n, nil
}

// BoolParam reads an optional true/false (or 1/0) query parameter.
func BoolParam(get func(string) string, name string) (bool, error) {
	switch v := get(name); v {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	default:
		return false, BadRequest("invalid_"+name, "%s must be true or false, got %s", name, Quote(v))
	}
}

// PriceRangeParams reads the optional min_price and max_price parameters
// (integer cents, inclusive, at most maxCents). An absent max_price is -1:
// no upper bound. A min above the max is a 400 naming both.
func PriceRangeParams(get func(string) string, maxCents int) (lo, hi int64, err error) {
	minPrice, err := IntParam(get, "min_price", 0, 0, maxCents)
	if err != nil {
		return 0, 0, err
	}
	maxPrice, err := IntParam(get, "max_price", -1, 0, maxCents)
	if err != nil {
		return 0, 0, err
	}
	lo, hi = int64(minPrice), int64(maxPrice)
	if hi >= 0 && lo > hi {
		return 0, 0, BadRequest("invalid_price_range", "min_price (%d) must not exceed max_price (%d)", lo, hi)
	}
	return lo, hi, nil
}
