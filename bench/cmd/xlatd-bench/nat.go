package main

// The RFC 9693 suite (-suite nat64): stateful NAT side by side on the same
// testbed and generator. For each DUT it measures, in this order:
//
//  1. the maximum connection establishment rate (RFC 9693):
//     trials whose every frame is the first of a new flow (a fresh window
//     of the flow space, and the DUT's table emptied first when it can be),
//     binary search for the highest rate at which (nearly) every setup
//     frame comes through;
//  2. for each flow count (-nat-flows, default 10k and 1M): a preliminary
//     phase (RFC 9693, phase 1) sending each flow once at a
//     rate well below the setup rate, the DUT's state count afterwards
//     (connection tracking table capacity: the count stops
//     growing at the capacity), then the throughput search (phase 2) with a
//     pseudorandom flow of the window per frame (RFC 4814) and the latency
//     at that rate;
//  3. the connection tear-down rate: the time to empty a
//     table holding the largest flow count minus the time to empty an
//     empty one (bench/testbed.sh clear: conntrack -F for the kernel
//     cases, xlatd nat64 flush for xlatd).
//
// The generator case measures the generator's own ceiling with the same
// flows. xlatd runs with translate.mode = "nat64"; until the daemon accepts
// it, bench/testbed.sh start xlatd_nat64 fails with -check's reason, which
// the report prints in place of xlatd's figures.

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/xlatd/xlatd/bench/chart"
	"github.com/xlatd/xlatd/bench/gen"
	"github.com/xlatd/xlatd/bench/rfc8219"
	"github.com/xlatd/xlatd/header"
)

// natCases are the cases of the nat64 suite, "generator" first.
var natCases = []string{"generator", "xlatd", "kernel_nat44", "tayga_nat44"}

// natTestbedCase is bench/testbed.sh's name of a nat64 suite case.
func natTestbedCase(c string) string {
	if c == "xlatd" {
		return "xlatd_nat64"
	}
	return c
}

// Sources of the flows (bench/testbed.sh): the IPv6 host's subscribers and,
// for kernel_nat44, the IPv4 inside addresses.
var (
	natSrc6 = netip.MustParseAddr("2001:db8:1::1000")
	natSrc4 = netip.MustParseAddr("192.0.2.1")
)

type natOptions struct {
	flowsText  string
	flows      []uint64
	srcAddrs   int
	srcPorts   int
	dstPorts   int
	prelimRate float64
	prelimMax  float64
	teardown   bool
	reverse    bool
}

func natFlags(fs *flag.FlagSet, n *natOptions) {
	fs.StringVar(&n.flowsText, "nat-flows", "10000,1000000", "nat64: concurrent flow counts (preliminary phase, then throughput)")
	fs.IntVar(&n.srcAddrs, "nat-src-addrs", 128, "nat64: source addresses (IPv6 subscribers; <= 128, testbed.sh's NAT_SRC_ADDRS)")
	fs.IntVar(&n.srcPorts, "nat-src-ports", 8192, "nat64: source ports per address (1024 on)")
	fs.IntVar(&n.dstPorts, "nat-dst-ports", 4, "nat64: destination ports (9 on)")
	fs.Float64Var(&n.prelimRate, "nat-prelim-rate", 0, "nat64: preliminary phase rate, flows/s (0: half the measured setup rate, at most -nat-prelim-max)")
	fs.Float64Var(&n.prelimMax, "nat-prelim-max", 200e3, "nat64: highest automatic preliminary phase rate, flows/s")
	fs.BoolVar(&n.teardown, "nat-teardown", true, "nat64: measure the tear-down rate where the DUT's table can be emptied")
	fs.BoolVar(&n.reverse, "nat-reverse", true, "nat64: also the throughput IPv4 -> IPv6 to the flows the preliminary phase created")
}

