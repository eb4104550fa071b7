package shopper

import (
	"html"
	"math/rand/v2"
	"regexp"
	"strings"
	"sync"
)

// cardName is a product's name on a listing or in search results.
var cardName = regexp.MustCompile(`<span class="name">([^<]+)</span>`)

// Words is the pool of search words the shoppers of a run share, filled
// from the product names on the pages they see, so searches hit what the
// shop sells.
type Words struct {
	mu   sync.Mutex
	list []string
	seen map[string]bool
}

const maxWords = 500

// NewWords returns a pool with a few words to start with, before any page
// has been read.
func NewWords() *Words {
	w := &Words{seen: map[string]bool{}}
	for _, s := range []string{"lamp", "chair", "headphones", "kettle", "book", "shirt", "mug", "speaker"} {
		w.add(s)
	}
	return w
}

func (w *Words) add(s string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.list) < maxWords && !w.seen[s] {
		w.seen[s] = true
		w.list = append(w.list, s)
	}
}

// learn takes the words of the product names on a page. Search results
// mark the matched words (<mark>), which are dropped first, so a shopper
// who only searches learns new words too.
func (w *Words) learn(page string) {
	page = strings.NewReplacer("<mark>", "", "</mark>", "").Replace(page)
	for _, m := range cardName.FindAllStringSubmatch(page, 20) {
		for f := range strings.FieldsSeq(strings.ToLower(html.UnescapeString(m[1]))) {
			if f = strings.Trim(f, ".,-'\"()"); len(f) >= 4 && strings.Trim(f, "abcdefghijklmnopqrstuvwxyz") == "" {
				w.add(f)
			}
		}
	}
}

func (w *Words) pick(rng *rand.Rand) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.list[rng.IntN(len(w.list))]
}

// typo misspells a word as people do: two letters swapped, one dropped or
// one doubled.
func (s *Shopper) typo(w string) string {
	if len(w) < 5 {
		return w
	}
	return misspell(w, s.rng.IntN(3), 1+s.rng.IntN(len(w)-2))
}

// misspell makes mistake 0 (swap), 1 (drop) or 2 (double) at letter i of
// w, which is neither its first nor its last.
func misspell(w string, mistake, i int) string {
	switch mistake {
	case 0:
		return w[:i] + string(w[i+1]) + string(w[i]) + w[i+2:]
	case 1:
		return w[:i] + w[i+1:]
	default:
		return w[:i] + string(w[i]) + w[i:]
	}
}
