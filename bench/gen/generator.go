package gen

import (
	"errors"
	"sync/atomic"
	"syscall"
	"time"
)

// TxPort is where the generator puts frames: an AF_XDP TX socket with
// frames prebuilt in its UMEM, or a fake in tests.
type TxPort interface {
	// Next returns up to len(bufs) free transmit buffers, each already
	// holding a copy of the template frame (len = frame length).
	Next(bufs [][]byte) int
	// Submit queues the first n buffers of the last Next for transmission
	// and returns how many the port accepted; the others go back to the
	// free pool.
	Submit(n int) int
	// Flush kicks the kernel when needed and reclaims completed buffers.
	Flush() error
}

// GenConfig bounds and paces one generator run.
type GenConfig struct {
	Rate     float64       // packets per second; 0 = as fast as possible
	Count    uint64        // stop after this many packets (0 = no packet bound)
	Duration time.Duration // stop after this long (0 = no time bound)
	Batch    int           // frames per TX batch (default 64)
	FirstSeq uint64
	// BurstTime bounds catching up after the thread was descheduled
	// (default DefaultBurstTime); 0 < BurstTime <= one batch is strict
	// constant-rate pacing.
	BurstTime time.Duration
}

// DefaultBurstTime lets a paced generator catch up on 10 ms of rate: on a
// small shared box the generator thread loses the CPU for several
// milliseconds at a time, and without catching up it would offer a
// fraction of the requested rate.
const DefaultBurstTime = 10 * time.Millisecond

// GenResult is what a generator run did.
type GenResult struct {
	Sent        uint64
	Start, End  int64 // monotonic ns
	Stalls      uint64
	FlushErrors uint64
	LastError   error
}

// Rate is the achieved send rate in packets per second.
func (r GenResult) Rate() float64 {
	d := r.End - r.Start
	if d <= 0 {
		return 0
	}
	return float64(r.Sent) * 1e9 / float64(d)
}

// ErrUnbounded is returned when a run has neither a packet nor a time bound.
var ErrUnbounded = errors.New("gen: generator needs a packet count or a duration")

// Pacing waits spin: a thread that sleeps wakes up milliseconds late on a
// busy box, which would cut the offered rate. Waits longer than
// yieldThreshold spin through sched_yield(2), so that a sink thread sharing
// the CPU runs as soon as it is woken instead of at the next scheduler tick
// (which would show up as milliseconds of latency). Only waits beyond
// sleepThreshold sleep.
const (
	yieldThreshold = 20 * time.Microsecond
	sleepThreshold = 5 * time.Millisecond
)

func schedYield() { syscall.RawSyscall(syscall.SYS_SCHED_YIELD, 0, 0, 0) }

// Stamper writes a frame's per-packet fields (sequence number, timestamp,
// checksums; for a Flows stamper also the flow's addresses and ports) into
// b, a copy of the template frame. *Template and *Flows implement it.
type Stamper interface {
	Stamp(b []byte, seq uint64, ts int64)
}

// Generate sends frames stamped from t through p until c.Count packets
// went out, c.Duration passed or stop became true. Each batch gets one
// timestamp (read just before the batch is stamped) and consecutive
// sequence numbers from c.FirstSeq on.
func Generate(p TxPort, t Stamper, c GenConfig, stop *atomic.Bool) (GenResult, error) {
	if c.Count == 0 && c.Duration <= 0 {
		return GenResult{}, ErrUnbounded
	}
	batch := c.Batch
	if batch <= 0 {
		batch = 64
	}
	bufs := make([][]byte, batch)
	var r GenResult
	start := Now()
	r.Start = start
	deadline := int64(-1)
	if c.Duration > 0 {
		deadline = start + int64(c.Duration)
	}
	var tb *TokenBucket
	if c.Rate > 0 {
		// The bucket holds BurstTime's worth of tokens (at least a
		// batch): a generator thread descheduled for less than that
		// catches up with a burst instead of losing rate; longer stalls
		// do lose rate, which the result shows as a lower offered rate.
		bt := c.BurstTime
		if bt <= 0 {
			bt = DefaultBurstTime
		}
		burst := int(c.Rate * bt.Seconds())
		if burst < batch {
			burst = batch
		}
		tb = NewTokenBucket(c.Rate, burst, start)
		tb.tokens = float64(batch) // start with one batch, not a burst
	}
	seq := c.FirstSeq
	for {
		now := Now()
		if (c.Count > 0 && r.Sent >= c.Count) || (deadline >= 0 && now >= deadline) || (stop != nil && stop.Load()) {
			break
		}
		n := batch
		if c.Count > 0 && c.Count-r.Sent < uint64(n) {
			n = int(c.Count - r.Sent)
		}
		if tb != nil {
			if w := tb.Wait(now, n); w > 0 {
				switch {
				case time.Duration(w) > sleepThreshold:
					time.Sleep(time.Duration(w) - sleepThreshold/2)
				case time.Duration(w) > yieldThreshold:
					schedYield()
				}
				continue
			}
		}
		k := p.Next(bufs[:n])
		if k == 0 {
			r.Stalls++
			if err := p.Flush(); err != nil {
				r.FlushErrors++
				r.LastError = err
			}
			continue
		}
		ts := Now()
		for i := 0; i < k; i++ {
			t.Stamp(bufs[i], seq+uint64(i), ts)
		}
		acc := p.Submit(k)
		if acc < k {
			r.Stalls++
		}
		if tb != nil {
			tb.Take(now, acc)
		}
		seq += uint64(acc)
		r.Sent += uint64(acc)
		if err := p.Flush(); err != nil {
			r.FlushErrors++
			r.LastError = err
		}
	}
	r.End = Now()
	// Push out what is still queued so that the sink's drain sees it.
	for i := 0; i < 8; i++ {
		_ = p.Flush()
	}
	return r, nil
}