func (n *natOptions) parse() error {
	n.flows = nil
	for _, s := range strings.Split(n.flowsText, ",") {
		v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
		if err != nil || v == 0 {
			return fmt.Errorf("-nat-flows %q: want positive counts", n.flowsText)
		}
		n.flows = append(n.flows, v)
	}
	if n.srcAddrs < 1 || n.srcAddrs > 128 || n.srcPorts < 1 || n.srcPorts > 64512 || n.dstPorts < 1 || n.dstPorts > 1000 {
		return errors.New("-nat-src-addrs 1..128, -nat-src-ports 1..64512, -nat-dst-ports 1..1000")
	}
	sp := n.space()
	for _, f := range n.flows {
		// The flows of the throughput windows come first; the setup rate
		// trials take fresh ones after the largest window.
		if f > sp.Size()/2 {
			return fmt.Errorf("-nat-flows %d: more than half the flow space (%d = %d addresses x %d source ports x %d destination ports)",
				f, sp.Size(), n.srcAddrs, n.srcPorts, n.dstPorts)
		}
	}
	return nil
}

func (n *natOptions) space() gen.FlowSpace {
	return gen.FlowSpace{SrcAddrs: n.srcAddrs, SrcPortMin: 1024, SrcPortMax: uint16(1024 + n.srcPorts - 1),
		DstPortMin: benchPort, DstPortMax: benchPort + uint16(n.dstPorts) - 1}
}

func (n *natOptions) maxFlows() uint64 {
	var m uint64
	for _, f := range n.flows {
		m = max(m, f)
	}
	return m
}

// NATCell is one flow count of one case.
type NATCell struct {
	Flows          uint64           `json:"flows"`
	FrameSize      int              `json:"frame_size"`
	PrelimRate     float64          `json:"prelim_rate"`
	PrelimSent     uint64           `json:"prelim_sent"`
	PrelimReceived uint64           `json:"prelim_received"`
	StateEntries   int64            `json:"state_entries"`  // after the preliminary phase; -1 unknown
	Learned        int              `json:"learned_tuples"` // flows the sink saw come out of the DUT in the preliminary phase
	ThroughputPPS  float64          `json:"throughput_pps"`
	GeneratorBound bool             `json:"generator_bound"`
	Steps          []rfc8219.Step   `json:"steps"`
	Latency        *rfc8219.Latency `json:"latency,omitempty"`
	Error          string           `json:"error,omitempty"`
	// The reverse direction: the IPv4 host sends to the pool4 addresses
	// and ports the sink learned in the preliminary phase.
	ReversePPS   float64        `json:"reverse_throughput_pps,omitempty"`
	ReverseBound bool           `json:"reverse_generator_bound,omitempty"`
	ReverseSteps []rfc8219.Step `json:"reverse_steps,omitempty"`
	ReverseError string         `json:"reverse_error,omitempty"`
}

// NATCase is everything measured for one DUT.
type NATCase struct {
	Case              string         `json:"case"`
	Error             string         `json:"error,omitempty"` // the DUT did not start: nothing measured
	CPS               float64        `json:"setup_rate_cps"`
	CPSGeneratorBound bool           `json:"setup_rate_generator_bound"`
	CPSSteps          []rfc8219.Step `json:"setup_rate_steps,omitempty"`
	CPSError          string         `json:"setup_rate_error,omitempty"`
	Teardown          float64        `json:"teardown_rate_cps"`
	TeardownNote      string         `json:"teardown_note,omitempty"`
	Cells             []*NATCell     `json:"cells"`
}

// NATReport is the JSON document of a nat64 run.
type NATReport struct {
	Started   time.Time  `json:"started"`
	Finished  time.Time  `json:"finished"`
	Command   string     `json:"command"`
	Kernel    string     `json:"kernel"`
	CPUs      int        `json:"cpus"`
	Trial     string     `json:"trial"`
	Tolerance float64    `json:"loss_tolerance"`
	Space     string     `json:"flow_space"`
	Cases     []*NATCase `json:"cases"`
}

