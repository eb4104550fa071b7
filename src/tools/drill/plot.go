package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image/color"
	"os"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/shop-platform/shop/src/internal/shopper"
)

// plotCommand draws a report's timeline: latency (p50, p99) above,
// throughput and errors below, with the report's marks (a drill's
// faults) as labelled vertical lines on both.
func plotCommand(args []string) error {
	fs := flag.NewFlagSet("drill plot", flag.ContinueOnError)
	in := fs.String("in", "", "report JSON written by loadgen -json, drill -json or drill soak -json")
	out := fs.String("out", "loadgen.png", "PNG to write")
	title := fs.String("title", "", "title above the plot")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *in == "" {
		return errors.New("plot: -in is required")
	}
	b, err := os.ReadFile(*in)
	if err != nil {
		return err
	}
	var rep shopper.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		return fmt.Errorf("plot: %s is not a loadgen report: %w", *in, err)
	}
	if len(rep.Timeline) == 0 {
		return fmt.Errorf("plot: %s has no timeline", *in)
	}
	return drawTimeline(rep, *title, *out)
}

func drawTimeline(rep shopper.Report, title, out string) error {
	lat := plot.New()
	lat.Title.Text = title
	lat.Y.Label.Text = "latency (ms)"
	lat.Y.Scale = plot.LogScale{}
	lat.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	thr := plot.New()
	thr.X.Label.Text = "time (s)"
	thr.Y.Label.Text = "requests/s"
	var p50, p99, rps, errs plotter.XYs
	maxRPS, minLat, maxLat := 1.0, 1e9, 0.0
	for _, s := range rep.Timeline {
		if s.Requests > 0 {
			// A log axis cannot show 0; a second without requests has no
			// latency to draw.
			p50 = append(p50, plotter.XY{X: s.T, Y: max(s.P50Ms, 0.01)})
			p99 = append(p99, plotter.XY{X: s.T, Y: max(s.P99Ms, 0.01)})
			minLat, maxLat = min(minLat, max(s.P50Ms, 0.01)), max(maxLat, s.P99Ms)
		}
		rps = append(rps, plotter.XY{X: s.T, Y: float64(s.Requests)})
		errs = append(errs, plotter.XY{X: s.T, Y: float64(s.Errors)})
		maxRPS = max(maxRPS, float64(s.Requests))
	}
	blue, red, grey := color.RGBA{R: 31, G: 119, B: 180, A: 255}, color.RGBA{R: 214, G: 39, B: 40, A: 255}, color.RGBA{R: 120, G: 120, B: 120, A: 255}
	add := func(p *plot.Plot, pts plotter.XYs, name string, c color.Color) error {
		if len(pts) == 0 {
			return nil
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return err
		}
		l.Color = c
		l.Width = vg.Points(1)
		p.Add(l)
		p.Legend.Add(name, l)
		return nil
	}
	if err := errors.Join(add(lat, p50, "p50", blue), add(lat, p99, "p99", red),
		add(thr, rps, "requests/s", blue), add(thr, errs, "errors/s", red)); err != nil {
		return err
	}
	lat.Legend.Top = true
	thr.Legend.Top = true
	thr.Y.Min = 0
	thr.Y.Max = maxRPS * 1.25
	if maxLat > 0 {
		lat.Y.Min, lat.Y.Max = minLat*0.8, maxLat*1.5
	}
	for _, m := range rep.Marks {
		for _, p := range []*plot.Plot{lat, thr} {
			l, err := plotter.NewLine(plotter.XYs{{X: m.T, Y: p.Y.Min}, {X: m.T, Y: p.Y.Max}})
			if err != nil {
				return err
			}
			l.Color = grey
			l.Dashes = []vg.Length{vg.Points(3), vg.Points(2)}
			p.Add(l)
		}
		labels, err := plotter.NewLabels(plotter.XYLabels{XYs: []plotter.XY{{X: m.T, Y: thr.Y.Max * 0.97}}, Labels: []string{m.Label}})
		if err != nil {
			return err
		}
		for i := range labels.TextStyle {
			labels.TextStyle[i].Rotation = -1.5708
			labels.TextStyle[i].Font.Size = vg.Points(7)
			labels.TextStyle[i].Color = grey
		}
		thr.Add(labels)
	}
	// Both panels share the time axis.
	lat.X.Min, thr.X.Min = 0, 0
	lat.X.Max = max(lat.X.Max, thr.X.Max)
	thr.X.Max = lat.X.Max

	img := vgimg.New(vg.Points(900), vg.Points(560))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadX: vg.Millimeter, PadY: vg.Millimeter, PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(8)}
	canvases := plot.Align([][]*plot.Plot{{lat}, {thr}}, tiles, dc)
	lat.Draw(canvases[0][0])
	thr.Draw(canvases[1][0])
	var png bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&png); err != nil {
		return err
	}
	return os.WriteFile(out, png.Bytes(), 0o644)
}
