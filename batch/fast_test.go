package batch_test

// The fast path (fast.go) against the general pipeline: every input goes
// through a Translator with the fast path and one without, on identical
// buffers, and the two must agree on every byte of every buffer, on
// offsets, lengths, verdicts, reasons, the frames created and the
// counters.

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sync"
	"testing"

	"github.com/xlatd/xlatd/batch"
	"github.com/xlatd/xlatd/header"
	"github.com/xlatd/xlatd/internal/pktbuild"
	"github.com/xlatd/xlatd/mapping"
)

// Fast-path fuzz configuration knobs: bits 0-2 choose pool6, the others
// as named.
const (
	fkMTU     = 1 << 3 // lowest-ipv6-mtu 1500, IPv6 MTU 1280, IPv4 MTU 1000 (below the DF threshold)
	fkReset   = 1 << 4 // reset traffic class and TOS
	fkAmend   = 1 << 5 // amend_udp_zero_checksum
	fkEAMT    = 1 << 6 // the graybox EAMT too (the fast path is then off)
	fkMTU4    = 1 << 7 // IPv4 MTU 1300, lowest-ipv6-mtu 1400
	fastKnobs = 1 << 8
)

// fastPool6 are the pool6 prefixes of the knobs' low three bits; the last
// is the WKP without the RFC 6052 section 3.1 rule.
var fastPool6 = [8]string{
	"2001:db8:100::/40", "2001:db8::/32", "2001:db8:aa00::/48", "2001:db8:aabb:cc00::/56",
	"2001:db8:1:2::/64", "2001:db8:64:ff9b:1:2::/96", "64:ff9b::/96", "64:ff9b::/96",
}

var (
	fastOnce sync.Once
	fastCfgs [fastKnobs]*batch.Config
)

func fastConfig(tb testing.TB, knobs uint8) *batch.Config {
	fastOnce.Do(func() {
		for k := range fastCfgs {
			c := batch.DefaultConfig()
			c.ICMPv4Source, c.ICMPv6Source, c.RFC6791v4 = grayICMPv4Src, grayICMPv6Src, gray6791v4
			var eams []mapping.EAM
			if k&fkEAMT != 0 {
				eams = grayEAMs
			}
			tab, err := mapping.NewTable(netip.MustParsePrefix(fastPool6[k&7]), eams)
			if err != nil {
				tb.Fatal(err)
			}
			if k&7 == 7 {
				tab = tab.WithoutWKPRule()
			}
			c.Map = tab
			if k&fkMTU != 0 {
				c.LowestIPv6MTU, c.MTU6, c.MTU4 = 1500, 1280, 1000
			}
			if k&fkMTU4 != 0 {
				c.LowestIPv6MTU, c.MTU4 = 1400, 1300
			}
			if k&fkReset != 0 {
				c.ResetTrafficClass, c.ResetTOS, c.TOS = true, true, 0x28
			}
			c.AmendUDPZeroChecksum = k&fkAmend != 0
			fastCfgs[k] = &c
		}
	})
	return fastCfgs[knobs]
}

// fastSide builds a vector of three copies of ip (so that the
// identification generator's order is compared too) behind an Ethernet
// header of type et, in buffers filled with a pattern.
func fastSide(et uint16, ip []byte) (*batch.Vector, int) {
	v := fastSides([]uint16{et, et, et}, [][]byte{ip, ip, ip})
	return v, header.EthernetLen + len(ip)
}

// fastSides builds a vector of the packets ips, each behind an Ethernet
// header of type ets[i], in buffers filled with a pattern.
func fastSides(ets []uint16, ips [][]byte) *batch.Vector {
	v := new(batch.Vector)
	for i, ip := range ips {
		in := batch.Side4
		if ets[i] == header.EtherTypeIPv6 {
			in = batch.Side6
		}
		buf := make([]byte, bufSize)
		for j := range buf {
			buf[j] = byte(j*7 + i)
		}
		putEthernet(buf[batch.Headroom:], ets[i])
		copy(buf[batch.Headroom+header.EthernetLen:], ip)
		v.Add(buf, batch.Headroom, header.EthernetLen+len(ip), in)
	}
	return v
}