// natTester is the rfc8219.Tester of one case: Random over the window
// [0, window) (throughput), or, with cps, fresh Sequential flows from
// cpsNext on, every frame the first of its flow.
type natTester struct {
	b        *bed
	mk       func(size int, start, n uint64, order gen.FlowOrder) (leg, error)
	rev      func(size int) (leg, error) // reverse direction; nil: forward
	window   uint64
	cps      bool
	cpsBase  uint64
	cpsNext  uint64
	space    uint64
	clear    func() error // empties the DUT's table before a setup trial; nil: cannot
	clearErr error
}

func (nt *natTester) Trial(ctx context.Context, t rfc8219.Trial) (rfc8219.TrialResult, error) {
	count := nt.b.trialCount(t)
	if nt.rev != nil {
		l, err := nt.rev(t.FrameSize)
		if err != nil {
			return rfc8219.TrialResult{}, err
		}
		return nt.b.trialLegs(ctx, t, count, []leg{l})
	}
	if !nt.cps {
		l, err := nt.mk(t.FrameSize, 0, nt.window, gen.Random)
		if err != nil {
			return rfc8219.TrialResult{}, err
		}
		return nt.b.trialLegs(ctx, t, count, []leg{l})
	}
	if nt.clear != nil {
		if err := nt.clear(); err != nil {
			nt.clearErr = err
		}
	}
	if count > nt.space-nt.cpsBase {
		count = nt.space - nt.cpsBase
	}
	if nt.cpsNext+count > nt.space {
		// Out of fresh flows: start over (flows the DUT may still hold
		// unless its table was emptied).
		nt.cpsNext = nt.cpsBase
	}
	l, err := nt.mk(t.FrameSize, nt.cpsNext, count, gen.Sequential)
	if err != nil {
		return rfc8219.TrialResult{}, err
	}
	nt.cpsNext += count
	return nt.b.trialLegs(ctx, t, count, []leg{l})
}

// natLeg builds the traffic of case c: a template flow and its Flows.
func (b *bed) natLeg(c string, space gen.FlowSpace, size int, start, n uint64, order gen.FlowOrder, seed uint64) (leg, error) {
	var f gen.Flow
	var l leg
	wire := gen.WireLen(size)
	switch c {
	case "generator":
		f = flow(b.gx, b.sx, natSrc6, host4As6, macSX)
		l = leg{from: b.gx, to: b.sx, want: header.EtherTypeIPv6}
	case "xlatd", "tayga_nat44":
		f = flow(b.g6, b.s4, natSrc6, host4As6, macD6)
		l = leg{from: b.g6, to: b.s4, want: header.EtherTypeIPv4}
	case "kernel_nat44":
		// IPv4 in, IPv4 out: the frame is 20 bytes shorter, as the
		// translated one is.
		f = flow(b.g6, b.s4, natSrc4, host4, macD6)
		l = leg{from: b.g6, to: b.s4, want: header.EtherTypeIPv4}
		wire = gen.WireLen(rfc8219.IPv4FrameSize(size))
	default:
		return l, fmt.Errorf("unknown nat64 case %q", c)
	}
	var err error
	if l.tmpl, err = gen.NewTemplate(f, wire); err != nil {
		return l, err
	}
	fl, err := gen.NewFlows(l.tmpl, space, start, n, order, seed)
	if err != nil {
		return l, err
	}
	l.st = fl
	return l, nil
}

// natReplyLeg builds the reverse traffic of case c: from the IPv4 host to
// the learned tuples (pool4 addresses and ports).
func (b *bed) natReplyLeg(c string, size int, tuples []gen.Tuple, seed uint64) (leg, error) {
	l := leg{from: b.s4, to: b.g6, want: header.EtherTypeIPv6}
	if c == "kernel_nat44" {
		l.want = header.EtherTypeIPv4
	}
	f := gen.Flow{SrcMAC: macS4, DstMAC: macD4, Src: host4, Dst: netip.MustParseAddr("198.51.100.128"), SrcPort: benchPort, DstPort: 1024}
	var err error
	if l.tmpl, err = gen.NewTemplate(f, gen.WireLen(rfc8219.IPv4FrameSize(size))); err != nil {
		return l, err
	}
	r, err := gen.NewReplies(l.tmpl, tuples, seed)
	if err != nil {
		return l, err
	}
	l.st = r
	return l, nil
}

