package gen

import "sync/atomic"

// RxPort is where the sink takes frames from: an AF_XDP RX socket, an
// AF_PACKET socket, or a fake in tests.
type RxPort interface {
	// Receive returns up to len(bufs) received frames, valid until the
	// next call. With nothing pending it may block briefly (about a
	// millisecond) and return 0.
	Receive(bufs [][]byte) (int, error)
}

// Sink counts benchmark frames: sequence accounting, one-way latency
// (receive time minus the sender's timestamp, same host clock) and
// inter-packet delay variation (RFC 5481 IPDV: |D(i) - D(i-1)| between
// consecutively received packets).
type Sink struct {
	Seq     SeqTracker
	Latency Histogram
	IPDV    Histogram
	Frames  uint64 // every frame the port delivered
	Foreign uint64 // frames without the benchmark payload (ARP, ND, ...)
	// Want, when not zero, is the EtherType benchmark frames must arrive
	// with (IPv4 after 6->4 translation, for instance); benchmark frames
	// of the other family count as Wrong, not as received.
	Want  uint16
	Wrong uint64
	// Learn, when not nil, collects the tuples of the IPv4 benchmark
	// frames received (RFC 9693 preliminary phase).
	Learn   *Learner
	FirstRx int64
	LastRx  int64

	prevLat  int64
	havePrev bool
}

// Reset prepares the sink for a trial of at most n packets.
func (s *Sink) Reset(n uint64) { s.ResetBase(0, n) }

// ResetBase prepares the sink for a trial of at most n packets numbered
// from base on (GenConfig.FirstSeq).
func (s *Sink) ResetBase(base, n uint64) {
	s.Seq.ResetBase(base, n)
	s.Latency.Reset()
	s.IPDV.Reset()
	s.Frames, s.Foreign, s.Wrong, s.FirstRx, s.LastRx = 0, 0, 0, 0, 0
	s.havePrev = false
}

// Process accounts one batch of frames received at time now.
func (s *Sink) Process(frames [][]byte, now int64) {
	if len(frames) == 0 {
		return
	}
	if s.Frames == 0 {
		s.FirstRx = now
	}
	s.LastRx = now
	s.Frames += uint64(len(frames))
	for _, f := range frames {
		seq, ts, ok := Parse(f)
		if !ok {
			s.Foreign++
			continue
		}
		if s.Want != 0 && uint16(f[12])<<8|uint16(f[13]) != s.Want {
			s.Wrong++
			continue
		}
		s.Seq.Add(seq)
		if s.Learn != nil {
			s.Learn.add(f)
		}
		lat := now - ts
		s.Latency.Record(lat)
		if s.havePrev {
			d := lat - s.prevLat
			if d < 0 {
				d = -d
			}
			s.IPDV.Record(d)
		}
		s.prevLat, s.havePrev = lat, true
	}
}

// Run receives and processes batches until stop is true, then returns the
// first receive error it saw (if any).
func (s *Sink) Run(p RxPort, batch int, stop *atomic.Bool) error {
	if batch <= 0 {
		batch = 64
	}
	bufs := make([][]byte, batch)
	var firstErr error
	for !stop.Load() {
		n, err := p.Receive(bufs)
		if n > 0 {
			s.Process(bufs[:n], Now())
		}
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

// PDV is RFC 8219 section 7.3.1 packet delay variation: the 99.9th
// percentile of one-way delay minus its minimum (RFC 5481 section 4.2).
func (s *Sink) PDV() int64 {
	if s.Latency.N == 0 {
		return 0
	}
	return s.Latency.Quantile(0.999) - s.Latency.Min
}
