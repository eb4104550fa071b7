package main

import (
	"fmt"
	"html"
	"math/rand/v2"
	"strings"
)

// A product's picture is a drawing of its kind of thing (a cup, a bag of
// beans, a kettle, a pan...), picked by the words of its name, in colours
// and proportions drawn from its id: two teas are two different bags, and
// a tea is not a coffee mug. Books get a cover with their title.

// figure draws one kind of object in the 240 × 180 picture, centred above
// the caption, with body and accent colours and proportions from rng.
type figure func(rng *rand.Rand, body, accent string) string

// figureWords pick a figure by the words of a product's kind, first match
// wins; anything else is drawn as a box, the shape most products come in.
var figureWords = []struct {
	words []string
	draw  figure
}{
	{[]string{"mug", "cup"}, drawCup},
	{[]string{"bean", "ground coffee", "tea", "matcha", "bag"}, drawPouch},
	{[]string{"kettle", "press", "watering", "dripper"}, drawKettle},
	{[]string{"headphone", "earbud"}, drawHeadphones},
	{[]string{"speaker", "soundbar", "turntable", "radio"}, drawSpeaker},
	{[]string{"pan", "oven", "saucepan", "bowl", "cooker", "fountain"}, drawPot},
	{[]string{"duvet", "sheet", "pillow", "blanket", "protector", "towel", "curtain", "bedspread", "mat", "pad", "bed"}, drawFolded},
	{[]string{"knife", "shears", "trowel", "rake", "trimmer", "brush", "thermometer", "pen", "vacuum", "hose", "leash", "rope", "band"}, drawTool},
	{[]string{"lamp", "lantern", "headlamp"}, drawLamp},
	{[]string{"dumbbell", "kettlebell", "roller", "plush", "toy"}, drawWeight},
	{[]string{"tent", "tree", "chair"}, drawTent},
}

// figureFor picks the figure of a kind noun.
func figureFor(noun string) figure {
	n := strings.ToLower(noun)
	for _, f := range figureWords {
		for _, w := range f.words {
			if strings.Contains(n, w) {
				return f.draw
			}
		}
	}
	return drawBox
}

func between(rng *rand.Rand, lo, hi int) int { return lo + rng.IntN(hi-lo+1) }

func drawCup(rng *rand.Rand, body, accent string) string {
	w, h := between(rng, 48, 66), between(rng, 44, 62)
	x, y := 120-w/2-6, 128-h
	stripe := ""
	if rng.IntN(2) == 0 {
		stripe = fmt.Sprintf(`<rect x="%d" y="%d" width="%d" height="8" fill="%s"/>`, x, y+h/3, w, accent)
	}
	return fmt.Sprintf(`<path d="M%d %dh%dv%d a14 14 0 0 1 -14 14h-%d a14 14 0 0 1 -14 -14z" fill="%s"/>`, x, y, w, h-14, w-28, body) + stripe +
		fmt.Sprintf(`<path d="M%d %dh6a11 11 0 0 1 0 22h-6" fill="none" stroke="%s" stroke-width="6"/>`, x+w, y+10, body) +
		fmt.Sprintf(`<path d="M%d %dq6 8 0 16M%d %dq6 8 0 16" stroke="%s" stroke-width="4" fill="none"/>`, x+w/3, y-24, x+2*w/3, y-24, accent)
}

func drawPouch(rng *rand.Rand, body, accent string) string {
	w, h := between(rng, 56, 76), between(rng, 72, 92)
	x, y := 120-w/2, 132-h
	label := between(rng, 18, 30)
	return fmt.Sprintf(`<path d="M%d %dl6 -10h%dl6 10v%dh-%dz" fill="%s"/>`, x, y+10, w-12, h-10, w, body) +
		fmt.Sprintf(`<rect x="%d" y="%d" width="%d" height="%d" rx="4" fill="#fff" opacity="0.85"/>`, x+8, y+h/2-label/2, w-16, label) +
		fmt.Sprintf(`<circle cx="120" cy="%d" r="%d" fill="%s"/>`, y+h/2, label/3, accent)
}