func stateEntries(o options, c string) int64 {
	out, err := testbedOut(o, "state", natTestbedCase(c))
	if err != nil {
		return -1
	}
	v, err := strconv.ParseInt(out, 10, 64)
	if err != nil {
		return -1
	}
	return v
}

func runNAT(ctx context.Context, o options) (*NATReport, error) {
	sp := o.nat.space()
	rep := &NATReport{Started: time.Now().UTC(), Command: strings.Join(os.Args, " "), Kernel: kernelRelease(), CPUs: runtime.NumCPU(),
		Trial: o.search.TrialDuration.String(), Tolerance: o.search.LossTolerance,
		Space: fmt.Sprintf("%d flows: %d source addresses x source ports %d-%d x destination ports %d-%d",
			sp.Size(), sp.SrcAddrs, sp.SrcPortMin, sp.SrcPortMax, sp.DstPortMin, sp.DstPortMax)}
	b, closeBed, err := openBed(o)
	if err != nil {
		return nil, err
	}
	defer closeBed()
	b.maxPPS = 4e6 // bounds the packets (and fresh flows) of an unpaced trial
	deadline := time.Now().Add(o.budget)
	for _, c := range o.cases {
		if ctx.Err() != nil {
			return rep, ctx.Err()
		}
		nc := &NATCase{Case: c}
		rep.Cases = append(rep.Cases, nc)
		if time.Now().After(deadline) {
			nc.Error = "time budget exhausted"
			continue
		}
		fmt.Fprintf(os.Stderr, "== %s (nat64 suite)\n", c)
		if err := testbedNAT(o, "start", c); err != nil {
			nc.Error = err.Error()
			fmt.Fprintln(os.Stderr, "  ", err)
			_ = testbedNAT(o, "stop", c)
			continue
		}
		measureNAT(ctx, o, b, nc, sp)
		if err := testbedNAT(o, "stop", c); err != nil {
			fmt.Fprintln(os.Stderr, "  ", err)
		}
	}
	return rep, nil
}

func testbedNAT(o options, verb, c string) error {
	_, err := testbedOut(o, verb, natTestbedCase(c))
	return err
}

