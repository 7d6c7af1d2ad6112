package rfc8219

import (
	"context"
	"errors"
	"time"
)

// RFC 9693 ("Benchmarking Methodology for Stateful NATxy Gateways")
// extends RFC 8219 for stateful NAT64. The pieces below are the seams the
// NAT64 mode will plug into; nothing here fabricates a result.
//
// The netns testbed's RFC 9693 suite is bench/cmd/xlatd-bench/nat.go
// (xlatd-bench -suite nat64, make bench-nat64): bench/gen.Flows varies the
// 5-tuple per frame (RFC 4814 ports in RFC 9693's restricted ranges), the
// setup rate is SearchThroughput over trials whose every frame opens a new
// flow, and the preliminary phase, state count (table capacity) and
// tear-down are measured around it. The interfaces below remain for other
// testers (TRex, hardware) that cannot reuse the netns Tester.

// Ports draws pseudorandom UDP source and destination ports uniformly from
// the RFC 4814 section 4.5 ranges (source 1024-65535, destination 1-49151
// by default), so that a stateful NAT64 sees many flows. xorshift64*:
// cheap, deterministic per seed, no allocation.
type Ports struct {
	SrcMin, SrcMax uint16
	DstMin, DstMax uint16
	state          uint64
}

// NewPorts returns RFC 4814's default ranges seeded with seed (not zero).
func NewPorts(seed uint64) *Ports {
	if seed == 0 {
		seed = 0x9E3779B97F4A7C15
	}
	return &Ports{SrcMin: 1024, SrcMax: 65535, DstMin: 1, DstMax: 49151, state: seed}
}

func (p *Ports) next() uint64 {
	x := p.state
	x ^= x >> 12
	x ^= x << 25
	x ^= x >> 27
	p.state = x
	return x * 0x2545F4914F6CDD1D
}

func uniform(r uint64, lo, hi uint16) uint16 {
	n := uint64(hi) - uint64(lo) + 1
	return lo + uint16((r>>32)*n>>32)
}

// Next returns the next source and destination port pair.
func (p *Ports) Next() (src, dst uint16) {
	r := p.next()
	return uniform(r, p.SrcMin, p.SrcMax), uniform(r<<32, p.DstMin, p.DstMax)
}

// ConnTrial is one RFC 9693 preliminary-phase trial: create Connections
// distinct flows at Rate connections/s.
type ConnTrial struct {
	Direction   Direction
	FrameSize   int
	Connections int
	Rate        float64
	Timeout     time.Duration // how long the state must survive (UDP timeout margin)
}

// ConnResult is what the validation phase observed.
type ConnResult struct {
	Attempted   int
	Established int // connections whose validation frames all came through
	Offered     float64
}

// StatefulTester is the Tester of a stateful NAT64 DUT.
type StatefulTester interface {
	Tester
	// Connections runs a preliminary phase creating c.Connections flows,
	// then a validation phase that checks each flow passes.
	Connections(ctx context.Context, c ConnTrial) (ConnResult, error)
	// ClearState empties the DUT's state table (waits for timeouts or
	// restarts the DUT), as RFC 9693 section 4.4 requires between trials.
	ClearState(ctx context.Context) error
}

// ErrStatelessDUT: the DUT does not keep per-flow state.
var ErrStatelessDUT = errors.New("rfc8219: RFC 9693 measurements need a stateful NAT64 DUT")

// SearchConnectionRate finds the highest connection establishment rate at
// which every connection is established (RFC 9693 section 7.1), by the
// same binary search as SearchThroughput, between 0 and maxRate.
func SearchConnectionRate(ctx context.Context, st StatefulTester, c ConnTrial, maxRate float64, cfg SearchConfig) (float64, []Step, error) {
	cfg = cfg.withDefaults()
	var steps []Step
	lo, hi := 0.0, maxRate
	best := 0.0
	for i := 0; i <= cfg.MaxIterations && hi-lo > cfg.Precision*hi; i++ {
		rate := hi
		if i > 0 {
			rate = (lo + hi) / 2
		}
		if err := st.ClearState(ctx); err != nil {
			return best, steps, err
		}
		t := c
		t.Rate = rate
		r, err := st.Connections(ctx, t)
		if err != nil {
			return best, steps, err
		}
		ok := r.Attempted > 0 && r.Established == r.Attempted
		steps = append(steps, Step{Target: rate, Offered: r.Offered, Sent: uint64(r.Attempted), Received: uint64(r.Established), Pass: ok})
		if ok {
			lo = rate
			if rate > best {
				best = rate
			}
			if i == 0 {
				break
			}
		} else {
			hi = rate
		}
	}
	return best, steps, nil
}
