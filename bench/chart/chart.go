// Package chart draws the benchmark's charts with gonum.org/v1/plot:
// throughput per frame size for each case (log axis, error bars for the
// spread between the search's trials: from the highest rate that passed
// to the lowest that failed) and the cumulative latency
// distribution of each case (log axis), as PNG files with real fonts and
// legends.
package chart

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Series is one case's throughput per frame size. Lo and Hi, when set
// (same length as Y), bound the value: for a binary search, the highest
// passing and the lowest failing trial rate; NaN where there is no bound.
type Series struct {
	Name   string
	X, Y   []float64 // frame size, Mpps
	Lo, Hi []float64
}

// DistBucket is one latency histogram bucket (upper bound in µs).
type DistBucket struct{ Hi, Count float64 }

// Dist is one case's latency distribution.
type Dist struct {
	Name    string
	Buckets []DistBucket // ascending
}

// Size of the PNGs.
var (
	Width  = 20 * vg.Centimeter
	Height = 11 * vg.Centimeter
	DPI    = 120
)

// Colours, one per case in the order given (colour-blind safe, Okabe-Ito).
var Palette = []color.RGBA{
	{0, 114, 178, 255}, {213, 94, 0, 255}, {0, 158, 115, 255},
	{204, 121, 167, 255}, {230, 159, 0, 255}, {86, 180, 233, 255}, {0, 0, 0, 255},
}

func colour(i int) color.RGBA { return Palette[i%len(Palette)] }

// Glyph shapes, so that the series can be told apart in print too.
var shapes = []draw.GlyphDrawer{draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{},
	draw.PlusGlyph{}, draw.CrossGlyph{}, draw.RingGlyph{}, draw.BoxGlyph{}}

func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	p.Legend.ThumbnailWidth = 0.6 * vg.Centimeter
	g := plotter.NewGrid()
	g.Vertical.Color = color.Gray{Y: 225}
	g.Horizontal.Color = color.Gray{Y: 225}
	p.Add(g)
	return p
}

// errBars is plotter's YErrorer/XYer for asymmetric bounds.
type errBars struct {
	plotter.XYs
	lo, hi []float64 // distances below and above Y
}

func (e errBars) YError(i int) (float64, float64) { return e.lo[i], e.hi[i] }

