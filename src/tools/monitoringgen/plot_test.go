package main

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// overviewPanels are the panels the README's picture shows: the overview's
// main ones and the business dashboard's orders, by dashboard and title.
var overviewPanels = []struct{ board, title string }{
	{"overview.json", "Request rate by service"},
	{"overview.json", "Latency by service"},
	{"overview.json", "Error ratio by service (5xx)"},
	{"business.json", "Orders per minute"},
}

// drawOverview plots the last minutes of those panels' queries, as
// Prometheus answers them, into a PNG at path.
func drawOverview(p *promServer, path string) error {
	b := boards()
	end := time.Now()
	start := end.Add(-3 * time.Minute)
	plots := make([][]*plot.Plot, 2)
	for i, want := range overviewPanels {
		var found *panel
		for _, s := range b[want.board].sections {
			for j := range s.panels {
				if s.panels[j].title == want.title {
					found = &s.panels[j]
				}
			}
		}
		if found == nil {
			return fmt.Errorf("no panel %q in %s", want.title, want.board)
		}
		pl, err := p.plotPanel(*found, start, end)
		if err != nil {
			return err
		}
		plots[i/2] = append(plots[i/2], pl)
	}
	img := vgimg.New(vg.Points(1100), vg.Points(640))
	dc := draw.New(img)
	canvases := plot.Align(plots, draw.Tiles{Rows: 2, Cols: 2, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}, dc)
	for j := range plots {
		for i := range plots[j] {
			plots[j][i].Draw(canvases[j][i])
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

var legendLabel = regexp.MustCompile(`\{\{\s*(\w+)\s*\}\}`)

// plotPanel draws one panel: each of its queries over [start, end].
func (p *promServer) plotPanel(pn panel, start, end time.Time) (*plot.Plot, error) {
	pl := plot.New()
	pl.Title.Text = pn.title
	pl.X.Tick.Marker = plot.TimeTicks{Format: "15:04:05"}
	pl.Y.Label.Text = map[string]string{"reqps": "requests/s", "s": "seconds", "percentunit": "ratio", "opm": "orders/min"}[pn.unit]
	pl.Y.Min = 0
	pl.Legend.Top = true
	pl.Add(plotter.NewGrid())
	var lines []any
	for _, x := range pn.queries {
		r, err := p.get("/api/v1/query_range", url.Values{
			"query": {expand(x.expr)}, "step": {"2"},
			"start": {strconv.FormatInt(start.Unix(), 10)}, "end": {strconv.FormatInt(end.Unix(), 10)},
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", pn.title, err)
		}
		for _, raw := range r.Data.Result {
			var s struct {
				Metric map[string]string `json:"metric"`
				Values [][2]any          `json:"values"`
			}
			if err := json.Unmarshal(raw, &s); err != nil {
				return nil, err
			}
			var xys plotter.XYs
			for _, v := range s.Values {
				ts, _ := v[0].(float64)
				str, _ := v[1].(string)
				y, err := strconv.ParseFloat(str, 64)
				if err != nil || math.IsNaN(y) || math.IsInf(y, 0) {
					continue
				}
				xys = append(xys, plotter.XY{X: ts, Y: y})
			}
			if len(xys) == 0 {
				continue
			}
			legend := legendLabel.ReplaceAllStringFunc(x.legend, func(m string) string {
				return s.Metric[legendLabel.FindStringSubmatch(m)[1]]
			})
			lines = append(lines, legend, xys)
		}
	}
	if err := plotutil.AddLines(pl, lines...); err != nil {
		return nil, err
	}
	if pl.Y.Max <= 0 {
		pl.Y.Max = 1 // all zero (no errors): an axis from 0 up
	}
	pl.Y.Min = 0
	return pl, nil
}
