package order

import (
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"regexp"
)

// referenceAlphabet leaves out the characters people misread or mistype
// when they copy a reference from an email or read it over the phone:
// 0/O, 1/I/L and U (U/V).
const referenceAlphabet = "23456789ABCDEFGHJKMNPQRSTVWXYZ"

// referencePattern is the shape of a human order reference: SHP- and six
// characters of referenceAlphabet (30^6, about 729 million).
var referencePattern = regexp.MustCompile(`^SHP-[2-9A-HJKMNP-TV-Z]{6}$`)

// ErrReferenceTaken is a new order whose random reference another order
// has already: the caller draws another.
var ErrReferenceTaken = errors.New("order reference already taken")

// newReference draws a random reference, the one a shopper quotes. Its
// uniqueness is the store's (a unique index); a clash draws again.
func newReference() string {
	return "SHP-" + pick(6)
}

func pick(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		// 256 is not a multiple of 30: rejection keeps the draw uniform.
		for b[i] >= 240 {
			var one [1]byte
			_, _ = rand.Read(one[:])
			b[i] = one[0]
		}
		b[i] = referenceAlphabet[int(b[i])%len(referenceAlphabet)]
	}
	return string(b)
}

// trackingFor is the carrier's tracking reference of a confirmed order.
// The shop has no carrier integration: the reference is derived from the
// order id, so it is the same on every read and every replica; a carrier
// integration would store the carrier's own.
func trackingFor(id string) string {
	sum := sha256.Sum256([]byte("tracking:" + id))
	out := make([]byte, 12)
	for i := range out {
		out[i] = referenceAlphabet[int(sum[i])%len(referenceAlphabet)]
	}
	return "TRK" + string(out)
}