func drawKettle(rng *rand.Rand, body, accent string) string {
	w, h := between(rng, 52, 70), between(rng, 56, 74)
	x, y := 120-w/2, 132-h
	return fmt.Sprintf(`<path d="M%d %dh%dl6 %dh-%dz" fill="%s"/>`, x+6, y, w-12, h, w, body) +
		fmt.Sprintf(`<path d="M%d %dl-22 -18" stroke="%s" stroke-width="7" stroke-linecap="round"/>`, x+4, y+h/2, body) +
		fmt.Sprintf(`<path d="M%d %dq16 %d 0 %d" fill="none" stroke="%s" stroke-width="6"/>`, x+w-4, y+8, h/2, h-16, accent) +
		fmt.Sprintf(`<rect x="%d" y="%d" width="%d" height="8" rx="4" fill="%s"/>`, x+w/4, y-8, w/2, accent)
}

func drawHeadphones(rng *rand.Rand, body, accent string) string {
	r := between(rng, 34, 44)
	cup := between(rng, 12, 18)
	return fmt.Sprintf(`<path d="M%d 112a%d %d 0 0 1 %d 0" fill="none" stroke="%s" stroke-width="8"/>`, 120-r, r, r, 2*r, body) +
		fmt.Sprintf(`<rect x="%d" y="%d" width="%d" height="%d" rx="8" fill="%s"/>`, 120-r-cup/2-2, 100, cup+4, 2*cup+8, accent) +
		fmt.Sprintf(`<rect x="%d" y="%d" width="%d" height="%d" rx="8" fill="%s"/>`, 120+r-cup/2-2, 100, cup+4, 2*cup+8, accent)
}

func drawSpeaker(rng *rand.Rand, body, accent string) string {
	w, h := between(rng, 50, 110), between(rng, 50, 86)
	x, y := 120-w/2, 134-h
	n := 1 + rng.IntN(2)
	out := fmt.Sprintf(`<rect x="%d" y="%d" width="%d" height="%d" rx="8" fill="%s"/>`, x, y, w, h, body)
	for i := range n {
		r := min(w, h/n) / 3
		cx, cy := 120, y+h*(2*i+1)/(2*n)
		if w > h {
			cx, cy = x+w*(2*i+1)/(2*n), y+h/2
			r = min(w/n, h) / 3
		}
		out += fmt.Sprintf(`<circle cx="%d" cy="%d" r="%d" fill="%s"/><circle cx="%d" cy="%d" r="%d" fill="#fff" opacity="0.5"/>`, cx, cy, r, accent, cx, cy, r/3)
	}
	return out
}

func drawPot(rng *rand.Rand, body, accent string) string {
	w, h := between(rng, 70, 96), between(rng, 24, 46)
	x, y := 120-w/2, 128-h
	out := fmt.Sprintf(`<path d="M%d %dh%dv%da10 10 0 0 1 -10 10h-%da10 10 0 0 1 -10 -10z" fill="%s"/>`, x, y, w, h-10, w-20, body)
	if rng.IntN(2) == 0 {
		return out + fmt.Sprintf(`<rect x="%d" y="%d" width="38" height="8" rx="4" fill="%s"/>`, x+w, y+4, accent)
	}
	return out + fmt.Sprintf(`<rect x="%d" y="%d" width="%d" height="8" rx="4" fill="%s"/><rect x="114" y="%d" width="12" height="8" rx="3" fill="%s"/>`,
		x-6, y-8, w+12, accent, y-16, accent)
}

func drawFolded(rng *rand.Rand, body, accent string) string {
	w := between(rng, 80, 110)
	n := between(rng, 2, 4)
	out := ""
	for i := range n {
		y := 126 - (i+1)*18
		fill := body
		if i%2 == 1 {
			fill = accent
		}
		out += fmt.Sprintf(`<rect x="%d" y="%d" width="%d" height="16" rx="6" fill="%s"/>`, 120-w/2+i*3, y, w-i*6, fill)
	}
	return out
}

func drawTool(rng *rand.Rand, body, accent string) string {
	angle := between(rng, -50, -25)
	handle := between(rng, 44, 62)
	head := between(rng, 34, 56)
	return fmt.Sprintf(`<g transform="rotate(%d 120 88)"><rect x="%d" y="80" width="%d" height="16" rx="8" fill="%s"/>`, angle, 120-handle, handle, accent) +
		fmt.Sprintf(`<path d="M120 78h%dl12 10l-12 10h-%dz" fill="%s"/></g>`, head, head, body)
}

