package chart

import (
	"bytes"
	"image"
	"image/png"
	"math"
	"testing"

	"gonum.org/v1/plot/vg"
)

func render(t *testing.T, draw func() ([]byte, error)) image.Image {
	t.Helper()
	b, err := draw()
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	want := int(math.Round(float64(Width/vg.Inch) * float64(DPI)))
	if img.Bounds().Dx() != want {
		t.Fatalf("width %d px, want %d", img.Bounds().Dx(), want)
	}
	return img
}

// pixels counts the pixels of colour i of the palette.
func pixels(img image.Image, i int) int {
	c := Palette[i]
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if uint8(r>>8) == c.R && uint8(g>>8) == c.G && uint8(bl>>8) == c.B {
				n++
			}
		}
	}
	return n
}

func TestThroughput(t *testing.T) {
	nan := math.NaN()
	series := []Series{
		{Name: "generator", X: []float64{84, 128, 1518}, Y: []float64{2.1, 2.0, 0.9}},
		{Name: "xlatd", X: []float64{84, 1518}, Y: []float64{0.8, 0.5}, Lo: []float64{0.8, 0.5}, Hi: []float64{0.9, nan}},
		{Name: "empty"},
		{Name: "zero", X: []float64{84}, Y: []float64{0}}, // no point on a log axis
	}
	for _, logY := range []bool{true, false} {
		img := render(t, func() ([]byte, error) {
			p, err := Throughput("throughput", series, logY)
			if err != nil {
				return nil, err
			}
			var buf bytes.Buffer
			err = WritePNG(&buf, p)
			return buf.Bytes(), err
		})
		for i := 0; i < 2; i++ {
			if pixels(img, i) < 50 {
				t.Errorf("log=%v: series %d colour barely drawn (%d px)", logY, i, pixels(img, i))
			}
		}
	}
	// Nothing to draw must not fail.
	if p, err := Throughput("", nil, true); err != nil || WritePNG(&bytes.Buffer{}, p) != nil {
		t.Fatal(err)
	}
}

func TestLatency(t *testing.T) {
	dists := []Dist{
		{Name: "xlatd", Buckets: []DistBucket{{Hi: 3, Count: 10}, {Hi: 30, Count: 80}, {Hi: 900, Count: 10}}},
		{Name: "kernel", Buckets: []DistBucket{{Hi: 50, Count: 1}, {Hi: 5000, Count: 1}}},
		{Name: "none"},
	}
	img := render(t, func() ([]byte, error) {
		p, err := Latency("latency", dists)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		err = WritePNG(&buf, p)
		return buf.Bytes(), err
	})
	if pixels(img, 0) < 50 || pixels(img, 1) < 20 {
		t.Errorf("CDF lines barely drawn: %d, %d px", pixels(img, 0), pixels(img, 1))
	}
	if p, err := Latency("", nil); err != nil || WritePNG(&bytes.Buffer{}, p) != nil {
		t.Fatal(err)
	}
}

func TestLogTicks(t *testing.T) {
	ticks := logTicks{}.Ticks(0.01, 1)
	labels := map[string]bool{}
	for _, tk := range ticks {
		if tk.Label != "" {
			labels[tk.Label] = true
		}
	}
	for _, want := range []string{"0.01", "0.1", "1"} {
		if !labels[want] {
			t.Errorf("no tick labelled %s in %v", want, ticks)
		}
	}
}

func TestBars(t *testing.T) {
	p, err := Bars("NAT", "flows", "Mpps", []string{"10000", "1000000"}, []BarSeries{
		{Name: "xlatd", Values: []float64{0.23, 0.15}},
		{Name: "kernel_nat44", Values: []float64{0.08, math.NaN()}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WritePNG(&b, p); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b.Bytes(), []byte("\x89PNG")) {
		t.Fatalf("not a PNG")
	}
	if _, err := Bars("NAT", "flows", "Mpps", []string{"a"}, []BarSeries{{Name: "x", Values: []float64{0}}}); err == nil {
		t.Errorf("no positive value: want an error")
	}
}
