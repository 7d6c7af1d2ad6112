package batch_test

import (
	"bytes"
	"encoding/binary"
	"math/rand"
	"net/netip"
	"testing"

	"github.com/xlatd/xlatd/batch"
	"github.com/xlatd/xlatd/config/nat64conf"
	"github.com/xlatd/xlatd/header"
	"github.com/xlatd/xlatd/internal/pktbuild"
	"github.com/xlatd/xlatd/nat64"
)

// TestNAT64PrefetchSameResult: with a table large enough for the pre-pass
// (nat64.Table.WorthPrefetch), a vector gets the same verdicts and bytes
// with and without it, and frames of any length and content (cut headers,
// IPv4 options longer than the packet, fragments, ICMP) never trip its
// parsing.
func TestNAT64PrefetchSameResult(t *testing.T) {
	const n = 1 << 16
	fx := newNATFixture(t, func(c *nat64conf.NAT64, _ *nat64.Options) {
		c.Pool4 = []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24")}
		c.Ports = nat64conf.PortRange{Lo: 1024, Hi: 65535}
		c.PortBlockSize = 128
		c.MaxBlocksPerSubscriber = 16
		c.SubscriberPrefixLength = 128
		c.MaxSessions = 2 * n
		c.Static = nil
	})
	base := netip.MustParseAddr("2001:db8:1::").As16()
	var a4 [][4]byte
	var p4 []uint16
	for k := 0; k < n; k++ {
		src := base
		binary.BigEndian.PutUint32(src[12:], uint32(k/16))
		a, p, r := fx.tab.Outbound(fx.now, nat64.ProtoUDP, src, uint16(10000+k%16), natServer4.As4(), 80, 0)
		if r != nat64.OK {
			t.Fatalf("fill %d: %v", k, r)
		}
		a4, p4 = append(a4, a), append(p4, p)
	}
	if !fx.tab.WorthPrefetch() {
		t.Fatal("the table is too small for the pre-pass")
	}
	rng := rand.New(rand.NewSource(1))
	var ips [][]byte
	for i := 0; i < 24; i++ {
		k := rng.Intn(n)
		src := base
		binary.BigEndian.PutUint32(src[12:], uint32(k/16))
		ips = append(ips,
			pktbuild.IPv6{Src: netip.AddrFrom16(src), Dst: embed6(natServer4), NextHeader: pktbuild.ProtoUDP}.Build(pktbuild.UDP(uint16(10000+k%16), 80, pktbuild.Payload(18))),
			pktbuild.IPv4{Src: natServer4, Dst: netip.AddrFrom4(a4[k]), Proto: pktbuild.ProtoUDP}.Build(pktbuild.UDP(80, p4[k], pktbuild.Payload(18))))
	}
	// Flows without state: ICMP echo both ways, TCP without SYN.
	ips = append(ips,
		pktbuild.IPv6{Src: natHost6, Dst: embed6(natServer4), NextHeader: pktbuild.ProtoICMPv6}.Build(pktbuild.Echo(128, 77, 1, pktbuild.Payload(8))),
		pktbuild.IPv4{Src: natServer4, Dst: netip.AddrFrom4(a4[0]), Proto: pktbuild.ProtoICMP}.Build(pktbuild.Echo(0, 77, 1, pktbuild.Payload(8))),
		pktbuild.IPv6{Src: natHost6, Dst: embed6(natServer4), NextHeader: pktbuild.ProtoTCP}.Build(pktbuild.TCP(5555, 80, 1, 2, tcpACK, nil)))
	// Cut and scrambled copies: every length of a UDP packet each way,
	// IPv4 with IHL 15 and too few bytes, a later fragment.
	for _, ip := range ips[:2] {
		for l := 0; l < len(ip); l += 3 {
			ips = append(ips, append([]byte(nil), ip[:l]...))
		}
	}
	v4 := append([]byte(nil), ips[1]...)
	v4[0] = 0x4f
	ips = append(ips, v4)
	fr := append([]byte(nil), ips[1]...)
	binary.BigEndian.PutUint16(fr[6:], 100)
	ips = append(ips, fr)
	for i := 0; i < 32; i++ {
		b := make([]byte, rng.Intn(80))
		rng.Read(b)
		if len(b) > 0 {
			b[0] = byte(0x40 + 0x20*rng.Intn(2) + rng.Intn(16))
		}
		ips = append(ips, b)
	}
	// norm is a frame's bytes without what differs between two
	// translations anyway: the IPv4 Identification (random) and the
	// header checksum over it.
	norm := func(f *batch.Frame) []byte {
		b := append([]byte(nil), f.Bytes()...)
		if len(b) >= header.EthernetLen+20 && b[header.EthernetLen]>>4 == 4 {
			ip := b[header.EthernetLen:]
			ip[4], ip[5], ip[10], ip[11] = 0, 0, 0, 0
		}
		return b
	}
	run := func(prefetch bool, part [][]byte) []*batch.Frame {
		fx.tr.SetNAT64Prefetch(prefetch)
		return fx.send(part...)
	}
	for off := 0; off < len(ips); off += batch.Size {
		part := ips[off:min(off+batch.Size, len(ips))]
		with := run(true, part)
		var got [][]byte
		var verdicts []batch.Verdict
		for _, f := range with {
			got = append(got, norm(f))
			verdicts = append(verdicts, f.Verdict)
		}
		without := run(false, part)
		if len(without) != len(with) {
			t.Fatalf("vector at %d: %d frames with the pre-pass, %d without", off, len(with), len(without))
		}
		for i, f := range without {
			if f.Verdict != verdicts[i] || !bytes.Equal(norm(f), got[i]) {
				t.Errorf("frame %d: verdict %v with the pre-pass, %v without, or different bytes", off+i, verdicts[i], f.Verdict)
			}
		}
		if off == 0 {
			for i := 0; i < 48; i++ {
				if verdicts[i] == batch.Drop {
					t.Errorf("frame %d of an established flow dropped: %v", i, with[i].Reason)
				}
			}
		}
	}
}