type fixedAlloc struct{ n int }

func (a *fixedAlloc) Get() []byte {
	if a.n >= batch.ExtraSize {
		return nil
	}
	a.n++
	return make([]byte, bufSize)
}

// fastDiff translates ip with and without the fast path and describes
// the first difference ("" when there is none).
func fastDiff(cfg *batch.Config, et uint16, ip []byte) string {
	return fastDiffVec(cfg, []uint16{et, et, et}, [][]byte{ip, ip, ip})
}

// fastDiffVec is fastDiff for a vector of the packets ips behind
// EtherTypes ets.
func fastDiffVec(cfg *batch.Config, ets []uint16, ips [][]byte) string {
	va, vb := fastSides(ets, ips), fastSides(ets, ips)
	ta, tb := newTranslator(cfg), newTranslator(cfg)
	batch.DisableFastPath(tb, cfg)
	ta.Translate(va, 1e9, &fixedAlloc{})
	tb.Translate(vb, 1e9, &fixedAlloc{})
	if va.N != vb.N || va.NExtra != vb.NExtra {
		return fmt.Sprintf("frames: fast %d+%d, pipeline %d+%d", va.N, va.NExtra, vb.N, vb.NExtra)
	}
	for i := 0; i < va.N+va.NExtra; i++ {
		fa, fb := &va.Frames[0], &vb.Frames[0]
		if i < va.N {
			fa, fb = &va.Frames[i], &vb.Frames[i]
		} else {
			fa, fb = &va.Extra[i-va.N], &vb.Extra[i-va.N]
		}
		if fa.Off != fb.Off || fa.Len != fb.Len || fa.Verdict != fb.Verdict || fa.Reason != fb.Reason || fa.Owner != fb.Owner {
			return fmt.Sprintf("frame %d: fast off %d len %d %v/%v, pipeline off %d len %d %v/%v", i,
				fa.Off, fa.Len, fa.Verdict, fa.Reason, fb.Off, fb.Len, fb.Verdict, fb.Reason)
		}
		if !bytes.Equal(fa.Buf, fb.Buf) {
			for j := range fa.Buf {
				if fa.Buf[j] != fb.Buf[j] {
					return fmt.Sprintf("frame %d (%v): buffers differ at %d (frame offset %d): fast %#02x pipeline %#02x",
						i, fa.Verdict, j, j-fa.Off, fa.Buf[j], fb.Buf[j])
				}
			}
		}
	}
	if ta.Counters != tb.Counters {
		return fmt.Sprintf("counters: fast %+v, pipeline %+v", ta.Counters, tb.Counters)
	}
	return ""
}

// fastAccepts reports whether the fast path takes ip (one frame).
func fastAccepts(cfg *batch.Config, et uint16, ip []byte) bool {
	v, _ := fastSide(et, ip)
	tr := newTranslator(cfg)
	return batch.TryFastPath(tr, cfg, &v.Frames[0])
}

// reembed6 returns a copy of an IPv6 packet whose addresses, IPv4
// addresses under the graybox pool6, are re-embedded under pool6 p.
func reembed6(ip []byte, p netip.Prefix) []byte {
	out := append([]byte(nil), ip...)
	for _, off := range []int{header.IPv6Src, header.IPv6Dst} {
		a := netip.AddrFrom16([16]byte(out[off : off+16]))
		v4, err := mapping.Extract(grayPool6, a)
		if err != nil {
			continue
		}
		a6, err := mapping.Embed(p, v4)
		if err != nil {
			continue
		}
		b := a6.As16()
		copy(out[off:], b[:])
	}
	return out
}