// Throughput plots Mpps against frame size, one line per series. logY
// puts the rates on a logarithmic axis (cases an order of magnitude
// apart stay readable). Empty series appear in the legend as "(no data)".
func Throughput(title string, series []Series, logY bool) (*plot.Plot, error) {
	p := newPlot(title, "IPv6-side frame size (bytes, FCS included, log scale)", "throughput (Mpps, log scale)")
	if !logY {
		p.Y.Label.Text = "throughput (Mpps)"
	}
	ymin, ymax := math.Inf(1), math.Inf(-1)
	bars := false
	for i, s := range series {
		var xy plotter.XYs
		var eb errBars
		for j := range s.X {
			if j >= len(s.Y) || !(s.Y[j] > 0) {
				continue
			}
			xy = append(xy, plotter.XY{X: s.X[j], Y: s.Y[j]})
			ymin, ymax = math.Min(ymin, s.Y[j]), math.Max(ymax, s.Y[j])
			if j < len(s.Lo) && j < len(s.Hi) {
				lo, hi := s.Y[j]-s.Lo[j], s.Hi[j]-s.Y[j]
				if math.IsNaN(lo) || lo < 0 {
					lo = 0
				}
				if math.IsNaN(hi) || hi < 0 {
					hi = 0
				}
				if s.Y[j]-lo <= 0 {
					lo = 0
				}
				if lo > 0 || hi > 0 {
					bars = true
				}
				eb.XYs = append(eb.XYs, xy[len(xy)-1])
				eb.lo, eb.hi = append(eb.lo, lo), append(eb.hi, hi)
				ymax = math.Max(ymax, s.Y[j]+hi)
			}
		}
		if len(xy) == 0 {
			p.Legend.Add(s.Name + " (no data)")
			continue
		}
		l, pts, err := plotter.NewLinePoints(xy)
		if err != nil {
			return nil, err
		}
		l.Color, l.Width = colour(i), vg.Points(1.5)
		pts.Color, pts.Shape, pts.Radius = colour(i), shapes[i%len(shapes)], vg.Points(3)
		p.Add(l, pts)
		p.Legend.Add(s.Name, l, pts)
		if len(eb.XYs) > 0 {
			e, err := plotter.NewYErrorBars(eb)
			if err != nil {
				return nil, err
			}
			e.Color, e.CapWidth = colour(i), vg.Points(6)
			p.Add(e)
		}
	}
	// Frame sizes double from 64 to 1518: a log axis spaces them evenly,
	// ticked at the sizes measured.
	sizes := map[float64]bool{}
	for _, s := range series {
		for _, x := range s.X {
			if x > 0 {
				sizes[x] = true
			}
		}
	}
	if len(sizes) > 0 {
		var ticks []plot.Tick
		xmin, xmax := math.Inf(1), math.Inf(-1)
		for x := range sizes {
			ticks = append(ticks, plot.Tick{Value: x, Label: trim(x)})
			xmin, xmax = math.Min(xmin, x), math.Max(xmax, x)
		}
		sort.Slice(ticks, func(i, j int) bool { return ticks[i].Value < ticks[j].Value })
		// Labels closer than a factor 1.3 would overlap: keep the larger
		// (1518 rather than 1280), the tick mark stays.
		last := math.Inf(1)
		for i := len(ticks) - 1; i >= 0; i-- {
			if last/ticks[i].Value < 1.3 {
				ticks[i].Label = ""
				continue
			}
			last = ticks[i].Value
		}
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.ConstantTicks(ticks)
		p.X.Min, p.X.Max = xmin/1.08, xmax*1.08
	}
	if logY && ymin < math.Inf(1) {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = logTicks{}
		// Whole decades around the data, so that the ticks are readable.
		p.Y.Min = math.Pow(10, math.Floor(math.Log10(ymin)))
		p.Y.Max = math.Pow(10, math.Ceil(math.Log10(ymax)))
	} else if ymin < math.Inf(1) {
		p.Y.Min = 0
		p.Y.Max = ymax * 1.1
	}
	if bars {
		p.Legend.Add("I: search spread")
	}
	return p, nil
}

// Latency plots the cumulative distribution of each case's latency (µs on
// a log axis).
func Latency(title string, dists []Dist) (*plot.Plot, error) {
	p := newPlot(title, "one-way latency (µs, log scale)", "fraction of frames at or below")
	xmin, xmax := math.Inf(1), math.Inf(-1)
	for i, d := range dists {
		var total float64
		for _, b := range d.Buckets {
			total += b.Count
		}
		if total == 0 {
			p.Legend.Add(d.Name + " (no data)")
			continue
		}
		bs := append([]DistBucket(nil), d.Buckets...)
		sort.Slice(bs, func(a, b int) bool { return bs[a].Hi < bs[b].Hi })
		var xy plotter.XYs
		cum := 0.0
		for _, b := range bs {
			cum += b.Count
			if b.Hi <= 0 {
				continue
			}
			xy = append(xy, plotter.XY{X: b.Hi, Y: cum / total})
			xmin, xmax = math.Min(xmin, b.Hi), math.Max(xmax, b.Hi)
		}
		if len(xy) == 0 {
			continue
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			return nil, err
		}
		l.StepStyle = plotter.PostStep
		l.Color, l.Width = colour(i), vg.Points(1.5)
		l.Dashes = dashes(i)
		p.Add(l)
		p.Legend.Add(d.Name, l)
	}
	p.Y.Min, p.Y.Max = 0, 1
	if xmin < math.Inf(1) {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = logTicks{}
		p.X.Min = math.Pow(10, math.Floor(math.Log10(xmin)))
		p.X.Max = math.Pow(10, math.Ceil(math.Log10(xmax)))
	}
	return p, nil
}

