package nat64

import (
	"encoding/binary"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/xlatd/xlatd/config/nat64conf"
)

// benchTable fills a one-worker table with n UDP sessions: hosts of
// 2001:db8:100::/64 (subscriber = host, /128) with perHost flows each,
// each flow its own mapping (the worst case for memory) unless share > 1,
// then share sessions (destinations) per mapping.
func benchTable(b *testing.B, n, perHost, share int, opt Options) (*Table, []Flow6, []Flow4) {
	b.Helper()
	c := nat64conf.Default()
	c.Pool4 = []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")} // 256 x 64512 ports
	c.PortBlockSize = 128
	c.MaxBlocksPerSubscriber = 16
	c.MaxSessions = n
	p, err := NewPlan(&c, opt)
	if err != nil {
		b.Fatal(err)
	}
	t := NewTable(p, 0, t0, nil)
	f6 := make([]Flow6, 0, n)
	f4 := make([]Flow4, 0, n)
	var out [MaxBatch]Mapped
	for i := 0; len(f6) < n; i++ {
		host, flow := i/perHost, i%perHost
		src := a6("2001:db8:100::")
		binary.BigEndian.PutUint32(src[12:], uint32(host))
		for d := 0; d < share && len(f6) < n; d++ {
			dst := a4("203.0.113.0")
			dst[3] = byte(flow*share + d)
			f := Flow6{Proto: ProtoUDP, Src6: src, SPort: uint16(10000 + flow), Dst4: dst, DPort: 53}
			t.OutboundBatch(t0, []Flow6{f}, out[:1])
			if out[0].Result != OK {
				b.Fatalf("fill %d: %v", len(f6), out[0].Result)
			}
			f6 = append(f6, f)
			f4 = append(f4, Flow4{Proto: ProtoUDP, Src4: dst, SPort: 53, Dst4: [4]byte(out[0].Addr[:4]), DPort: out[0].Port})
		}
	}
	// Visit flows in a random order, as traffic does.
	rng := uint64(42)
	for i := len(f6) - 1; i > 0; i-- {
		rng ^= rng << 13
		rng ^= rng >> 7
		rng ^= rng << 17
		j := int(rng % uint64(i+1))
		f6[i], f6[j] = f6[j], f6[i]
		f4[i], f4[j] = f4[j], f4[i]
	}
	return t, f6, f4
}

// benchSessions is the number of live sessions of the Established
// benchmarks.
const benchSessions = 1 << 20

// BenchmarkNAT64: the state step alone (lookup and update, no packet
// bytes), one core. See docs/PERFORMANCE.md for the command and numbers.
func BenchmarkNAT64(b *testing.B) {
	established := func(b *testing.B, n int) {
		t, f6, f4 := benchTable(b, n, 16, 1, Options{})
		var out [MaxBatch]Mapped
		b.Run("6to4", func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := threadCPU()
			pkts := 0
			for i := 0; pkts < b.N; i++ {
				off := (i * MaxBatch) % (n - MaxBatch)
				t.OutboundBatch(t0+int64(i), f6[off:off+MaxBatch], out[:])
				pkts += MaxBatch
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(pkts), "ns/pkt")
			b.ReportMetric(float64((threadCPU()-cpu0).Nanoseconds())/float64(pkts), "cpu-ns/pkt")
		})
		b.Run("4to6", func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := threadCPU()
			pkts := 0
			for i := 0; pkts < b.N; i++ {
				off := (i * MaxBatch) % (n - MaxBatch)
				t.InboundBatch(t0+int64(i), f4[off:off+MaxBatch], out[:])
				pkts += MaxBatch
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(pkts), "ns/pkt")
			b.ReportMetric(float64((threadCPU()-cpu0).Nanoseconds())/float64(pkts), "cpu-ns/pkt")
		})
		// The same without batching: one Outbound call per packet.
		b.Run("6to4/single", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				f := &f6[i%n]
				t.Outbound(t0, f.Proto, f.Src6, f.SPort, f.Dst4, f.DPort, 0)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/pkt")
		})
		if t.C.Results[OK] == 0 || t.C.Results[NoMapping] != 0 {
			b.Fatalf("results %v", t.C.Results)
		}
	}
	b.Run("Established/UDP", func(b *testing.B) { established(b, benchSessions) })
	// 4096 sessions: the table stays in the caches; the difference to
	// Established is the memory latency of the machine.
	b.Run("EstablishedCached/UDP", func(b *testing.B) { established(b, 4096) })
	newSession := func(b *testing.B, round int) {
		c := nat64conf.Default()
		c.Pool4 = []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")}
		c.MaxSessions = round
		c.PortReuseDelay = 0
		p, _ := NewPlan(&c, Options{})
		t := NewTable(p, 0, t0, nil)
		now := t0
		var in [MaxBatch]Flow6
		var out [MaxBatch]Mapped
		b.ReportAllocs()
		b.ResetTimer()
		done, k := 0, 0
		for done < b.N {
			if k+MaxBatch > round {
				b.StopTimer()
				now += int64(10 * time.Minute)
				for t.Expire(now, 1<<30) > 0 {
				}
				k = 0
				b.StartTimer()
			}
			for j := range in {
				i := k + j
				src := a6("2001:db8:200::")
				binary.BigEndian.PutUint32(src[12:], uint32(i/64))
				in[j] = Flow6{Proto: ProtoUDP, Src6: src, SPort: uint16(1000 + i%64), Dst4: a4("203.0.113.1"), DPort: 53}
			}
			t.OutboundBatch(now, in[:], out[:])
			k += MaxBatch
			done += MaxBatch
		}
		b.ReportMetric(float64(done)/b.Elapsed().Seconds(), "sessions/s")
		if t.C.Results[OK] != uint64(done) {
			b.Fatalf("results %v", t.C.Results)
		}
		t.Close()
	}
	// Rounds of up to 1M new sessions (a new host every 64 flows, a block
	// every 128 ports), then everything expires (not timed).
	b.Run("NewSession", func(b *testing.B) { newSession(b, 1<<20) })
	// Rounds of 16384: the table stays in cache, what is left is the work.
	b.Run("NewSessionCached", func(b *testing.B) { newSession(b, 1<<14) })
	// 10M UDP sessions, each on a mapping of its own (the worst case):
	// bytes per session of everything the table allocates, and a full GC
	// with it live. MemorySharedBIB: two destinations per mapping and a
	// BIB sized for it (Options.MaxBIB).
	memory := func(b *testing.B, share int, opt Options) {
		const n = 10_000_000
		for i := 0; i < b.N; i++ {
			runtime.GC()
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			t, _, _ := benchTable(b, n, 128, share, opt) // the flow lists are garbage at once
			runtime.GC()
			runtime.ReadMemStats(&m1)
			start := time.Now()
			runtime.GC()
			gc := time.Since(start)
			if s, _, _, _ := t.Len(); s != n {
				b.Fatalf("%d sessions", s)
			}
			b.ReportMetric(float64(m1.HeapAlloc-m0.HeapAlloc+uint64(t.MappedBytes()))/n, "B/session")
			b.ReportMetric(float64(gc.Microseconds())/1000, "gc-ms")
			t.Close()
		}
	}
	b.Run("Memory", func(b *testing.B) { memory(b, 1, Options{}) })
	b.Run("MemorySharedBIB", func(b *testing.B) { memory(b, 2, Options{MaxBIB: 5_000_000}) })
}
