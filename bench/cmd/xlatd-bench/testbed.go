package main

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/xlatd/xlatd/bench/gen"
	"github.com/xlatd/xlatd/bench/port"
	"github.com/xlatd/xlatd/bench/rfc8219"
	"github.com/xlatd/xlatd/header"
)

// The testbed's fixed names, MACs and addresses (bench/testbed.sh).
var (
	macG6 = [6]byte{2, 0, 0, 0, 1, 1}
	macD6 = [6]byte{2, 0, 0, 0, 1, 2}
	macD4 = [6]byte{2, 0, 0, 0, 2, 2}
	macS4 = [6]byte{2, 0, 0, 0, 2, 1}
	macGX = [6]byte{2, 0, 0, 0, 3, 1}
	macSX = [6]byte{2, 0, 0, 0, 3, 2}

	host6     = netip.MustParseAddr("2001:db8:1::2")          // IPv6 host
	host4     = netip.MustParseAddr("198.51.100.2")           // IPv4 host
	host4As6  = netip.MustParseAddr("2001:db8:64::c633:6402") // 198.51.100.2 in pool6 2001:db8:64::/96
	host6As4  = netip.MustParseAddr("192.0.2.2")              // EAM of 2001:db8:1::2
	host4v6   = netip.MustParseAddr("2001:db8:2::2")          // IPv4 host's IPv6 address (kernel case)
	host6v4   = netip.MustParseAddr("203.0.113.2")            // IPv6 host's IPv4 address (kernel case)
	benchPort = uint16(9)                                     // discard
)

// worker is a locked OS thread in a namespace, pinned to a CPU, running
// the functions it is given one at a time.
type worker struct{ ch chan func() }

func newWorker(ns string, cpu, niceDelta int) (*worker, error) {
	w := &worker{ch: make(chan func())}
	started := make(chan error, 1)
	port.Go(ns, cpu, func() error {
		if niceDelta != 0 {
			// Linux: PRIO_PROCESS with a thread id renices that thread only.
			tid := unix.Gettid()
			if prio, err := unix.Getpriority(unix.PRIO_PROCESS, tid); err == nil {
				_ = unix.Setpriority(unix.PRIO_PROCESS, tid, 20-prio+niceDelta)
			}
		}
		started <- nil
		for f := range w.ch {
			f()
		}
		return nil
	})
	select {
	case err := <-started:
		return w, err
	case <-time.After(5 * time.Second):
		return nil, fmt.Errorf("worker in %s did not start", ns)
	}
}

// async runs f on the worker; the channel closes when it returned.
func (w *worker) async(f func()) <-chan struct{} {
	done := make(chan struct{})
	w.ch <- func() { f(); close(done) }
	return done
}

func (w *worker) do(f func()) { <-w.async(f) }

// txPort is a generator port whose frame can change between trials.
type txPort interface {
	gen.TxPort
	SetTemplate([]byte) error
}

// endpoint is one host interface: an AF_XDP socket whose TX half the
// generator thread drives and whose RX half the sink thread drives (or,
// with -af-packet, two AF_PACKET sockets).
type endpoint struct {
	name     string
	ns, ifc  string
	mac      [6]byte
	x        *port.XSK
	txp      txPort
	rxp      gen.RxPort
	closer   func()
	tx, rx   *worker
	sink     gen.Sink
	sinkErr  error
	genRes   gen.GenResult
	genErr   error
	setupErr error
}

