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
// default) and .../6to4-1M/noprefetch, and the same 4to6: vectors of 64
// UDP frames (84 bytes of IPv6, 64 of IPv4) of flows taken at random among 1M live sessions (65536 hosts, 16
// flows each, every flow its own mapping), so most state lookups miss the
// caches. Each vector is written afresh (a template copied, the source
// address and port set, the UDP checksum adjusted); that cost is in the
// numbers and the same with and without the pre-pass, so the difference
// is what prefetch64 gains.
func benchNAT64Big(b *testing.B, from6, prefetch bool) {
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
	pool4 := make([][4]byte, n) // the IPv4 side of each flow, for 4to6
	port4 := make([]uint16, n)
	for k := 0; k < n; k++ {
		src := base
		binary.BigEndian.PutUint32(src[12:], uint32(k/perHost))
		a, p, r := fx.tab.Outbound(fx.now, nat64.ProtoUDP, src, uint16(10000+k%perHost), dst4, 80, 0)
		if r != nat64.OK {
			b.Fatalf("fill %d: %v", k, r)
		}
		pool4[k], port4[k] = a, p
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
	side, want := batch.Side6, batch.To4
	if !from6 {
		ip = pktbuild.IPv4{Src: natServer4, Dst: netip.AddrFrom4([4]byte{}), Proto: pktbuild.ProtoUDP}.Build(pktbuild.UDP(80, 0, pktbuild.Payload(18)))
		side, want = batch.Side4, batch.To6
	}
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
			p := buf[ipOff:]
			if from6 {
				host, port := k/perHost, uint16(10000+k%perHost)
				binary.BigEndian.PutUint32(p[20:], host)
				binary.BigEndian.PutUint16(p[40:], port)
				cs := binary.BigEndian.Uint16(p[46:])
				cs = checksum.Adjust(cs, 0, uint16(host>>16))
				cs = checksum.Adjust(cs, 0, uint16(host))
				cs = checksum.Adjust(cs, 10000, port)
				if cs == 0 {
					cs = 0xffff
				}
				binary.BigEndian.PutUint16(p[46:], cs)
			} else {
				// template: destination 0.0.0.0:0
				a, port := pool4[k], port4[k]
				hi, lo := binary.BigEndian.Uint16(a[:2]), binary.BigEndian.Uint16(a[2:])
				copy(p[16:20], a[:])
				binary.BigEndian.PutUint16(p[22:], port)
				hc := binary.BigEndian.Uint16(p[10:])
				hc = checksum.Adjust(checksum.Adjust(hc, 0, hi), 0, lo)
				binary.BigEndian.PutUint16(p[10:], hc)
				cs := binary.BigEndian.Uint16(p[26:])
				cs = checksum.Adjust(checksum.Adjust(checksum.Adjust(cs, 0, hi), 0, lo), 0, port)
				if cs == 0 {
					cs = 0xffff // 0 is "no checksum" (RFC 768)
				}
				binary.BigEndian.PutUint16(p[26:], cs)
			}
			v.Add(buf, batch.Headroom, frameLen, side)
		}
	}
	fill()
	fx.tr.Translate(&v, fx.now, alloc)
	for i := 0; i < v.N; i++ {
		if f := &v.Frames[i]; f.Verdict != want {
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