func measureNAT(ctx context.Context, o options, b *bed, nc *NATCase, sp gen.FlowSpace) {
	c := nc.Case
	size := o.sizes[0]
	seed := uint64(0x5eed)
	mk := func(size int, start, n uint64, order gen.FlowOrder) (leg, error) {
		seed++
		return b.natLeg(c, sp, size, start, n, order, seed)
	}
	canClear := c != "generator"
	clear := func() error { return testbedNAT(o, "clear", c) }
	if canClear {
		if err := clear(); err != nil {
			canClear = false
		}
	}
	b.cas = c
	stateful := c != "generator"
	if stateful {
		nt := &natTester{b: b, mk: mk, cps: true, cpsBase: o.nat.maxFlows(), cpsNext: o.nat.maxFlows(), space: sp.Size()}
		if canClear {
			nt.clear = clear
		}
		th, err := rfc8219.SearchThroughput(ctx, nt, rfc8219.Dir6to4, size, o.search)
		nc.CPS, nc.CPSGeneratorBound, nc.CPSSteps = th.Rate, th.GeneratorBound, th.Steps
		if err != nil {
			nc.CPSError = err.Error()
		} else if nt.clearErr != nil {
			nc.CPSError = fmt.Sprintf("emptying the table between trials failed: %v", nt.clearErr)
		}
		mark := ""
		if th.GeneratorBound {
			mark = "* (generator bound)"
		}
		fmt.Fprintf(os.Stderr, "   %-12s setup rate %.0f conn/s%s (%d trials)\n", c, nc.CPS, mark, len(th.Steps))
		if canClear {
			_ = clear()
		}
	}
	prelim := o.nat.prelimRate
	if prelim <= 0 {
		prelim = min(nc.CPS/2, o.nat.prelimMax)
		if prelim <= 0 {
			prelim = 10e3
		}
	}
	var biggest int64 = -1
	learner := &gen.Learner{}
	for _, n := range o.nat.flows {
		if ctx.Err() != nil {
			return
		}
		cell := &NATCell{Flows: n, FrameSize: size, StateEntries: -1}
		nc.Cells = append(nc.Cells, cell)
		if stateful {
			// Phase 1: every flow once, in the permutation's order.
			l, err := mk(size, 0, n, gen.Sequential)
			if err != nil {
				cell.Error = err.Error()
				continue
			}
			l.learn = learner
			learner.Tuples = learner.Tuples[:0]
			d := time.Duration(float64(n) / prelim * float64(time.Second))
			r, err := b.trialLegs(ctx, rfc8219.Trial{Direction: rfc8219.Dir6to4, FrameSize: size, Rate: prelim, Duration: d*3/2 + time.Second}, n, []leg{l})
			cell.PrelimRate, cell.PrelimSent, cell.PrelimReceived = r.Offered, r.Sent, r.Received
			if err != nil {
				cell.Error = err.Error()
				continue
			}
			cell.Learned = len(learner.Tuples)
			cell.StateEntries = stateEntries(o, c)
			biggest = max(biggest, cell.StateEntries)
			fmt.Fprintf(os.Stderr, "   %-12s %8d flows: preliminary phase %d/%d frames through at %.0f flows/s, %d state entries\n",
				c, n, r.Received, r.Sent, r.Offered, cell.StateEntries)
		}
		// Phase 2: pseudorandom flows of the window.
		nt := &natTester{b: b, mk: mk, window: n}
		th, err := rfc8219.SearchThroughput(ctx, nt, rfc8219.Dir6to4, size, o.search)
		cell.Steps, cell.ThroughputPPS, cell.GeneratorBound = th.Steps, th.Rate, th.GeneratorBound
		if err != nil {
			cell.Error = err.Error()
			continue
		}
		if th.Rate > 0 {
			if l, _, err := rfc8219.MeasureLatency(ctx, nt, rfc8219.Dir6to4, size, th.Rate, o.latencyTrial); err == nil {
				cell.Latency = &l
			}
		}
		fmt.Fprintf(os.Stderr, "   %-12s %8d flows: %s Mpps (%d trials)\n", c, n, mpps(cell.ThroughputPPS), len(th.Steps))
		if stateful && o.nat.reverse {
			// Phase 2, reverse: replies to what the DUT created.
			tuples := append([]gen.Tuple(nil), learner.Tuples...)
			rt := &natTester{b: b, rev: func(size int) (leg, error) {
				seed++
				return b.natReplyLeg(c, size, tuples, seed)
			}}
			th, err := rfc8219.SearchThroughput(ctx, rt, rfc8219.Dir4to6, size, o.search)
			cell.ReverseSteps, cell.ReversePPS, cell.ReverseBound = th.Steps, th.Rate, th.GeneratorBound
			if err != nil {
				cell.ReverseError = err.Error()
			}
			fmt.Fprintf(os.Stderr, "   %-12s %8d flows: reverse (to %d learned flows) %s Mpps (%d trials)\n",
				c, n, len(tuples), mpps(cell.ReversePPS), len(th.Steps))
		}
	}
	if !stateful {
		return
	}
	switch {
	case !o.nat.teardown:
		nc.TeardownNote = "not measured (-nat-teardown=false)"
	case !canClear:
		nc.TeardownNote = "not measured: the testbed has no way to empty this DUT's table (tear-down by timeout takes the UDP timeout, 2 min at least)"
	case biggest <= 0:
		nc.TeardownNote = "not measured: the DUT's state count is unknown"
	default:
		t0 := time.Now()
		err1 := clear()
		full := time.Since(t0)
		t0 = time.Now()
		err2 := clear()
		empty := time.Since(t0)
		switch {
		case err1 != nil || err2 != nil:
			nc.TeardownNote = fmt.Sprintf("not measured: %v %v", err1, err2)
		case full <= empty:
			nc.TeardownNote = fmt.Sprintf("%d entries removed faster than the measurement resolves (%v vs %v empty)", biggest, full, empty)
		default:
			nc.Teardown = float64(biggest) / (full - empty).Seconds()
			nc.TeardownNote = fmt.Sprintf("%d entries in %v (%v, minus %v for an empty table)", biggest, full-empty, full, empty)
		}
	}
	fmt.Fprintf(os.Stderr, "   %-12s tear-down: %.0f conn/s, %s\n", c, nc.Teardown, nc.TeardownNote)
}

