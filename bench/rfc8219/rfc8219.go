// Package rfc8219 implements the benchmarking procedures of RFC 8219
// ("Benchmarking Methodology for IPv6 Transition Technologies") that apply
// to a stateless translator (SIIT, RFC 7915), on top of an abstract
// Tester that runs one trial: throughput by binary search (RFC 8219
// section 7.1 / RFC 2544 section 26.1), frame loss rate (section 7.3 /
// RFC 2544 section 26.3), latency (section 7.2: median and 99.9th
// percentile at the throughput rate) and packet delay variation (section
// 7.3.1, RFC 5481). The logic here is pure and unit-tested against a fake
// device under test; package bench/cmd/xlatd-bench supplies the real
// Tester (AF_XDP generator and sink on a netns testbed).
//
// Stateful NAT64 per RFC 9693 extends this through the StatefulTester
// interface in rfc9693.go.
package rfc8219

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/xlatd/xlatd/bench/gen"
)

// Direction of the traffic through the translator.
type Direction int

const (
	Dir6to4  Direction = iota // IPv6 host -> translator -> IPv4 host
	Dir4to6                   // IPv4 host -> translator -> IPv6 host
	DirBidir                  // both at once, the same rate in each direction
)

func (d Direction) String() string {
	switch d {
	case Dir6to4:
		return "6to4"
	case Dir4to6:
		return "4to6"
	case DirBidir:
		return "bidir"
	}
	return fmt.Sprintf("Direction(%d)", int(d))
}

// ParseDirection is the inverse of String.
func ParseDirection(s string) (Direction, error) {
	for _, d := range []Direction{Dir6to4, Dir4to6, DirBidir} {
		if d.String() == s {
			return d, nil
		}
	}
	return 0, fmt.Errorf("rfc8219: unknown direction %q (6to4, 4to6, bidir)", s)
}

// FrameSizes are RFC 8219 section 5.1's frame sizes on the IPv6 side
// (FCS included); the IPv4 side is 20 bytes shorter.
var FrameSizes = []int{84, 128, 256, 512, 1024, 1280, 1518}

// IPv4FrameSize is the IPv4-side frame size matching an IPv6-side size.
func IPv4FrameSize(ipv6Size int) int { return ipv6Size - 20 }

// Trial is one fixed-rate, fixed-duration test (RFC 2544 "trial").
type Trial struct {
	Direction Direction
	FrameSize int           // IPv6 side, FCS included
	Rate      float64       // offered packets/s per direction; 0 = as fast as the generator goes
	Duration  time.Duration // sending time
}

// TrialResult is what the sink saw, summed over directions for DirBidir.
type TrialResult struct {
	Sent      uint64
	Received  uint64 // unique benchmark frames received
	Reordered uint64
	Dup       uint64
	Offered   float64 // achieved send rate per direction, packets/s
	Elapsed   time.Duration
	Latency   *gen.Histogram // one-way delay, ns (may be nil)
	IPDV      *gen.Histogram // |D(i)-D(i-1)|, ns (may be nil)
}

// Lost is Sent - Received (never negative).
func (r TrialResult) Lost() uint64 {
	if r.Received >= r.Sent {
		return 0
	}
	return r.Sent - r.Received
}

// LossRatio is the RFC 2544 frame loss rate as a fraction.
func (r TrialResult) LossRatio() float64 {
	if r.Sent == 0 {
		return 0
	}
	return float64(r.Lost()) / float64(r.Sent)
}

// ReceivedRate is the forwarding rate seen by the sink, packets/s per direction.
func (r TrialResult) ReceivedRate() float64 {
	if r.Sent == 0 {
		return 0
	}
	return r.Offered * float64(r.Received) / float64(r.Sent)
}

// Tester runs one trial against the device under test.
type Tester interface {
	Trial(ctx context.Context, t Trial) (TrialResult, error)
}

