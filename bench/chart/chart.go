// Package chart draws the benchmark's PNG with the standard library only:
// a line chart of throughput per frame size for each case and the
// cumulative latency distribution of each case, with a built-in 5x7 font.
package chart

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"strings"
)

// Series is one case's throughput per frame size.
type Series struct {
	Name string
	X, Y []float64 // frame size, Mpps
}

// DistBucket is one latency histogram bucket (upper bound in µs).
type DistBucket struct{ Hi, Count float64 }

// Dist is one case's latency distribution.
type Dist struct {
	Name    string
	Buckets []DistBucket // ascending
}

const (
	width, height = 1280, 580
	scale         = 2 // font pixel size
	charW         = 6 * scale
)

var (
	white   = color.RGBA{255, 255, 255, 255}
	black   = color.RGBA{0, 0, 0, 255}
	grid    = color.RGBA{225, 225, 225, 255}
	palette = []color.RGBA{
		{31, 119, 180, 255}, {214, 39, 40, 255}, {44, 160, 44, 255},
		{255, 127, 14, 255}, {148, 103, 189, 255}, {140, 86, 75, 255},
	}
)

type canvas struct{ *image.RGBA }

func (c canvas) fill(r image.Rectangle, col color.RGBA) {
	r = r.Intersect(c.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c.SetRGBA(x, y, col)
		}
	}
}