// natCell returns the cell of case c with the most flows that has a
// throughput, and whether c ran at all.
func (rep *NATReport) find(c string) *NATCase {
	for _, nc := range rep.Cases {
		if nc.Case == c {
			return nc
		}
	}
	return nil
}

// natSummary returns the two SUMMARY lines: throughput at the largest flow
// count and the smallest frame size (Mpps), and the setup rate (conn/s).
func natSummary(rep *NATReport, o options) (string, string) {
	top := o.nat.maxFlows()
	udp := func(c string) string {
		nc := rep.find(c)
		if nc == nil || nc.Error != "" {
			return "n/a"
		}
		for _, cell := range nc.Cells {
			if cell.Flows == top && cell.FrameSize == o.sizes[0] && cell.Error == "" && len(cell.Steps) > 0 {
				return mpps(cell.ThroughputPPS)
			}
		}
		return "n/a"
	}
	cps := func(c string) string {
		nc := rep.find(c)
		if nc == nil || nc.Error != "" || nc.CPSError != "" || len(nc.CPSSteps) == 0 {
			return "n/a"
		}
		return fmt.Sprintf("%.0f", nc.CPS)
	}
	return fmt.Sprintf("SUMMARY nat64-udp xlatd=%s kernel_nat44=%s tayga_nat44=%s generator=%s",
			udp("xlatd"), udp("kernel_nat44"), udp("tayga_nat44"), udp("generator")),
		fmt.Sprintf("SUMMARY nat64-cps xlatd=%s kernel_nat44=%s tayga_nat44=%s", cps("xlatd"), cps("kernel_nat44"), cps("tayga_nat44"))
}