// SearchConfig tunes the throughput binary search.
type SearchConfig struct {
	TrialDuration time.Duration // per trial (RFC 2544: 60 s; short trials here for a 10-minute run)
	MaxRate       float64       // upper bound, packets/s per direction; 0 = the generator's unpaced rate
	Precision     float64       // stop when (hi-lo)/hi <= Precision (default 0.02)
	MaxIterations int           // bound on trials after the first (default 8)
	LossTolerance float64       // acceptable loss fraction: 0 is RFC 8219's zero-loss throughput
	MinTrialSent  uint64        // trials that sent fewer packets are invalid (default 1000)
	Retries       int           // repeat an invalid trial this often before giving up (default 2)
}

func (c SearchConfig) withDefaults() SearchConfig {
	if c.TrialDuration <= 0 {
		c.TrialDuration = time.Second
	}
	if c.Precision <= 0 {
		c.Precision = 0.02
	}
	if c.MaxIterations <= 0 {
		c.MaxIterations = 8
	}
	if c.MinTrialSent == 0 {
		c.MinTrialSent = 1000
	}
	if c.Retries <= 0 {
		c.Retries = 2
	}
	return c
}

// Step is one trial of a search, for the record.
type Step struct {
	Target   float64 `json:"target_pps"`  // requested rate (0 = unpaced)
	Offered  float64 `json:"offered_pps"` // achieved send rate
	Sent     uint64  `json:"sent"`
	Received uint64  `json:"received"`
	Pass     bool    `json:"pass"`
}

// Throughput is the outcome of SearchThroughput.
type Throughput struct {
	Rate float64 // highest offered rate that passed, packets/s per direction (0: none passed)
	// GeneratorBound is true when the generator's own top rate passed:
	// the DUT was not saturated and Rate is the generator's ceiling.
	GeneratorBound bool
	Steps          []Step
	Best           TrialResult // the passing trial at Rate
}

// ErrTooFewPackets: a trial sent too few packets to judge.
var ErrTooFewPackets = errors.New("rfc8219: trial sent too few packets")

func (c SearchConfig) pass(r TrialResult) bool {
	return r.Sent > 0 && r.LossRatio() <= c.LossTolerance
}

// SearchThroughput finds the highest rate the DUT forwards without loss
// (beyond LossTolerance) by binary search, RFC 2544 section 26.1. The
// first trial runs at MaxRate (or unpaced); if it passes, that is the
// answer. Otherwise the search runs between 0 and the first trial's
// offered rate, probing first just below the forwarding rate the DUT
// showed under overload, which usually saves several iterations.
func SearchThroughput(ctx context.Context, tr Tester, dir Direction, size int, c SearchConfig) (Throughput, error) {
	c = c.withDefaults()
	var out Throughput
	// A trial must send MinTrialSent packets, or half of what its rate
	// promises when that is less (a slow DUT probed at a low rate).
	need := func(rate float64) uint64 {
		if rate > 0 {
			if e := uint64(rate * c.TrialDuration.Seconds() / 2); e < c.MinTrialSent {
				return max(e, 1)
			}
		}
		return c.MinTrialSent
	}
	run := func(rate float64) (TrialResult, bool, error) {
		var r TrialResult
		var err error
		// A generator starved of CPU may send too little to judge: retry.
		for try := 0; try <= c.Retries; try++ {
			r, err = tr.Trial(ctx, Trial{Direction: dir, FrameSize: size, Rate: rate, Duration: c.TrialDuration})
			if err != nil {
				return r, false, err
			}
			if r.Sent >= need(rate) {
				break
			}
		}
		if r.Sent < need(rate) {
			return r, false, fmt.Errorf("%w: %d at %.0f pps", ErrTooFewPackets, r.Sent, rate)
		}
		p := c.pass(r)
		out.Steps = append(out.Steps, Step{Target: rate, Offered: r.Offered, Sent: r.Sent, Received: r.Received, Pass: p})
		if p && r.Offered > out.Rate {
			out.Rate, out.Best = r.Offered, r
		}
		return r, p, nil
	}
	first, ok, err := run(c.MaxRate)
	if err != nil {
		return out, err
	}
	if ok {
		out.GeneratorBound = c.MaxRate == 0
		return out, nil
	}
	lo, hi := 0.0, first.Offered
	if c.MaxRate > 0 && c.MaxRate < hi {
		hi = c.MaxRate
	}
	probe := first.ReceivedRate() * 0.98
	for i := 0; i < c.MaxIterations; i++ {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		if hi-lo <= c.Precision*hi {
			break
		}
		mid := (lo + hi) / 2
		if i == 0 && probe > lo && probe < hi {
			mid = probe
		}
		r, ok, err := run(mid)
		if err != nil {
			return out, err
		}
		if ok {
			// The generator may fall short of mid; what passed is what was offered.
			got := r.Offered
			if got > mid {
				got = mid
			}
			if got > lo {
				lo = got
			}
			if r.Offered < mid*0.95 {
				// The generator cannot go higher: searching above is moot.
				hi = r.Offered
			}
		} else {
			hi = mid
		}
	}
	return out, nil
}