func drawLamp(rng *rand.Rand, body, accent string) string {
	w := between(rng, 50, 70)
	h := between(rng, 30, 44)
	return fmt.Sprintf(`<path d="M%d %dh%dl12 %dh-%dz" fill="%s"/>`, 120-w/2+12, 44, w-24, h, w, body) +
		fmt.Sprintf(`<rect x="116" y="%d" width="8" height="%d" fill="%s"/><rect x="96" y="126" width="48" height="8" rx="4" fill="%s"/>`, 44+h, 82-h, accent, accent) +
		fmt.Sprintf(`<circle cx="120" cy="%d" r="6" fill="#fff6c4"/>`, 44+h+6)
}

func drawWeight(rng *rand.Rand, body, accent string) string {
	r := between(rng, 26, 38)
	if rng.IntN(2) == 0 {
		return fmt.Sprintf(`<circle cx="120" cy="%d" r="%d" fill="%s"/><path d="M%d %da%d %d 0 0 1 %d 0" fill="none" stroke="%s" stroke-width="9"/>`,
			130-r, r, body, 120-r/2, 130-2*r, r/2, r/2, r, accent)
	}
	return fmt.Sprintf(`<rect x="%d" y="82" width="%d" height="10" fill="%s"/><rect x="%d" y="%d" width="18" height="%d" rx="5" fill="%s"/><rect x="%d" y="%d" width="18" height="%d" rx="5" fill="%s"/>`,
		120-r-10, 2*r+20, accent, 120-r-18, 87-r, 2*r, body, 120+r, 87-r, 2*r, body)
}

func drawTent(rng *rand.Rand, body, accent string) string {
	w, h := between(rng, 90, 120), between(rng, 66, 88)
	return fmt.Sprintf(`<path d="M%d 132l%d -%dl%d %dz" fill="%s"/><path d="M120 132l-%d -%dh%dz" fill="%s" opacity="0.9"/>`,
		120-w/2, w/2, h, w/2, h, body, w/8, h/2, w/4, accent)
}

func drawBox(rng *rand.Rand, body, accent string) string {
	w, h := between(rng, 60, 104), between(rng, 46, 84)
	x, y := 120-w/2, 134-h
	out := fmt.Sprintf(`<rect x="%d" y="%d" width="%d" height="%d" rx="8" fill="%s"/>`, x, y, w, h, body)
	switch rng.IntN(3) {
	case 0: // a window, as on an oven or a printer
		out += fmt.Sprintf(`<rect x="%d" y="%d" width="%d" height="%d" rx="4" fill="#fff" opacity="0.7"/>`, x+8, y+8, w*3/5, h-16)
	case 1: // a row of buttons
		for i := range 3 {
			out += fmt.Sprintf(`<circle cx="%d" cy="%d" r="5" fill="%s"/>`, x+14+i*16, y+h-14, accent)
		}
	default: // a lid
		out += fmt.Sprintf(`<rect x="%d" y="%d" width="%d" height="10" rx="4" fill="%s"/>`, x-4, y-6, w+8, accent)
	}
	return out + fmt.Sprintf(`<circle cx="%d" cy="%d" r="7" fill="%s"/>`, x+w-14, y+14, accent)
}

// drawCover is a book: its cover in the book's colours, with the title.
func drawCover(rng *rand.Rand, body, accent, title string) string {
	w := between(rng, 76, 90)
	x := 120 - w/2
	out := fmt.Sprintf(`<rect x="%d" y="18" width="%d" height="126" rx="3" fill="%s"/><rect x="%d" y="18" width="7" height="126" fill="%s"/>`, x, w, body, x, accent)
	out += fmt.Sprintf(`<rect x="%d" y="%d" width="%d" height="3" fill="%s"/>`, x+14, 34+rng.IntN(10), w-22, accent)
	var lines []string
	line := ""
	for _, word := range strings.Fields(title) {
		if line != "" && len(line)+1+len(word) > 12 {
			lines = append(lines, line)
			line = ""
		}
		line = strings.TrimSpace(line + " " + word)
	}
	lines = append(lines, line)
	for i, l := range lines[:min(len(lines), 5)] {
		out += fmt.Sprintf(`<text x="%d" y="%d" text-anchor="middle" font-family="Georgia,serif" font-size="10" font-weight="700" fill="#fff">%s</text>`,
			x+4+w/2, 62+i*13, html.EscapeString(l))
	}
	return out
}
