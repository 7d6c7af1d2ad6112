package rfc8219

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/xlatd/xlatd/bench/gen"
)

// fakeDUT forwards up to capacity packets/s without loss and loses the
// excess; the generator tops out at genMax. Latency grows with load.
type fakeDUT struct {
	capacity float64
	genMax   float64
	trials   []Trial
}

func (f *fakeDUT) Trial(_ context.Context, t Trial) (TrialResult, error) {
	f.trials = append(f.trials, t)
	rate := t.Rate
	if rate == 0 || rate > f.genMax {
		rate = f.genMax
	}
	n := t.Duration.Seconds()
	if t.Direction == DirBidir {
		n *= 2
	}
	sent := uint64(rate * n)
	recv := sent
	if rate > f.capacity {
		recv = uint64(f.capacity * n)
	}
	var h gen.Histogram
	for i := uint64(0); i < recv && i < 10000; i++ {
		h.Record(int64(10000 + 10*(i%1000)))
	}
	return TrialResult{Sent: sent, Received: recv, Offered: rate, Elapsed: t.Duration, Latency: &h}, nil
}

func TestSearchThroughputFindsCapacity(t *testing.T) {
	for _, capacity := range []float64{10e3, 123456, 700e3, 999e3} {
		f := &fakeDUT{capacity: capacity, genMax: 1e6}
		res, err := SearchThroughput(context.Background(), f, Dir6to4, 84, SearchConfig{TrialDuration: time.Second, Precision: 0.01, MaxIterations: 20})
		if err != nil {
			t.Fatal(err)
		}
		if res.Rate > capacity || res.Rate < capacity*0.98 {
			t.Errorf("capacity %.0f: found %.0f after %d trials", capacity, res.Rate, len(res.Steps))
		}
		if res.GeneratorBound {
			t.Errorf("capacity %.0f: generator bound reported", capacity)
		}
		if len(res.Steps) > 22 {
			t.Errorf("%d trials", len(res.Steps))
		}
		if res.Best.Lost() != 0 {
			t.Errorf("best trial lost %d", res.Best.Lost())
		}
	}
}

func TestSearchThroughputGeneratorBound(t *testing.T) {
	f := &fakeDUT{capacity: 2e6, genMax: 1e6}
	res, err := SearchThroughput(context.Background(), f, DirBidir, 1518, SearchConfig{TrialDuration: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if !res.GeneratorBound || res.Rate != 1e6 || len(res.Steps) != 1 {
		t.Fatalf("%+v", res)
	}
}

func TestSearchThroughputIterationBound(t *testing.T) {
	f := &fakeDUT{capacity: 333333, genMax: 1e6}
	res, err := SearchThroughput(context.Background(), f, Dir4to6, 128, SearchConfig{TrialDuration: 100 * time.Millisecond, Precision: 1e-9, MaxIterations: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Steps) != 4 {
		t.Fatalf("%d trials, want 1+3", len(res.Steps))
	}
	if res.Rate > 333333 {
		t.Fatalf("rate %.0f above capacity", res.Rate)
	}
}

func TestSearchThroughputTolerance(t *testing.T) {
	// 1% loss tolerated: a DUT with capacity c passes up to c/0.99.
	f := &fakeDUT{capacity: 500e3, genMax: 1e6}
	res, _ := SearchThroughput(context.Background(), f, Dir6to4, 84, SearchConfig{TrialDuration: 100 * time.Millisecond, Precision: 0.001, MaxIterations: 30, LossTolerance: 0.01})
	if want := 500e3 / 0.99; math.Abs(res.Rate-want) > want*0.005 {
		t.Fatalf("rate %.0f, want about %.0f", res.Rate, want)
	}
}

func TestSearchTooFewPackets(t *testing.T) {
	f := &fakeDUT{capacity: 1e6, genMax: 1e6}
	_, err := SearchThroughput(context.Background(), f, Dir6to4, 84, SearchConfig{TrialDuration: time.Microsecond, Retries: 2})
	if err == nil {
		t.Fatal("trial of 1 packet accepted")
	}
	if len(f.trials) != 3 {
		t.Fatalf("%d trials, want 1 + 2 retries", len(f.trials))
	}
}

func TestFrameLossRate(t *testing.T) {
	f := &fakeDUT{capacity: 500e3, genMax: 1e6}
	pts, err := FrameLossRate(context.Background(), f, Dir6to4, 84, []float64{1e6, 900e3, 800e3, 500e3, 400e3, 300e3, 200e3}, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 5 {
		t.Fatalf("%d points, want stop after two clean trials", len(pts))
	}
	if math.Abs(pts[0].LossRate-0.5) > 1e-6 || pts[3].LossRate != 0 {
		t.Fatalf("%+v", pts)
	}
}

func TestMeasureLatency(t *testing.T) {
	f := &fakeDUT{capacity: 500e3, genMax: 1e6}
	l, _, err := MeasureLatency(context.Background(), f, Dir6to4, 84, 400e3, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if l.Samples != 10000 || l.MinNs != 10000 || l.Median < 14500 || l.Median > 15500 || l.P999 < 19000 || l.PDVNs != l.P999-l.MinNs {
		t.Fatalf("%+v", l)
	}
}

func TestDirections(t *testing.T) {
	for _, d := range []Direction{Dir6to4, Dir4to6, DirBidir} {
		p, err := ParseDirection(d.String())
		if err != nil || p != d {
			t.Fatal(d, p, err)
		}
	}
	if _, err := ParseDirection("sideways"); err == nil {
		t.Fatal("bad direction accepted")
	}
	if IPv4FrameSize(84) != 64 {
		t.Fatal("84 -> 64")
	}
}

func TestPortsRFC4814(t *testing.T) {
	p := NewPorts(42)
	var srcSeen, dstSeen [65536]bool
	distinct := 0
	for i := 0; i < 200000; i++ {
		s, d := p.Next()
		if s < 1024 || d < 1 || d > 49151 {
			t.Fatalf("port out of range: %d %d", s, d)
		}
		if !srcSeen[s] {
			distinct++
		}
		srcSeen[s], dstSeen[d] = true, true
	}
	if distinct < 60000 {
		t.Fatalf("only %d distinct source ports", distinct)
	}
	if !srcSeen[1024] && !srcSeen[65535] {
		t.Fatal("range ends never drawn")
	}
}

type fakeNAT64 struct {
	fakeDUT
	maxConnRate float64
	cleared     int
}

func (f *fakeNAT64) Connections(_ context.Context, c ConnTrial) (ConnResult, error) {
	est := c.Connections
	if c.Rate > f.maxConnRate {
		est = int(float64(c.Connections) * f.maxConnRate / c.Rate)
	}
	return ConnResult{Attempted: c.Connections, Established: est, Offered: c.Rate}, nil
}
func (f *fakeNAT64) ClearState(context.Context) error { f.cleared++; return nil }

func TestSearchConnectionRate(t *testing.T) {
	f := &fakeNAT64{maxConnRate: 250e3}
	best, steps, err := SearchConnectionRate(context.Background(), f, ConnTrial{Connections: 100000}, 1e6, SearchConfig{Precision: 0.01, MaxIterations: 20})
	if err != nil {
		t.Fatal(err)
	}
	if best > 250e3 || best < 245e3 {
		t.Fatalf("best %.0f", best)
	}
	if f.cleared != len(steps) {
		t.Fatal("state not cleared before each trial")
	}
}