// fastCases are packets for the fast path and around its edges.
func fastCases() (v4, v6 [][]byte) {
	udp4 := func(mod func(*pktbuild.IPv4), n int) []byte {
		h := h4(pktbuild.ProtoUDP)
		if mod != nil {
			mod(&h)
		}
		return h.Build(pktbuild.UDP(2000, 4000, pktbuild.Payload(n)))
	}
	tcp4 := func(mod func(*pktbuild.IPv4), n int) []byte {
		h := h4(pktbuild.ProtoTCP)
		if mod != nil {
			mod(&h)
		}
		return h.Build(pktbuild.TCP(2000, 4000, 1, 2, pktbuild.TCPAck, pktbuild.Payload(n)))
	}
	udp6 := func(mod func(*pktbuild.IPv6), n int) []byte {
		h := h6(pktbuild.ProtoUDP)
		if mod != nil {
			mod(&h)
		}
		return h.Build(pktbuild.UDP(4000, 2000, pktbuild.Payload(n)))
	}
	tcp6 := func(mod func(*pktbuild.IPv6), n int) []byte {
		h := h6(pktbuild.ProtoTCP)
		if mod != nil {
			mod(&h)
		}
		return h.Build(pktbuild.TCP(4000, 2000, 1, 2, pktbuild.TCPAck, pktbuild.Payload(n)))
	}
	df := func(h *pktbuild.IPv4) { h.DF = true }
	for _, n := range []int{0, 1, 18, 1000, 1232, 1233, 1452, 1453, 1472, 1473} {
		v4 = append(v4, udp4(nil, n), udp4(df, n), tcp4(nil, n), tcp4(df, n))
		v6 = append(v6, udp6(nil, n), tcp6(nil, n))
	}
	v4 = append(v4,
		udp4(func(h *pktbuild.IPv4) { h.TTL = 1 }, 18),
		udp4(func(h *pktbuild.IPv4) { h.TTL = 2 }, 18),
		udp4(func(h *pktbuild.IPv4) { h.TOS = 0xb8 }, 18),
		udp4(func(h *pktbuild.IPv4) { h.KeepL4Csum = true }, 18),
		udp4(func(h *pktbuild.IPv4) { h.BadCsum = true }, 18),
		udp4(func(h *pktbuild.IPv4) { h.Options = []byte{1, 1, 1, 1} }, 18),
		udp4(func(h *pktbuild.IPv4) { h.Dst = netip.MustParseAddr("127.0.0.1") }, 18),
		udp4(func(h *pktbuild.IPv4) { h.Src = netip.MustParseAddr("10.1.2.3") }, 18),
		udp4(func(h *pktbuild.IPv4) { h.MF = true }, 16),
		udp4(func(h *pktbuild.IPv4) { h.FragOff = 8 }, 16),
		tcp4(func(h *pktbuild.IPv4) { h.TTL = 2 }, 0),
		partialCsum(udp4(func(h *pktbuild.IPv4) { h.KeepL4Csum = true }, 18), false),
		partialCsum(tcp4(func(h *pktbuild.IPv4) { h.KeepL4Csum = true }, 18), false),
	)
	v6 = append(v6,
		udp6(func(h *pktbuild.IPv6) { h.HopLimit = 1 }, 18),
		udp6(func(h *pktbuild.IPv6) { h.HopLimit = 2 }, 18),
		udp6(func(h *pktbuild.IPv6) { h.TC = 0xb8 }, 18),
		udp6(func(h *pktbuild.IPv6) { h.KeepL4Csum = true }, 18),
		udp6(func(h *pktbuild.IPv6) { h.Flow = 0xfffff }, 18),
		udp6(func(h *pktbuild.IPv6) { h.Frag = &pktbuild.Frag{ID: 7} }, 18),
		udp6(func(h *pktbuild.IPv6) { h.Dst = netip.MustParseAddr("2001:db8:17f:1:1::") }, 18),
		udp6(func(h *pktbuild.IPv6) { h.Src = netip.MustParseAddr("2001:db8:10a:102:3::") }, 18),
		udp6(func(h *pktbuild.IPv6) { h.Src = netip.MustParseAddr("2001:db8:1c6:3364:2::1") }, 18),
		partialCsum(udp6(func(h *pktbuild.IPv6) { h.KeepL4Csum = true }, 18), true),
		partialCsum(tcp6(func(h *pktbuild.IPv6) { h.KeepL4Csum = true }, 18), true),
	)
	return v4, v6
}

