package chart

import (
	"bytes"
	"image/png"
	"testing"
)

func TestDraw(t *testing.T) {
	series := []Series{
		{Name: "generator", X: []float64{84, 128, 1518}, Y: []float64{2.1, 2.0, 0.9}},
		{Name: "xlatd", X: []float64{84, 1518}, Y: []float64{0.8, 0.5}},
		{Name: "empty"},
	}
	dists := []Dist{{Name: "xlatd", Buckets: []DistBucket{{Hi: 3, Count: 10}, {Hi: 30, Count: 80}, {Hi: 900, Count: 10}}}}
	img := Draw("THROUGHPUT", series, "LATENCY", dists)
	var buf bytes.Buffer
	if err := EncodePNG(&buf, img); err != nil {
		t.Fatal(err)
	}
	back, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if back.Bounds().Dx() != width {
		t.Fatal("size")
	}
	// The xlatd series colour must appear in both panels.
	col := palette[1]
	left, right := 0, 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if img.RGBAAt(x, y) == col {
				if x < 640 {
					left++
				} else {
					right++
				}
			}
		}
	}
	if left == 0 || right == 0 {
		t.Fatalf("series colour: %d px left, %d px right", left, right)
	}
	// Nothing to draw must not panic.
	Draw("", nil, "", nil)
}

func TestGlyphsCovered(t *testing.T) {
	for _, r := range "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ.,-_/()%:*=<>" {
		if _, ok := glyphs[r]; !ok {
			t.Errorf("no glyph for %q", r)
		}
	}
}
