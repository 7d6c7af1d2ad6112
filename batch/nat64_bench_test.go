//go:build linux

package batch_test

import (
	"encoding/binary"
	"net/netip"
	"runtime"
	"testing"

	"github.com/xlatd/xlatd/batch"
	"github.com/xlatd/xlatd/checksum"
	"github.com/xlatd/xlatd/config/nat64conf"
	"github.com/xlatd/xlatd/header"
	"github.com/xlatd/xlatd/internal/pktbuild"
	"github.com/xlatd/xlatd/nat64"
)

// benchNAT64Big is BenchmarkTranslate/NAT64/UDP/6to4-1M (prefetch on, the
// default) and .../6to4-1M/noprefetch: vectors of 64 UDP frames (84 bytes of
// IPv6) of flows taken at random among 1M live sessions (65536 hosts, 16
// flows each, every flow its own mapping), so most state lookups miss the
// caches. Each vector is written afresh (a template copied, the source
// address and port set, the UDP checksum adjusted); that cost is in the
// numbers and the same with and without the pre-pass, so the difference
// is what prefetch64 gains.
func benchNAT64Big(b *testing.B, prefetch bool) {
	const (
		hosts   = 1 << 16
		perHost = 16
		n       = hosts * perHost
	)
	fx := newNATFixture(b, func(c *nat64conf.NAT64, _ *nat64.Options) {
		c.Pool4 = []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24")}
		c.Ports = nat64conf.PortRange{Lo: 1024, Hi: 65535}
		c.PortBlockSize = 128
		c.MaxBlocksPerSubscriber = 16
		c.SubscriberPrefixLength = 128
		c.MaxSessions = n
		c.Static = nil
	})
	fx.tr.SetNAT64Prefetch(prefetch)
	base := netip.MustParseAddr("2001:db8:1::").As16()
	dst4 := natServer4.As4()
	for k := 0; k < n; k++ {
		src := base
		binary.BigEndian.PutUint32(src[12:], uint32(k/perHost))
		if _, _, r := fx.tab.Outbound(fx.now, nat64.ProtoUDP, src, uint16(10000+k%perHost), dst4, 80, 0); r != nat64.OK {
			b.Fatalf("fill %d: %v", k, r)
		}
	}
	perm := make([]uint32, n)
	for i := range perm {
		perm[i] = uint32(i)
	}
	rng := uint64(42)
	for i := n - 1; i > 0; i-- {
		rng ^= rng << 13
		rng ^= rng >> 7
		rng ^= rng << 17
		j := int(rng % uint64(i+1))
		perm[i], perm[j] = perm[j], perm[i]
	}
	ip := pktbuild.IPv6{Src: netip.AddrFrom16(base), Dst: embed6(natServer4), NextHeader: pktbuild.ProtoUDP}.Build(pktbuild.UDP(10000, 80, pktbuild.Payload(18)))
	tmpl, _ := newFrame(ip)
	frameLen := header.EthernetLen + len(ip)
	tmpl = tmpl[batch.Headroom : batch.Headroom+frameLen]
	const ipOff = batch.Headroom + header.EthernetLen
	var bufs [batch.Size][]byte
	for i := range bufs {
		bufs[i] = make([]byte, bufSize)
	}
	var v batch.Vector
	alloc := &heapAlloc{}
	next := 0
	fill := func() {
		v.Reset()
		for j := range bufs {
			k := perm[next]
			next++
			if next == n {
				next = 0
			}
			buf := bufs[j]
			copy(buf[batch.Headroom:], tmpl)
			host, port := k/perHost, uint16(10000+k%perHost)
			p := buf[ipOff:]
			binary.BigEndian.PutUint32(p[20:], host)
			binary.BigEndian.PutUint16(p[40:], port)
			cs := binary.BigEndian.Uint16(p[46:])
			cs = checksum.Adjust(cs, 0, uint16(host>>16))
			cs = checksum.Adjust(cs, 0, uint16(host))
			cs = checksum.Adjust(cs, 10000, port)
			binary.BigEndian.PutUint16(p[46:], cs)
			v.Add(buf, batch.Headroom, frameLen, batch.Side6)
		}
	}
	fill()
	fx.tr.Translate(&v, fx.now, alloc)
	for i := 0; i < v.N; i++ {
		if f := &v.Frames[i]; f.Verdict != batch.To4 {
			b.Fatalf("frame %d: verdict %v (reason %v)", i, f.Verdict, f.Reason)
		}
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := threadCPU()
	for b.Loop() {
		fill()
		fx.tr.Translate(&v, fx.now, alloc)
	}
	cpu := threadCPU() - cpu0
	pkts := float64(b.N) * batch.Size
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/pkts, "ns/pkt")
	b.ReportMetric(float64(cpu.Nanoseconds())/pkts, "cpu-ns/pkt")
	if c := fx.tr.Counters.Drops; c != ([len(c)]uint64{}) {
		b.Fatalf("drops %v", c)
	}
}