// line draws a 2-pixel line (Bresenham).
func (c canvas) line(x0, y0, x1, y1 int, col color.RGBA) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	e := dx + dy
	for {
		c.fill(image.Rect(x0, y0, x0+2, y0+2), col)
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * e
		if e2 >= dy {
			e += dy
			x0 += sx
		}
		if e2 <= dx {
			e += dx
			y0 += sy
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func sign(v int) int {
	switch {
	case v < 0:
		return -1
	case v > 0:
		return 1
	}
	return 0
}

// text draws s with its top-left corner at (x, y).
func (c canvas) text(x, y int, s string, col color.RGBA) {
	for _, r := range strings.ToUpper(s) {
		g := glyphs[r]
		for row := 0; row < 7; row++ {
			for bit := 0; bit < 5; bit++ {
				if g[row]&(0x10>>bit) != 0 {
					c.fill(image.Rect(x+bit*scale, y+row*scale, x+(bit+1)*scale, y+(row+1)*scale), col)
				}
			}
		}
		x += charW
	}
}

func textWidth(s string) int { return len(s) * charW }

type panel struct {
	r          image.Rectangle // plot area
	x0, x1     float64
	y0, y1     float64
	logX       bool
	categories []float64 // if set, x positions are category indices
}

func (p panel) px(x float64) int {
	if p.categories != nil {
		for i, c := range p.categories {
			if c == x {
				x = float64(i)
				break
			}
		}
	}
	if p.logX {
		x = math.Log10(math.Max(x, 1e-9))
	}
	f := (x - p.x0) / (p.x1 - p.x0)
	return p.r.Min.X + int(f*float64(p.r.Dx()))
}

func (p panel) py(y float64) int {
	f := (y - p.y0) / (p.y1 - p.y0)
	return p.r.Max.Y - int(f*float64(p.r.Dy()))
}

func niceStep(span float64, ticks int) float64 {
	raw := span / float64(ticks)
	if raw <= 0 {
		return 1
	}
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if raw <= m*mag {
			return m * mag
		}
	}
	return 10 * mag
}

func (c canvas) axes(p panel, title, xlabel, ylabel string) {
	c.text(p.r.Min.X, p.r.Min.Y-40, title, black)
	c.fill(image.Rect(p.r.Min.X, p.r.Max.Y, p.r.Max.X, p.r.Max.Y+2), black)
	c.fill(image.Rect(p.r.Min.X-2, p.r.Min.Y, p.r.Min.X, p.r.Max.Y+2), black)
	c.text(p.r.Max.X-textWidth(xlabel), p.r.Max.Y+36, xlabel, black)
	c.text(p.r.Min.X-60, p.r.Min.Y-18, ylabel, black)
	step := niceStep(p.y1-p.y0, 5)
	for v := p.y0; v <= p.y1+step/1e6; v += step {
		y := p.py(v)
		c.fill(image.Rect(p.r.Min.X, y, p.r.Max.X, y+1), grid)
		lbl := trimFloat(v)
		c.text(p.r.Min.X-10-textWidth(lbl), y-7, lbl, black)
	}
}

func trimFloat(v float64) string {
	s := fmt.Sprintf("%.3f", v)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// Draw renders both panels.
func Draw(title string, series []Series, title2 string, dists []Dist) *image.RGBA {
	c := canvas{image.NewRGBA(image.Rect(0, 0, width, height))}
	c.fill(c.Bounds(), white)

	// Left: throughput per frame size, sizes as evenly spaced categories.
	var sizes []float64
	ymax := 0.0
	for _, s := range series {
		for i, x := range s.X {
			found := false
			for _, v := range sizes {
				found = found || v == x
			}
			if !found {
				sizes = append(sizes, x)
			}
			ymax = math.Max(ymax, s.Y[i])
		}
	}
	sortFloats(sizes)
	if ymax == 0 {
		ymax = 1
	}
	lp := panel{r: image.Rect(90, 70, 600, 460), x0: -0.5, x1: float64(len(sizes)) - 0.5, y0: 0, y1: ymax * 1.15, categories: sizes}
	if len(sizes) == 0 {
		lp.x1 = 0.5
	}
	c.axes(lp, title, "FRAME SIZE (B)", "MPPS")
	for _, s := range sizes {
		lbl := fmt.Sprintf("%.0f", s)
		c.text(lp.px(s)-textWidth(lbl)/2, lp.r.Max.Y+10, lbl, black)
	}
	for i, s := range series {
		col := palette[i%len(palette)]
		for j := range s.X {
			x, y := lp.px(s.X[j]), lp.py(s.Y[j])
			c.fill(image.Rect(x-4, y-4, x+5, y+5), col)
			if j > 0 {
				c.line(lp.px(s.X[j-1]), lp.py(s.Y[j-1]), x, y, col)
			}
		}
	}
	// Legend under both panels.
	lx := 90
	for i, s := range series {
		col := palette[i%len(palette)]
		c.fill(image.Rect(lx, 545, lx+16, 561), col)
		c.text(lx+22, 546, s.Name, black)
		lx += 22 + textWidth(s.Name) + 30
	}

	// Right: cumulative latency distribution, log x.
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, d := range dists {
		for _, b := range d.Buckets {
			v := math.Log10(math.Max(b.Hi, 0.01))
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if math.IsInf(lo, 0) {
		lo, hi = 0, 3
	}
	lo, hi = math.Floor(lo), math.Ceil(hi)
	if hi <= lo {
		hi = lo + 1
	}
	rp := panel{r: image.Rect(740, 70, 1240, 460), x0: lo, x1: hi, y0: 0, y1: 1, logX: true}
	c.axes(rp, title2, "LATENCY (US)", "CDF")
	for e := lo; e <= hi; e++ {
		v := math.Pow(10, e)
		x := rp.px(v)
		c.fill(image.Rect(x, rp.r.Min.Y, x+1, rp.r.Max.Y), grid)
		lbl := trimFloat(v)
		c.text(x-textWidth(lbl)/2, rp.r.Max.Y+10, lbl, black)
	}
	for i, d := range dists {
		col := palette[i%len(palette)]
		for k, s := range series {
			if s.Name == d.Name {
				col = palette[k%len(palette)]
			}
		}
		total := 0.0
		for _, b := range d.Buckets {
			total += b.Count
		}
		if total == 0 {
			continue
		}
		cum := 0.0
		px, py := -1, -1
		for _, b := range d.Buckets {
			cum += b.Count
			x, y := rp.px(math.Max(b.Hi, 0.01)), rp.py(cum/total)
			if px >= 0 {
				c.line(px, py, x, py, col)
				c.line(x, py, x, y, col)
			}
			px, py = x, y
		}
	}
	return c.RGBA
}

func sortFloats(v []float64) {
	for i := 1; i < len(v); i++ {
		for j := i; j > 0 && v[j] < v[j-1]; j-- {
			v[j], v[j-1] = v[j-1], v[j]
		}
	}
}

// EncodePNG writes img as PNG.
func EncodePNG(w io.Writer, img image.Image) error { return png.Encode(w, img) }