// LossPoint is one frame loss rate measurement.
type LossPoint struct {
	Target   float64 `json:"target_pps"`
	Offered  float64 `json:"offered_pps"`
	Sent     uint64  `json:"sent"`
	Received uint64  `json:"received"`
	LossRate float64 `json:"loss_rate"` // fraction
}

// FrameLossRate measures the loss at each of rates (RFC 2544 section
// 26.3, RFC 8219 section 7.3): typically 100%, 90%, ... of the maximum
// frame rate, stopping early after two consecutive trials without loss.
func FrameLossRate(ctx context.Context, tr Tester, dir Direction, size int, rates []float64, d time.Duration) ([]LossPoint, error) {
	var out []LossPoint
	clean := 0
	for _, rate := range rates {
		r, err := tr.Trial(ctx, Trial{Direction: dir, FrameSize: size, Rate: rate, Duration: d})
		if err != nil {
			return out, err
		}
		out = append(out, LossPoint{Target: rate, Offered: r.Offered, Sent: r.Sent, Received: r.Received, LossRate: r.LossRatio()})
		if r.Lost() == 0 {
			clean++
			if clean == 2 {
				break
			}
		} else {
			clean = 0
		}
	}
	return out, nil
}

// Latency summarises one-way delay at a rate (RFC 8219 section 7.2 asks
// for the typical (median) and worst-case (99.9th percentile) latency at
// the throughput rate; section 7.3.1 PDV = D99.9 - Dmin; section 7.3.2
// IPDV at the 99.9th percentile).
type Latency struct {
	Rate    float64 `json:"rate_pps"`
	Samples uint64  `json:"samples"`
	MinNs   int64   `json:"min_ns"`
	Median  int64   `json:"median_ns"`
	P99     int64   `json:"p99_ns"`
	P999    int64   `json:"p99_9_ns"`
	MaxNs   int64   `json:"max_ns"`
	PDVNs   int64   `json:"pdv_ns"`
	IPDVNs  int64   `json:"ipdv_p99_9_ns"`
	Lost    uint64  `json:"lost"`
}

// Summarize extracts the RFC 8219 latency figures from a trial.
func Summarize(r TrialResult) Latency {
	l := Latency{Rate: r.Offered, Lost: r.Lost()}
	if h := r.Latency; h != nil && h.N > 0 {
		l.Samples = h.N
		l.MinNs = h.Min
		l.Median = h.Quantile(0.5)
		l.P99 = h.Quantile(0.99)
		l.P999 = h.Quantile(0.999)
		l.MaxNs = h.Max
		l.PDVNs = l.P999 - l.MinNs
	}
	if h := r.IPDV; h != nil && h.N > 0 {
		l.IPDVNs = h.Quantile(0.999)
	}
	return l
}

// MeasureLatency runs one trial at rate (normally the throughput) and
// summarises its delays. The trial's histogram is returned as well for
// distribution charts.
func MeasureLatency(ctx context.Context, tr Tester, dir Direction, size int, rate float64, d time.Duration) (Latency, TrialResult, error) {
	r, err := tr.Trial(ctx, Trial{Direction: dir, FrameSize: size, Rate: rate, Duration: d})
	if err != nil {
		return Latency{}, r, err
	}
	return Summarize(r), r, nil
}