func openEndpoint(ns, ifc string, mac [6]byte, genCPU, sinkCPU int, o port.XSKOptions, afPacket bool) (*endpoint, error) {
	e := &endpoint{name: ns + "/" + ifc, ns: ns, ifc: ifc, mac: mac}
	var err error
	// The generator threads run 5 nice levels below the sinks: a paced
	// generator spins while it waits, and a sink sharing its CPU must
	// still get it as soon as frames arrive (or its latency figures would
	// measure the generator's time slice).
	if e.tx, err = newWorker(ns, genCPU, 5); err != nil {
		return nil, err
	}
	if e.rx, err = newWorker(ns, sinkCPU, 0); err != nil {
		return nil, err
	}
	if !afPacket {
		e.rx.do(func() { e.x, err = port.NewXSK(ifc, o, true) })
		if err == nil {
			e.txp, e.rxp = e.x.Tx, e.x.Rx
			e.closer = func() { e.x.Close() }
			return e, nil
		}
		fmt.Fprintf(os.Stderr, "xlatd-bench: %s: AF_XDP: %v; falling back to AF_PACKET (slower)\n", e.name, err)
	}
	var ptx *port.PacketTx
	var prx *port.PacketRx
	e.rx.do(func() {
		if ptx, err = port.NewPacketTx(ifc, make([]byte, 60), 64); err != nil {
			return
		}
		prx, err = port.NewPacketRx(ifc, 64)
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", e.name, err)
	}
	e.txp, e.rxp = ptx, prx
	e.closer = func() { ptx.Close(); prx.Close() }
	return e, nil
}

func (e *endpoint) close() {
	if e.closer != nil {
		e.rx.do(e.closer)
	}
	close(e.tx.ch)
	close(e.rx.ch)
}

// leg is one direction of a trial.
type leg struct {
	from, to *endpoint
	tmpl     *gen.Template
	st       gen.Stamper // per-frame fields; nil: tmpl (one flow)
	want     uint16      // EtherType expected at the sink
	learn    *gen.Learner
}

// bed is the Tester over the netns testbed for one case at a time.
type bed struct {
	g6, s4, gx, sx *endpoint
	cas            string
	drain          time.Duration
	batch          int
	maxPPS         float64
	trials         uint64
	verbose        bool
}

func flow(from, to *endpoint, src, dst netip.Addr, dstMAC [6]byte) gen.Flow {
	return gen.Flow{SrcMAC: from.mac, DstMAC: dstMAC, Src: src, Dst: dst, SrcPort: 1024, DstPort: benchPort}
}

// legs returns the traffic of case b.cas in direction d at the IPv6-side
// frame size.
func (b *bed) legs(d rfc8219.Direction, size int) ([]leg, error) {
	var l6, l4 leg
	w6, w4 := gen.WireLen(size), gen.WireLen(rfc8219.IPv4FrameSize(size))
	var f6, f4 gen.Flow
	switch b.cas {
	case "generator":
		f6 = flow(b.gx, b.sx, host6, host4As6, macSX)
		f4 = flow(b.sx, b.gx, host4, host6As4, macGX)
		l6 = leg{from: b.gx, to: b.sx, want: header.EtherTypeIPv6}
		l4 = leg{from: b.sx, to: b.gx, want: header.EtherTypeIPv4}
	case "kernel":
		// The kernel forwards IPv6 to IPv6 (and IPv4 to IPv4 the other way).
		f6 = flow(b.g6, b.s4, host6, host4v6, macD6)
		f4 = flow(b.s4, b.g6, host4, host6v4, macD4)
		l6 = leg{from: b.g6, to: b.s4, want: header.EtherTypeIPv6}
		l4 = leg{from: b.s4, to: b.g6, want: header.EtherTypeIPv4}
	case "afxdp_fwd":
		// The same frames as xlatd gets, forwarded untranslated.
		f6 = flow(b.g6, b.s4, host6, host4As6, macD6)
		f4 = flow(b.s4, b.g6, host4, host6As4, macD4)
		l6 = leg{from: b.g6, to: b.s4, want: header.EtherTypeIPv6}
		l4 = leg{from: b.s4, to: b.g6, want: header.EtherTypeIPv4}
	case "xlatd", "tayga":
		f6 = flow(b.g6, b.s4, host6, host4As6, macD6)
		f4 = flow(b.s4, b.g6, host4, host6As4, macD4)
		l6 = leg{from: b.g6, to: b.s4, want: header.EtherTypeIPv4}
		l4 = leg{from: b.s4, to: b.g6, want: header.EtherTypeIPv6}
	default:
		return nil, fmt.Errorf("unknown case %q", b.cas)
	}
	var err error
	if l6.tmpl, err = gen.NewTemplate(f6, w6); err != nil {
		return nil, err
	}
	if l4.tmpl, err = gen.NewTemplate(f4, w4); err != nil {
		return nil, err
	}
	switch d {
	case rfc8219.Dir6to4:
		return []leg{l6}, nil
	case rfc8219.Dir4to6:
		return []leg{l4}, nil
	}
	return []leg{l6, l4}, nil
}

// Trial implements rfc8219.Tester.
func (b *bed) Trial(ctx context.Context, t rfc8219.Trial) (rfc8219.TrialResult, error) {
	legs, err := b.legs(t.Direction, t.FrameSize)
	if err != nil {
		return rfc8219.TrialResult{}, err
	}
	return b.trialLegs(ctx, t, b.trialCount(t), legs)
}

// trialCount bounds the packets of a trial: what its rate promises with
// some room, or what the fastest generator sends in its time.
func (b *bed) trialCount(t rfc8219.Trial) uint64 {
	bound := b.maxPPS * t.Duration.Seconds()
	if t.Rate > 0 {
		bound = t.Rate*t.Duration.Seconds()*1.05 + float64(4*b.batch)
	}
	return uint64(bound)
}

// trialLegs runs one trial of at most count packets per leg.
func (b *bed) trialLegs(ctx context.Context, t rfc8219.Trial, count uint64, legs []leg) (rfc8219.TrialResult, error) {
	var out rfc8219.TrialResult
	b.trials++
	base := b.trials << 40
	for _, l := range legs {
		l := l
		l.from.tx.do(func() { l.from.setupErr = l.from.txp.SetTemplate(l.tmpl.Frame) })
		if l.from.setupErr != nil {
			return out, fmt.Errorf("%s: %w", l.from.name, l.from.setupErr)
		}
		l.to.rx.do(func() {
			l.to.sink.ResetBase(base, count)
			l.to.sink.Want = l.want
			l.to.sink.Learn = l.learn
		})
	}
	var stop atomic.Bool
	var sinks, gens []<-chan struct{}
	for _, l := range legs {
		l := l
		sinks = append(sinks, l.to.rx.async(func() { l.to.sinkErr = l.to.sink.Run(l.to.rxp, 64, &stop) }))
	}
	cfg := gen.GenConfig{Rate: t.Rate, Count: count, Duration: t.Duration, Batch: b.batch, FirstSeq: base}
	for _, l := range legs {
		l := l
		var st gen.Stamper = l.tmpl
		if l.st != nil {
			st = l.st
		}
		gens = append(gens, l.from.tx.async(func() {
			l.from.genRes, l.from.genErr = gen.Generate(l.from.txp, st, cfg, nil)
		}))
	}
	for _, g := range gens {
		<-g
	}
	select {
	case <-time.After(b.drain):
	case <-ctx.Done():
	}
	stop.Store(true)
	for _, s := range sinks {
		<-s
	}
	var lat, ipdv gen.Histogram
	var elapsed int64
	for _, l := range legs {
		if l.from.genErr != nil {
			return out, fmt.Errorf("generator %s: %w", l.from.name, l.from.genErr)
		}
		if l.to.sinkErr != nil {
			return out, fmt.Errorf("sink %s: %w", l.to.name, l.to.sinkErr)
		}
		r, s := l.from.genRes, &l.to.sink
		out.Sent += r.Sent
		out.Received += s.Seq.Unique
		out.Reordered += s.Seq.Reordered
		out.Dup += s.Seq.Dup
		out.Offered += r.Rate() / float64(len(legs))
		if d := r.End - r.Start; d > elapsed {
			elapsed = d
		}
		lat.Merge(&s.Latency)
		ipdv.Merge(&s.IPDV)
	}
	if b.verbose {
		for _, l := range legs {
			r, s := l.from.genRes, &l.to.sink
			fmt.Fprintf(os.Stderr, "      trial %s %s %dB rate %.0f: sent %d (%.0f pps, stalls %d, kick errors %d, %v) received %d wrong %d foreign %d reordered %d\n",
				b.cas, t.Direction, t.FrameSize, t.Rate, r.Sent, r.Rate(), r.Stalls, r.FlushErrors, r.LastError, s.Seq.Unique, s.Wrong, s.Foreign, s.Seq.Reordered)
		}
	}
	out.Elapsed = time.Duration(elapsed)
	out.Latency, out.IPDV = &lat, &ipdv
	return out, ctx.Err()
}