func dashes(i int) []vg.Length {
	switch i % 3 {
	case 1:
		return []vg.Length{vg.Points(6), vg.Points(3)}
	case 2:
		return []vg.Length{vg.Points(2), vg.Points(2)}
	}
	return nil
}

// logTicks labels every decade and marks 2 and 5 in between.
type logTicks struct{}

func (logTicks) Ticks(min, max float64) []plot.Tick {
	var t []plot.Tick
	if min <= 0 || max <= min {
		return plot.DefaultTicks{}.Ticks(min, max)
	}
	for e := math.Floor(math.Log10(min)); e <= math.Ceil(math.Log10(max)); e++ {
		d := math.Pow(10, e)
		for _, m := range []float64{1, 2, 5} {
			v := m * d
			if v < min*(1-1e-9) || v > max*(1+1e-9) {
				continue
			}
			label := ""
			if m == 1 || max/min < 100 {
				label = fmt.Sprint(trim(v))
			}
			t = append(t, plot.Tick{Value: v, Label: label})
		}
	}
	return t
}

func trim(v float64) string {
	s := fmt.Sprintf("%.6g", v)
	return s
}

// WritePNG renders p as a PNG of Width x Height at DPI, its legend in a
// column of its own on the right so that it never hides data.
func WritePNG(w io.Writer, p *plot.Plot) error {
	c := vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(Width, Height), vgimg.UseDPI(DPI))}
	dc := draw.New(c)
	leg := p.Legend
	p.Legend = plot.NewLegend()
	defer func() { p.Legend = leg }()
	lw := leg.Rectangle(dc).Size().X + 2*leg.Padding
	if lw > dc.Size().X/3 {
		lw = dc.Size().X / 3
	}
	p.Draw(draw.Crop(dc, 0, -lw, 0, 0))
	leg.Top, leg.Left = true, true
	leg.XOffs, leg.YOffs = 0, -p.Title.TextStyle.Height(p.Title.Text)-p.Title.Padding
	leg.Draw(draw.Crop(dc, dc.Size().X-lw, 0, 0, 0))
	_, err := c.WriteTo(w)
	return err
}

// BarSeries is one case's values, one per group of a grouped bar chart
// (NaN or <= 0: no bar).
type BarSeries struct {
	Name   string
	Values []float64
}

// Bars draws a grouped bar chart: one group per name in groups (on the X
// axis), one bar per series in each group, in the series' colours. Used for
// the stateful NAT suite, whose values are per flow count or per case
// rather than per frame size.
func Bars(title, xlabel, ylabel string, groups []string, series []BarSeries) (*plot.Plot, error) {
	p := newPlot(title, xlabel, ylabel)
	if len(groups) == 0 || len(series) == 0 {
		return nil, fmt.Errorf("chart: nothing to draw")
	}
	// About 0.7 of the room a group has on a 20 cm chart with its legend.
	w := vg.Points(math.Min(60, math.Max(6, 300/float64(len(groups)*len(series)))))
	any := false
	for i, s := range series {
		v := make(plotter.Values, len(groups))
		for j := range groups {
			if j < len(s.Values) && s.Values[j] > 0 {
				v[j] = s.Values[j]
				any = true
			}
		}
		b, err := plotter.NewBarChart(v, w)
		if err != nil {
			return nil, err
		}
		b.LineStyle.Width = 0
		b.Color = colour(i)
		b.Offset = w * vg.Length(float64(i)-float64(len(series)-1)/2)
		p.Add(b)
		p.Legend.Add(s.Name, b)
	}
	if !any {
		return nil, fmt.Errorf("chart: no positive value")
	}
	p.NominalX(groups...)
	p.Y.Min = 0
	return p, nil
}