// partialCsum sets the L4 checksum of ip (TCP or UDP right behind a
// header without options or extension headers) to its pseudo-header's
// folded sum, not complemented: a checksum left for offload (partialcsum.go),
// which the fast path leaves to the pipeline.
func partialCsum(ip []byte, v6 bool) []byte {
	var addrs []byte
	var proto byte
	var l4 []byte
	if v6 {
		addrs, proto, l4 = ip[header.IPv6Src:header.IPv6Dst+16], ip[header.IPv6NextHeader], ip[header.IPv6Len:]
	} else {
		addrs, proto, l4 = ip[12:20], ip[9], ip[header.IPv4MinLen:]
	}
	sum := uint32(proto) + uint32(len(l4))
	for i := 0; i < len(addrs); i += 2 {
		sum += uint32(addrs[i])<<8 | uint32(addrs[i+1])
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	off := 6 // UDP
	if proto == pktbuild.ProtoTCP {
		off = 16
	}
	l4[off], l4[off+1] = byte(sum>>8), byte(sum)
	return ip
}

// addrFlips are copies of an IPv6 packet, re-embedded under each pool6
// but the WKP, with one bit of the addresses flipped: in both the source
// and the destination (the same bit, so that a test of the two together
// cannot let them cancel out), and in only one of them (the source for
// even bits, the destination for odd ones). A flipped prefix, u octet or
// suffix bit must make the fast path refuse the packet.
func addrFlips(ip []byte) [][]byte {
	var out [][]byte
	for _, p := range fastPool6[:6] {
		b := reembed6(ip, netip.MustParsePrefix(p))
		for bit := 0; bit < 128; bit++ {
			i, m := bit/8, byte(0x80>>(bit%8))
			both := append([]byte(nil), b...)
			both[header.IPv6Src+i] ^= m
			both[header.IPv6Dst+i] ^= m
			one := append([]byte(nil), b...)
			if bit%2 == 0 {
				one[header.IPv6Src+i] ^= m
			} else {
				one[header.IPv6Dst+i] ^= m
			}
			out = append(out, both, one)
		}
	}
	return out
}

// fastSeeds are the fast-path cases, their address flips, the graybox
// corpus and the malformed and hostile cases, each with the IP version it
// is sent as.
func fastSeeds() (seeds [][]byte, v6 []bool) {
	c4, c6 := fastCases()
	for _, b := range c4 {
		seeds, v6 = append(seeds, b), append(v6, false)
	}
	for _, b := range c6 {
		seeds, v6 = append(seeds, b), append(v6, true)
		for _, p := range fastPool6[1:7] {
			seeds, v6 = append(seeds, reembed6(b, netip.MustParsePrefix(p))), append(v6, true)
		}
	}
	for _, b := range addrFlips(c6[0]) {
		seeds, v6 = append(seeds, b), append(v6, true)
	}
	for _, b := range corpusSeeds() {
		seeds, v6 = append(seeds, b), append(v6, len(b) > 0 && b[0]>>4 == 6)
	}
	for _, c := range append(malformedCases(), hostileCases()...) {
		seeds, v6 = append(seeds, c.ip), append(v6, c.et == header.EtherTypeIPv6)
	}
	return seeds, v6
}

func etherType(v6 bool) uint16 {
	if v6 {
		return header.EtherTypeIPv6
	}
	return header.EtherTypeIPv4
}

// TestFastPathEqual runs every seed under every pool6 (and some of the
// other knobs, varying with the seed) through both paths; FuzzFastPath
// goes on from there.
func TestFastPathEqual(t *testing.T) {
	seeds, v6 := fastSeeds()
	accepted := 0
	for p := 0; p < 8; p++ {
		for i, ip := range seeds {
			k := p | (i*37+p*11)&0xf8
			cfg := fastConfig(t, uint8(k))
			if d := fastDiff(cfg, etherType(v6[i]), ip); d != "" {
				t.Fatalf("knobs %#x seed %d: %s\n%s", k, i, d, describe(ip))
			}
			if fastAccepts(cfg, etherType(v6[i]), ip) {
				accepted++
			}
		}
	}
	t.Logf("%d seeds x 8 configurations, the fast path took %d", len(seeds), accepted)
	if accepted == 0 {
		t.Fatal("the fast path took nothing")
	}
}

// TestFastPathMixed: vectors of seeds in a random order (both
// directions, frames the fast path takes and frames it leaves, in runs
// and alternating), so that each direction's loop starts, stops and
// resumes anywhere in a vector, under every pool6 length.
func TestFastPathMixed(t *testing.T) {
	seeds, v6 := fastSeeds()
	rnd := rand.New(rand.NewPCG(8, 2026))
	for p := 0; p < 8; p++ {
		for r := 0; r < 40; r++ {
			k := p | rnd.IntN(fastKnobs)&0xb8 // not fkEAMT: the fast path would be off
			cfg := fastConfig(t, uint8(k))
			n := 1 + rnd.IntN(batch.Size)
			ets, ips := make([]uint16, n), make([][]byte, n)
			run := 0
			for i := range ips {
				if run == 0 || rnd.IntN(4) == 0 {
					run = rnd.IntN(len(seeds))
				} else if rnd.IntN(2) == 0 {
					run = (run + 1) % len(seeds) // a neighbour: often the same direction
				}
				ips[i], ets[i] = seeds[run], etherType(v6[run])
			}
			if d := fastDiffVec(cfg, ets, ips); d != "" {
				t.Fatalf("knobs %#x, round %d: %s", k, r, d)
			}
		}
	}
}

// TestFastPathTakes checks that the fast path takes the common packets,
// under every pool6 length, and leaves the rest.
func TestFastPathTakes(t *testing.T) {
	for k := 0; k < 8; k++ {
		cfg := fastConfig(t, uint8(k))
		p := netip.MustParsePrefix(fastPool6[k])
		for _, sc := range scenarios() {
			want := sc.name == "UDP/4to6" || sc.name == "UDP/6to4" || sc.name == "TCP/4to6" ||
				sc.name == "TCP/6to4" || sc.name == "UDP1500/4to6" || sc.name == "UDP1500/6to4" ||
				sc.name == "UDP/mixed" // its first packet, UDP/4to6
			ip, et := sc.ip, uint16(header.EtherTypeIPv4)
			if ip[0]>>4 == 6 {
				ip, et = reembed6(ip, p), header.EtherTypeIPv6
			}
			if k == 6 {
				want = false // the WKP with RFC 6052 section 3.1's rule: the pipeline's
			}
			if got := fastAccepts(cfg, et, ip); got != want {
				t.Errorf("pool6 %s, %s: fast path took it: %v, want %v", p, sc.name, got, want)
			}
			if d := fastDiff(cfg, et, ip); d != "" {
				t.Errorf("pool6 %s, %s: %s", p, sc.name, d)
			}
		}
	}
	for _, k := range []uint8{fkEAMT, fkEAMT | 1, 6} {
		cfg := fastConfig(t, k)
		if batch.FastPathOn(cfg) {
			t.Errorf("knobs %#x: fast path on (an EAMT, or the WKP with its rule)", k)
		}
		for _, sc := range scenarios() {
			if sc.ip[0]>>4 == 4 && fastAccepts(cfg, header.EtherTypeIPv4, sc.ip) ||
				sc.ip[0]>>4 == 6 && fastAccepts(cfg, header.EtherTypeIPv6, sc.ip) {
				t.Errorf("knobs %#x: fast path took %s while off", k, sc.name)
			}
		}
	}
	if !batch.FastPathOn(benchConfig(t)) {
		t.Error("fast path off for the benchmark configuration")
	}
}

// FuzzFastPath: any input, any configuration, both paths must agree.
func FuzzFastPath(f *testing.F) {
	seeds, v6 := fastSeeds()
	for i, b := range seeds {
		f.Add(b, uint8(i), v6[i])
	}
	f.Fuzz(func(t *testing.T, ip []byte, knobs uint8, v6 bool) {
		if len(ip) > bufSize-batch.Headroom-header.EthernetLen {
			return
		}
		if d := fastDiff(fastConfig(t, knobs), etherType(v6), ip); d != "" {
			t.Fatalf("knobs %#x: %s\n%s", knobs, d, describe(ip))
		}
	})
}