// printNAT writes the human-readable tables.
func printNAT(w io.Writer, rep *NATReport, o options) {
	fmt.Fprintf(w, "\nRFC 9693 stateful NAT, %d-byte frames (IPv6 side; kernel_nat44 sends IPv4 frames 20 bytes shorter), %s trials, zero loss%s\n",
		o.sizes[0], o.search.TrialDuration, tolText(o.search.LossTolerance))
	fmt.Fprintf(w, "flow space: %s\n", rep.Space)
	fmt.Fprintf(w, "%-13s %13s %9s %9s", "case", "setup conn/s", "teardown", "flows")
	fmt.Fprintf(w, " %12s %15s %10s %14s %14s\n", "prelim fl/s", "prelim through", "state", "throughput", "reverse")
	for _, nc := range rep.Cases {
		if nc.Error != "" {
			fmt.Fprintf(w, "%-13s n/a: %s\n", nc.Case, firstLines(nc.Error, 6))
			continue
		}
		cps, td := "-", "-"
		if nc.Case != "generator" {
			cps = "n/a"
			if nc.CPSError == "" && len(nc.CPSSteps) > 0 {
				cps = fmt.Sprintf("%.0f", nc.CPS)
				if nc.CPSGeneratorBound {
					cps += "*"
				}
			}
			td = "n/a"
			if nc.Teardown > 0 {
				td = fmt.Sprintf("%.0f", nc.Teardown)
			}
		}
		for i, cell := range nc.Cells {
			if i > 0 {
				cps, td = "", ""
			}
			pr, pt, st := "-", "-", "-"
			if cell.PrelimSent > 0 {
				pr = fmt.Sprintf("%.0f", cell.PrelimRate)
				pt = fmt.Sprintf("%d/%d", cell.PrelimReceived, cell.PrelimSent)
			}
			if cell.StateEntries >= 0 {
				st = strconv.FormatInt(cell.StateEntries, 10)
			}
			tp := "n/a"
			if cell.Error == "" && len(cell.Steps) > 0 {
				tp = mpps(cell.ThroughputPPS) + " Mpps"
				if cell.GeneratorBound {
					tp += "*"
				}
			}
			rv := "-"
			if len(cell.ReverseSteps) > 0 || cell.ReverseError != "" {
				rv = "n/a"
				if cell.ReverseError == "" {
					rv = mpps(cell.ReversePPS) + " Mpps"
					if cell.ReverseBound {
						rv += "*"
					}
				}
			}
			fmt.Fprintf(w, "%-13s %13s %9s %9d %12s %15s %10s %14s %14s\n", nc.Case, cps, td, cell.Flows, pr, pt, st, tp, rv)
		}
	}
	fmt.Fprintln(w, "* = bounded by the generator, not the DUT; state = the DUT's state entries after the preliminary phase")
	fmt.Fprintln(w, "    (fewer than the flows: the table is full at that many, RFC 9693's connection tracking table capacity);")
	fmt.Fprintln(w, "    reverse = IPv4 -> IPv6 (kernel_nat44: -> IPv4) to the pool4 addresses and ports the preliminary phase produced")
	var notes []string
	for _, nc := range rep.Cases {
		if nc.CPSError != "" {
			notes = append(notes, fmt.Sprintf("%s setup rate: %s", nc.Case, nc.CPSError))
		}
		if nc.TeardownNote != "" {
			notes = append(notes, fmt.Sprintf("%s tear-down: %s", nc.Case, nc.TeardownNote))
		}
		for _, cell := range nc.Cells {
			if cell.Error != "" {
				notes = append(notes, fmt.Sprintf("%s %d flows: %s", nc.Case, cell.Flows, cell.Error))
			}
			if cell.ReverseError != "" {
				notes = append(notes, fmt.Sprintf("%s %d flows, reverse: %s", nc.Case, cell.Flows, cell.ReverseError))
			}
			if len(cell.ReverseSteps) > 0 && cell.StateEntries >= 0 && uint64(cell.StateEntries) < cell.Flows {
				notes = append(notes, fmt.Sprintf("%s %d flows, reverse: the DUT holds state for %d of them; replies to the others are lost (forward frames re-create their state, replies cannot)",
					nc.Case, cell.Flows, cell.StateEntries))
			}
			if cell.PrelimSent > 0 && cell.PrelimReceived < cell.PrelimSent {
				why := "lower -nat-prelim-rate"
				if cell.StateEntries >= 0 && uint64(cell.StateEntries) < cell.Flows {
					why = fmt.Sprintf("the state table is full at %d entries", cell.StateEntries)
				}
				notes = append(notes, fmt.Sprintf("%s %d flows: the preliminary phase lost %d setup frames (%s)",
					nc.Case, cell.Flows, cell.PrelimSent-cell.PrelimReceived, why))
			}
			if cell.Latency != nil && cell.Flows == o.nat.maxFlows() {
				l := cell.Latency
				notes = append(notes, fmt.Sprintf("%s %d flows: latency median %.1f µs, p99.9 %.1f µs at %s Mpps",
					nc.Case, cell.Flows, float64(l.Median)/1e3, float64(l.P999)/1e3, mpps(l.Rate)))
			}
		}
	}
	if len(notes) > 0 {
		fmt.Fprintln(w, "\n"+strings.Join(notes, "\n"))
	}
	fmt.Fprintln(w)
}

func firstLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, " | ")
}

// finishNAT prints the tables, writes the JSON and ends with the two
// SUMMARY lines.
func finishNAT(w io.Writer, rep *NATReport, o options) {
	rep.Finished = time.Now().UTC()
	printNAT(w, rep, o)
	if err := os.MkdirAll(filepath.Dir(o.out), 0o755); err == nil {
		if js, err := json.MarshalIndent(rep, "", "  "); err == nil {
			if err := os.WriteFile(o.out, js, 0o644); err != nil {
				fmt.Fprintln(os.Stderr, "xlatd-bench:", err)
			} else {
				fmt.Fprintf(w, "JSON: %s\n", o.out)
				natCharts(w, rep, o.out)
			}
		}
	}
	for _, nc := range rep.Cases {
		if nc.Error != "" {
			fmt.Fprintf(w, "%s=n/a: %s\n", nc.Case, firstLines(nc.Error, 6))
		}
	}
	udp, cps := natSummary(rep, o)
	fmt.Fprintln(w, udp)
	fmt.Fprintln(w, cps)
}

