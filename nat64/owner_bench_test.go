package nat64

import (
	"encoding/binary"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/xlatd/xlatd/config/nat64conf"
)

// BenchmarkOwnership compares the two ways of serving one subscriber's
// flows from several queues with two workers, established UDP 6to4
// lookups in vectors of 64 over 64K sessions (cache resident, so what
// differs is the synchronisation):
//
//   - SharedMutex: one table for both workers, locked per vector (the most
//     favourable locking; per packet would be worse);
//   - OwnerHandoff: a table per worker; every vector has half of its flows
//     owned by the other worker, handed over through an SPSC ring of flows
//     (what RSS does to a subscriber's flows with two queues).
//
// ns/pkt is wall time per packet of both workers together.
func BenchmarkOwnership(b *testing.B) {
	const n = 1 << 16
	c := nat64conf.Default()
	c.Pool4 = []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")}
	c.MaxSessions = 2 * n
	mk := func(workers int) (*Plan, []*Table, [][]Flow6) {
		p, err := NewPlan(&c, Options{Workers: workers})
		if err != nil {
			b.Fatal(err)
		}
		ts := make([]*Table, workers)
		for w := range ts {
			ts[w] = NewTable(p, w, t0, nil)
		}
		flows := make([][]Flow6, 2) // what arrives at queue 0 and 1
		var out [1]Mapped
		for i := 0; i < n; i++ {
			src := a6("2001:db8:300::")
			binary.BigEndian.PutUint32(src[12:], uint32(i/16))
			f := Flow6{Proto: ProtoUDP, Src6: src, SPort: uint16(1000 + i%16), Dst4: a4("203.0.113.1"), DPort: 53}
			ts[p.Owner6(src)].OutboundBatch(t0, []Flow6{f}, out[:])
			if out[0].Result != OK {
				b.Fatal(out[0].Result)
			}
			flows[i%2] = append(flows[i%2], f) // RSS: any queue
		}
		return p, ts, flows
	}
	report := func(b *testing.B, pkts int64) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(pkts), "ns/pkt")
	}
	b.Run("SharedMutex", func(b *testing.B) {
		_, ts, flows := mk(1)
		var mu sync.Mutex
		var wg sync.WaitGroup
		var pkts atomic.Int64
		b.ResetTimer()
		for w := 0; w < 2; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				var out [MaxBatch]Mapped
				f := flows[w]
				for i := 0; i*MaxBatch < b.N/2; i++ {
					off := (i * MaxBatch) % (len(f) - MaxBatch)
					mu.Lock()
					ts[0].OutboundBatch(t0, f[off:off+MaxBatch], out[:])
					mu.Unlock()
					pkts.Add(MaxBatch)
				}
			}(w)
		}
		wg.Wait()
		report(b, pkts.Load())
	})
	b.Run("OwnerHandoff", func(b *testing.B) {
		p, ts, flows := mk(2)
		var rings [2]spsc // rings[w]: flows for worker w from the other
		var wg sync.WaitGroup
		var pkts atomic.Int64
		var doneProducing atomic.Int32
		b.ResetTimer()
		for w := 0; w < 2; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				var mine, theirs [MaxBatch]Flow6
				var out [MaxBatch]Mapped
				f := flows[w]
				marked := false
				for i := 0; ; i++ {
					if i*MaxBatch >= b.N/2 && !marked {
						marked = true
						doneProducing.Add(1) // after our last push
					}
					if doneProducing.Load() == 2 && rings[w].len() == 0 {
						return
					}
					off := (i * MaxBatch) % (len(f) - MaxBatch)
					nm, nt := 0, 0
					if i*MaxBatch < b.N/2 {
						for _, fl := range f[off : off+MaxBatch] {
							if p.Owner6(fl.Src6) == w {
								mine[nm] = fl
								nm++
							} else {
								theirs[nt] = fl
								nt++
							}
						}
					}
					// Flows handed to us, then ours; pass the rest on.
					nm += rings[w].pop(mine[nm:])
					ts[w].OutboundBatch(t0, mine[:nm], out[:])
					pkts.Add(int64(nm))
					for sent := 0; sent < nt; {
						sent += rings[1-w].push(theirs[sent:nt])
						if sent < nt {
							// the other worker is behind: serve our ring meanwhile
							if k := rings[w].pop(mine[:]); k > 0 {
								ts[w].OutboundBatch(t0, mine[:k], out[:])
								pkts.Add(int64(k))
							}
						}
					}
				}
			}(w)
		}
		wg.Wait()
		report(b, pkts.Load())
	})
}

// spsc is a single-producer single-consumer ring of flows.
type spsc struct {
	buf        [1024]Flow6
	head, tail atomic.Uint64 // consumer, producer
}

func (r *spsc) len() int { return int(r.tail.Load() - r.head.Load()) }

func (r *spsc) push(f []Flow6) int {
	t, h := r.tail.Load(), r.head.Load()
	n := min(len(f), len(r.buf)-int(t-h))
	for i := 0; i < n; i++ {
		r.buf[(t+uint64(i))%uint64(len(r.buf))] = f[i]
	}
	r.tail.Store(t + uint64(n))
	return n
}

func (r *spsc) pop(dst []Flow6) int {
	h, t := r.head.Load(), r.tail.Load()
	n := min(len(dst), int(t-h))
	for i := 0; i < n; i++ {
		dst[i] = r.buf[(h+uint64(i))%uint64(len(r.buf))]
	}
	r.head.Store(h + uint64(n))
	return n
}