// natCharts writes one chart per SUMMARY line beside the JSON: BASE-udp.png,
// the throughput of every case at each flow count (IPv6 -> IPv4 and, as
// "reverse", IPv4 -> IPv6 to the learned mappings), and BASE-cps.png, the
// connection setup rate of every stateful case.
func natCharts(w io.Writer, rep *NATReport, jsonPath string) {
	base := strings.TrimSuffix(jsonPath, filepath.Ext(jsonPath))
	var flows []uint64
	seen := map[uint64]bool{}
	for _, nc := range rep.Cases {
		for _, c := range nc.Cells {
			if !seen[c.Flows] {
				seen[c.Flows] = true
				flows = append(flows, c.Flows)
			}
		}
	}
	sort.Slice(flows, func(i, j int) bool { return flows[i] < flows[j] })
	groups := make([]string, len(flows))
	for i, f := range flows {
		groups[i] = fmt.Sprintf("%d flows", f)
	}
	var udp []chart.BarSeries
	for _, reverse := range []bool{false, true} {
		for _, nc := range rep.Cases {
			if reverse && nc.Case == "generator" {
				continue
			}
			s := chart.BarSeries{Name: nc.Case, Values: make([]float64, len(flows))}
			if reverse {
				s.Name += " reverse"
			}
			for _, c := range nc.Cells {
				v := c.ThroughputPPS
				if reverse {
					v = c.ReversePPS
				}
				if c.Error == "" {
					s.Values[slices.Index(flows, c.Flows)] = v / 1e6
				}
			}
			udp = append(udp, s)
		}
	}
	var cases []string
	cps := chart.BarSeries{Name: "setup rate"}
	for _, nc := range rep.Cases {
		if nc.Case == "generator" {
			continue
		}
		cases = append(cases, nc.Case)
		v := 0.0
		if nc.Error == "" && nc.CPSError == "" {
			v = nc.CPS / 1e3
		}
		cps.Values = append(cps.Values, v)
	}
	for _, ch := range []struct {
		file, title, x, y string
		groups            []string
		series            []chart.BarSeries
	}{
		{base + "-udp.png", "RFC 9693 throughput (UDP, zero loss), SUMMARY nat64-udp", "flows in the state table", "throughput (Mpps)", groups, udp},
		{base + "-cps.png", "RFC 9693 connection setup rate, SUMMARY nat64-cps", "device under test", "new connections (thousands/s)", cases, []chart.BarSeries{cps}},
	} {
		p, err := chart.Bars(ch.title, ch.x, ch.y, ch.groups, ch.series)
		if err != nil {
			fmt.Fprintf(w, "chart %s: %v\n", ch.file, err)
			continue
		}
		f, err := os.Create(ch.file)
		if err != nil {
			fmt.Fprintln(w, "chart:", err)
			continue
		}
		err = chart.WritePNG(f, p)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			fmt.Fprintln(w, "chart:", err)
			continue
		}
		fmt.Fprintf(w, "chart: %s\n", ch.file)
	}
}

// natReportMain is `xlatd-bench -nat-report RUN.json`: the charts of a
// nat64 run from its JSON, without measuring.
func natReportMain(args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: xlatd-bench -nat-report RUN.json")
		return 2
	}
	b, err := os.ReadFile(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "xlatd-bench:", err)
		return 1
	}
	var rep NATReport
	if err := json.Unmarshal(b, &rep); err != nil {
		fmt.Fprintf(os.Stderr, "xlatd-bench: %s: %v\n", args[0], err)
		return 1
	}
	natCharts(os.Stdout, &rep, args[0])
	return 0
}
