package batch_test

// Focused tests of the IPv6 -> IPv4 path (RFC 7915 section 5) for cases the
// Jool corpus does not cover: the extension-header walk, every ICMPv6 type
// and code, Packet Too Big arithmetic, the ICMPv6 errors xlatd originates,
// IPv4 fragmentation, sources without a mapping, allocation.

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/xlatd/xlatd/batch"
	"github.com/xlatd/xlatd/header"
	"github.com/xlatd/xlatd/internal/graybox"
	"github.com/xlatd/xlatd/internal/pktbuild"
	"github.com/xlatd/xlatd/mapping"
)

// run64 translates one IPv6 packet with cfg and returns the vector.
func run64(t *testing.T, cfg *batch.Config, ip []byte, alloc batch.Allocator) *batch.Vector {
	t.Helper()
	buf, n := newFrame(ip)
	v := new(batch.Vector)
	v.Add(buf, batch.Headroom, n, batch.Side6)
	newTranslator(cfg).Translate(v, 1e9, alloc)
	return v
}

// ipOf returns the IP packet of a frame.
func ipOf(f *batch.Frame) []byte { return f.Bytes()[header.EthernetLen:] }

func expectDrop(t *testing.T, v *batch.Vector, r batch.Reason) {
	t.Helper()
	if f := &v.Frames[0]; f.Verdict != batch.Drop || f.Reason != r {
		t.Fatalf("verdict %v reason %v, want drop %v", f.Verdict, f.Reason, r)
	}
}

// expectICMP6Back checks an ICMPv6 error xlatd originated about orig and
// returns its ICMPv6 header.
func expectICMP6Back(t *testing.T, v *batch.Vector, orig []byte, typ, code uint8, param uint32, r batch.Reason) []byte {
	t.Helper()
	f := &v.Frames[0]
	if f.Verdict != batch.Back || f.Reason != r {
		t.Fatalf("verdict %v reason %v, want back %v", f.Verdict, f.Reason, r)
	}
	b := f.Bytes()
	if !bytes.Equal(b[0:6], macPeer[:]) || !bytes.Equal(b[6:12], macXlat[:]) {
		t.Errorf("MACs not swapped: % x", b[:12])
	}
	if et := binary.BigEndian.Uint16(b[12:]); et != header.EtherTypeIPv6 {
		t.Errorf("EtherType %#x", et)
	}
	ip := b[header.EthernetLen:]
	if ip[0]>>4 != 6 || header.IPv6(ip).TrafficClass() != 0 || header.IPv6(ip).FlowLabel() != 0 ||
		ip[6] != header.ProtoICMPv6 || ip[7] != 64 || int(binary.BigEndian.Uint16(ip[4:]))+40 != len(ip) {
		t.Errorf("bad IPv6 header: %s", describe(ip))
	}
	src := grayICMPv6Src.As16()
	if !bytes.Equal(ip[8:24], src[:]) || !bytes.Equal(ip[24:40], orig[8:24]) {
		t.Errorf("addresses: %s", describe(ip))
	}
	if len(ip) > 1280 {
		t.Errorf("ICMPv6 error of %d bytes", len(ip))
	}
	if !pktbuild.ValidL4Checksum6(ip, 40, header.ProtoICMPv6) {
		t.Errorf("ICMPv6 checksum invalid")
	}
	ic := ip[40:]
	if ic[0] != typ || ic[1] != code || binary.BigEndian.Uint32(ic[4:]) != param {
		t.Errorf("ICMPv6 %d/%d param %d, want %d/%d %d", ic[0], ic[1], binary.BigEndian.Uint32(ic[4:]), typ, code, param)
	}
	q := orig
	if len(q) > 1280-48 {
		q = q[:1280-48]
	}
	if !bytes.Equal(ic[8:], q) {
		t.Errorf("quote differs from the original packet")
	}
	return ic
}

func TestT64ExtensionHeaders(t *testing.T) {
	cfg := grayConfig(t, graybox.Env{})
	udp := pktbuild.UDP(2000, 4000, pktbuild.Payload(8))
	frag := &pktbuild.Frag{ID: 7}
	fragLike := pktbuild.Ext{Type: pktbuild.ProtoFragment, Data: make([]byte, 6)}
	ah := pktbuild.Ext{Type: header.ProtoAH, Data: make([]byte, 14)}

	t.Run("skipped", func(t *testing.T) {
		h := h6(pktbuild.ProtoUDP)
		h.Ext = []pktbuild.Ext{pktbuild.HopByHop(), pktbuild.DestOpts(), pktbuild.Routing(0, mc6), pktbuild.DestOpts()}
		v := run64(t, cfg, h.Build(udp), nil)
		f := &v.Frames[0]
		if f.Verdict != batch.To4 {
			t.Fatalf("verdict %v reason %v", f.Verdict, f.Reason)
		}
		ip := ipOf(f)
		if ip[9] != header.ProtoUDP || len(ip) != 20+len(udp) || !pktbuild.ValidL4Checksum4(ip) {
			t.Errorf("bad output %s", describe(ip))
		}
	})
	t.Run("segments-left", func(t *testing.T) {
		h := h6(pktbuild.ProtoUDP)
		h.Ext = []pktbuild.Ext{pktbuild.HopByHop(), pktbuild.Routing(1, mc6)}
		ip := h.Build(udp)
		v := run64(t, cfg, ip, nil)
		// Pointer: 40 (IPv6) + 8 (Hop-by-Hop) + 3.
		expectICMP6Back(t, v, ip, 4, 0, 51, batch.ReasonSegmentsLeft)
	})
	t.Run("ah-after-fragment", func(t *testing.T) {
		h := h6(pktbuild.ProtoUDP)
		h.Frag = frag
		h.ExtAfterFrag = []pktbuild.Ext{ah}
		ip := h.Build(udp)
		expectICMP6Back(t, run64(t, cfg, ip, nil), ip, 1, 1, 0, batch.ReasonExtAfterFragment)
	})
	drops := map[string]pktbuild.IPv6{}
	h := h6(pktbuild.ProtoUDP)
	h.Frag = frag
	h.ExtAfterFrag = []pktbuild.Ext{fragLike}
	drops["two-fragment-headers"] = h
	h = h6(pktbuild.ProtoUDP)
	h.Ext = []pktbuild.Ext{pktbuild.DestOpts(), pktbuild.HopByHop()}
	drops["hop-by-hop-not-first"] = h
	h = h6(pktbuild.ProtoUDP)
	for i := 0; i < 10; i++ {
		h.Ext = append(h.Ext, pktbuild.DestOpts())
	}
	drops["too-many"] = h
	h = h6(pktbuild.ProtoUDP)
	h.Ext = []pktbuild.Ext{{Type: pktbuild.ProtoDestOpts, Data: make([]byte, 600)}}
	drops["too-long"] = h
	h = h6(pktbuild.ProtoUDP)
	h.Ext = []pktbuild.Ext{{Type: pktbuild.ProtoDestOpts, Len: 20}}
	drops["truncated"] = h
	for name, h := range drops {
		t.Run(name, func(t *testing.T) {
			expectDrop(t, run64(t, cfg, h.Build(udp), nil), batch.ReasonBadExtHeaders)
		})
	}
	t.Run("ah-is-the-protocol", func(t *testing.T) {
		// RFC 7915 5.1: only 0, 43, 60 are skipped; AH is copied as the protocol.
		h := h6(header.ProtoAH)
		v := run64(t, cfg, h.Build(ah.Data[:8]), nil)
		if f := &v.Frames[0]; f.Verdict != batch.To4 || ipOf(f)[9] != header.ProtoAH {
			t.Fatalf("verdict %v reason %v", f.Verdict, f.Reason)
		}
	})
}

// icmpErr6 builds an ICMPv6 error type/code/rest quoting an IPv6/UDP packet
// sent by the IPv4 side (ms6 -> mc6).
func icmpErr6(typ, code uint8, rest uint32, inner []byte) []byte {
	if inner == nil {
		ih := h6(pktbuild.ProtoUDP)
		ih.Src, ih.Dst = ms6, mc6
		inner = ih.Build(pktbuild.UDP(4000, 2000, pktbuild.Payload(64)))
	}
	return h6(pktbuild.ProtoICMPv6).Build(pktbuild.ICMP(typ, code, rest, inner))
}

func TestT64ICMPv6Errors(t *testing.T) {
	cfg := grayConfig(t, graybox.Env{})
	type want struct {
		typ, code uint8
		rest      uint32
		drop      batch.Reason
	}
	cases := []struct {
		typ, code uint8
		rest      uint32
		want      want
	}{
		{1, 0, 0, want{3, 1, 0, 0}},
		{1, 1, 0, want{3, 10, 0, 0}},
		{1, 2, 0, want{3, 1, 0, 0}},
		{1, 3, 0, want{3, 1, 0, 0}},
		{1, 4, 0, want{3, 3, 0, 0}},
		{1, 5, 0, want{drop: batch.ReasonICMPUntranslatable}},
		{1, 6, 0, want{drop: batch.ReasonICMPUntranslatable}},
		{2, 0, 1500, want{3, 4, 1480, 0}}, // min(1500-20, MTU4 1500, MTU6 1500-20)
		{2, 0, 9000, want{3, 4, 1480, 0}},
		{2, 0, 1280, want{3, 4, 1260, 0}},
		{2, 0, 0, want{drop: batch.ReasonICMPBadMTU}},
		{2, 0, 87, want{drop: batch.ReasonICMPBadMTU}},
		{3, 0, 0, want{11, 0, 0, 0}},
		{3, 1, 0, want{11, 1, 0, 0}},
		{4, 0, 0, want{12, 0, 0 << 24, 0}},
		{4, 0, 1, want{12, 0, 1 << 24, 0}},
		{4, 0, 2, want{drop: batch.ReasonICMPUntranslatable}},
		{4, 0, 3, want{drop: batch.ReasonICMPUntranslatable}},
		{4, 0, 4, want{12, 0, 2 << 24, 0}},
		{4, 0, 5, want{12, 0, 2 << 24, 0}},
		{4, 0, 6, want{12, 0, 9 << 24, 0}},
		{4, 0, 7, want{12, 0, 8 << 24, 0}},
		{4, 0, 8, want{12, 0, 12 << 24, 0}},
		{4, 0, 23, want{12, 0, 12 << 24, 0}},
		{4, 0, 24, want{12, 0, 16 << 24, 0}},
		{4, 0, 39, want{12, 0, 16 << 24, 0}},
		{4, 0, 40, want{drop: batch.ReasonICMPUntranslatable}},
		{4, 1, 0, want{3, 2, 0, 0}},
		{4, 2, 0, want{drop: batch.ReasonICMPUntranslatable}},
		{5, 0, 0, want{drop: batch.ReasonICMPUntranslatable}},
		{127, 0, 0, want{drop: batch.ReasonICMPUntranslatable}},
	}
	for _, c := range cases {
		ip := icmpErr6(c.typ, c.code, c.rest, nil)
		v := run64(t, cfg, ip, nil)
		f := &v.Frames[0]
		if c.want.drop != batch.ReasonNone {
			if f.Verdict != batch.Drop || f.Reason != c.want.drop {
				t.Errorf("%d/%d %d: verdict %v reason %v, want drop %v", c.typ, c.code, c.rest, f.Verdict, f.Reason, c.want.drop)
			}
			continue
		}
		if f.Verdict != batch.To4 {
			t.Errorf("%d/%d %d: verdict %v reason %v", c.typ, c.code, c.rest, f.Verdict, f.Reason)
			continue
		}
		out := ipOf(f)
		if !ipv4HeaderValid(out) || out[9] != header.ProtoICMP || int(binary.BigEndian.Uint16(out[2:])) != len(out) || out[8] != 63 {
			t.Errorf("%d/%d: bad outer header %s", c.typ, c.code, describe(out))
		}
		ic := out[20:]
		if pktbuild.Sum(ic, 0) != 0xffff {
			t.Errorf("%d/%d: ICMPv4 checksum invalid", c.typ, c.code)
		}
		if ic[0] != c.want.typ || ic[1] != c.want.code || binary.BigEndian.Uint32(ic[4:]) != c.want.rest {
			t.Errorf("%d/%d %d: got %d/%d %#x, want %d/%d %#x", c.typ, c.code, c.rest,
				ic[0], ic[1], binary.BigEndian.Uint32(ic[4:]), c.want.typ, c.want.code, c.want.rest)
		}
		in := ic[8:]
		if !ipv4HeaderValid(in) || in[8] != 64 || !pktbuild.ValidL4Checksum4(in) {
			t.Errorf("%d/%d: bad inner packet %s", c.typ, c.code, describe(in))
		}
		if !bytes.Equal(in[12:16], []byte{198, 51, 100, 2}) || !bytes.Equal(in[16:20], []byte{192, 0, 2, 33}) {
			t.Errorf("inner addresses %v %v", in[12:16], in[16:20])
		}
	}
}

func TestT64ICMPv6ErrorInner(t *testing.T) {
	cfg := grayConfig(t, graybox.Env{})
	t.Run("ptb-inner-fragment", func(t *testing.T) {
		// RFC 7915 5.2: "taking into account whether or not the packet in
		// error includes a Fragment Header": 1400 - 28.
		ih := h6(pktbuild.ProtoUDP)
		ih.Src, ih.Dst = ms6, mc6
		ih.Frag = &pktbuild.Frag{M: true, ID: 0xabcd1234}
		inner := ih.Build(pktbuild.UDP(4000, 2000, pktbuild.Payload(64)))
		v := run64(t, cfg, icmpErr6(2, 0, 1400, inner), nil)
		f := &v.Frames[0]
		if f.Verdict != batch.To4 {
			t.Fatalf("verdict %v reason %v", f.Verdict, f.Reason)
		}
		out := ipOf(f)
		if mtu := binary.BigEndian.Uint16(out[26:]); mtu != 1372 {
			t.Errorf("MTU %d, want 1372", mtu)
		}
		in := out[28:]
		if header.IPv4(in).ID() != 0x1234 || !header.IPv4(in).MF() || header.IPv4(in).DF() {
			t.Errorf("inner fragment fields: %s", describe(in))
		}
	})
	t.Run("error-in-error", func(t *testing.T) {
		inner := icmpErr6(1, 4, 0, nil)
		copy(inner[8:24], ms6.AsSlice())
		copy(inner[24:40], mc6.AsSlice())
		expectDrop(t, run64(t, cfg, icmpErr6(1, 4, 0, inner), nil), batch.ReasonICMPErrorInError)
	})
	t.Run("inner-echo", func(t *testing.T) {
		ih := h6(pktbuild.ProtoICMPv6)
		ih.Src, ih.Dst = ms6, mc6
		inner := ih.Build(pktbuild.Echo(128, 7, 9, pktbuild.Payload(32)))
		v := run64(t, cfg, icmpErr6(3, 0, 0, inner), nil)
		f := &v.Frames[0]
		if f.Verdict != batch.To4 {
			t.Fatalf("verdict %v reason %v", f.Verdict, f.Reason)
		}
		in := ipOf(f)[28:]
		if in[9] != header.ProtoICMP || in[20] != 8 || !pktbuild.ValidL4Checksum4(in) {
			t.Errorf("inner echo: %s", describe(in))
		}
	})
	t.Run("bad-checksum", func(t *testing.T) {
		ip := icmpErr6(1, 4, 0, nil)
		ip[43]++
		expectDrop(t, run64(t, cfg, ip, nil), batch.ReasonICMPBadChecksum)
	})
	t.Run("rfc4884-length-too-big", func(t *testing.T) {
		ip := icmpErr6(1, 4, 0, nil)
		ip[44] = 200 // 1600 bytes of original datagram claimed
		fixICMP6(ip)
		expectDrop(t, run64(t, cfg, ip, nil), batch.ReasonICMPBadExtension)
	})
	t.Run("no-inner", func(t *testing.T) {
		ip := h6(pktbuild.ProtoICMPv6).Build(pktbuild.ICMP(1, 4, 0, pktbuild.Payload(20)))
		expectDrop(t, run64(t, cfg, ip, nil), batch.ReasonICMPBadInner)
	})
	t.Run("unmapped-source-rfc6791", func(t *testing.T) {
		ip := icmpErr6(1, 4, 0, nil)
		copy(ip[8:24], netip.MustParseAddr("2001:db8:ffff::1").AsSlice())
		fixICMP6(ip)
		for _, c := range []struct {
			env  graybox.Env
			src  [4]byte
			drop batch.Reason
		}{
			{graybox.Env{}, [4]byte{203, 0, 113, 8}, 0},
			{graybox.Env{No6791v4: true}, [4]byte{198, 51, 100, 1}, 0},
		} {
			v := run64(t, grayConfig(t, c.env), ip, nil)
			f := &v.Frames[0]
			if f.Verdict != batch.To4 || !bytes.Equal(ipOf(f)[12:16], c.src[:]) {
				t.Errorf("%+v: verdict %v reason %v", c.env, f.Verdict, f.Reason)
			}
		}
		cfg := grayConfig(t, graybox.Env{No6791v4: true})
		cfg.ICMPv4Source = netip.Addr{}
		expectDrop(t, run64(t, cfg, ip, nil), batch.ReasonNoICMPSource)
	})
}

// fixICMP6 recomputes the ICMPv6 checksum of an unfragmented IPv6 packet
// without extension headers.
func fixICMP6(ip []byte) {
	ip[42], ip[43] = 0, 0
	var ph uint32
	for i := 8; i < 40; i += 2 {
		ph += uint32(ip[i])<<8 | uint32(ip[i+1])
	}
	ph += uint32(len(ip)-40) + header.ProtoICMPv6
	binary.BigEndian.PutUint16(ip[42:], ^pktbuild.Sum(ip[40:], ph))
}

func TestT64ICMPv6Info(t *testing.T) {
	cfg := grayConfig(t, graybox.Env{})
	for _, typ := range []uint8{130, 131, 132, 133, 134, 135, 136, 137, 143, 200} {
		ip := h6(pktbuild.ProtoICMPv6).Build(pktbuild.ICMP(typ, 0, 0, pktbuild.Payload(16)))
		v := run64(t, cfg, ip, nil)
		if f := &v.Frames[0]; f.Verdict != batch.Drop || f.Reason != batch.ReasonICMPUntranslatable {
			t.Errorf("type %d: verdict %v reason %v", typ, f.Verdict, f.Reason)
		}
	}
	for typ, want := range map[uint8]uint8{128: 8, 129: 0} {
		ip := h6(pktbuild.ProtoICMPv6).Build(pktbuild.Echo(typ, 1, 2, pktbuild.Payload(16)))
		v := run64(t, cfg, ip, nil)
		f := &v.Frames[0]
		if f.Verdict != batch.To4 || ipOf(f)[20] != want || !pktbuild.ValidL4Checksum4(ipOf(f)) {
			t.Errorf("type %d: verdict %v reason %v", typ, f.Verdict, f.Reason)
		}
	}
	h := h6(pktbuild.ProtoICMPv6)
	h.Frag = &pktbuild.Frag{M: true, ID: 1}
	expectDrop(t, run64(t, cfg, h.Build(pktbuild.Echo(128, 1, 2, pktbuild.Payload(16))), nil), batch.ReasonICMPFragmented)
	h.Frag = &pktbuild.Frag{Offset: 8, ID: 1}
	expectDrop(t, run64(t, cfg, h.Build(pktbuild.Payload(16)), nil), batch.ReasonICMPFragmented)
}

func TestT64Originated(t *testing.T) {
	cfg := grayConfig(t, graybox.Env{})
	udp := pktbuild.UDP(2000, 4000, pktbuild.Payload(32))
	t.Run("hop-limit", func(t *testing.T) {
		h := h6(pktbuild.ProtoUDP)
		h.HopLimit = 1
		ip := h.Build(udp)
		expectICMP6Back(t, run64(t, cfg, ip, nil), ip, 3, 0, 0, batch.ReasonTTLExpired)
		h.HopLimit = 2
		v := run64(t, cfg, h.Build(udp), nil)
		if f := &v.Frames[0]; f.Verdict != batch.To4 || ipOf(f)[8] != 1 {
			t.Errorf("hop limit 2: verdict %v", f.Verdict)
		}
		// Never in answer to an ICMPv6 error.
		e := icmpErr6(1, 4, 0, nil)
		e[7] = 1
		expectDrop(t, run64(t, cfg, e, nil), batch.ReasonTTLExpired)
	})
	t.Run("no-source", func(t *testing.T) {
		c := *cfg
		c.ICMPv6Source = netip.Addr{}
		h := h6(pktbuild.ProtoUDP)
		h.HopLimit = 1
		expectDrop(t, run64(t, &c, h.Build(udp), nil), batch.ReasonNoICMPSource)
	})
	t.Run("rate-limited", func(t *testing.T) {
		c := *cfg
		c.ICMPErrorsPerSecond, c.ICMPErrorBurst = 1, 1
		h := h6(pktbuild.ProtoUDP)
		h.HopLimit = 1
		ip := h.Build(udp)
		v := new(batch.Vector)
		for i := 0; i < 3; i++ {
			buf, n := newFrame(ip)
			v.Add(buf, batch.Headroom, n, batch.Side6)
		}
		newTranslator(&c).Translate(v, 1e9, nil)
		if v.Frames[0].Verdict != batch.Back || v.Frames[1].Reason != batch.ReasonICMPRateLimited || v.Frames[2].Reason != batch.ReasonICMPRateLimited {
			t.Errorf("verdicts %v %v/%v %v/%v", v.Frames[0].Verdict, v.Frames[1].Verdict, v.Frames[1].Reason, v.Frames[2].Verdict, v.Frames[2].Reason)
		}
	})
	t.Run("quote-capped", func(t *testing.T) {
		c := *cfg
		c.MTU4 = 1400
		ip := h6(pktbuild.ProtoUDP).Build(pktbuild.UDP(2000, 4000, pktbuild.Payload(1500)))
		// DF (> 1260) and bigger than the IPv4 MTU: PTB with MTU4 + 20.
		expectICMP6Back(t, run64(t, &c, ip, nil), ip, 2, 0, 1420, batch.ReasonPacketTooBig)
		c.MTU4 = 1000 // MTU reported never below 1280 (RFC 8200 section 5)
		expectICMP6Back(t, run64(t, &c, ip, nil), ip, 2, 0, 1280, batch.ReasonPacketTooBig)
	})
	t.Run("unmapped", func(t *testing.T) {
		h := h6(pktbuild.ProtoUDP)
		h.Src = netip.MustParseAddr("2001:db8:ffff::1")
		ip := h.Build(udp)
		// RFC 7915 5.1: "respond with an ICMPv6 Destination Unreachable,
		// Source address failed ingress/egress policy (Type 1, Code 5)".
		expectICMP6Back(t, run64(t, cfg, ip, nil), ip, 1, 5, 0, batch.ReasonNoMapping6)
		h = h6(pktbuild.ProtoUDP)
		h.Dst = netip.MustParseAddr("2001:db8:ffff::1")
		expectDrop(t, run64(t, cfg, h.Build(udp), nil), batch.ReasonNoMapping6)
		tab, err := mapping.NewTable(netip.MustParsePrefix("64:ff9b::/96"), nil)
		if err != nil {
			t.Fatal(err)
		}
		c := *cfg
		c.Map = tab
		h = h6(pktbuild.ProtoUDP)
		h.Dst = netip.MustParseAddr("64:ff9b::10.0.0.1")
		expectDrop(t, run64(t, &c, h.Build(udp), nil), batch.ReasonNonGlobalWKP)
	})
}

// reassemble checks IPv4 fragments of one datagram and returns its payload.
func reassemble(t *testing.T, frames []*batch.Frame, lastMF bool, base int) []byte {
	t.Helper()
	var data []byte
	id := header.IPv4(ipOf(frames[0])).ID()
	for i, f := range frames {
		ip := header.IPv4(ipOf(f))
		if !ipv4HeaderValid(ip) || int(ip.TotalLen()) != len(ip) || ip.DF() || ip.ID() != id {
			t.Fatalf("fragment %d: %s", i, describe(ip))
		}
		if len(ip) > 600 {
			t.Errorf("fragment %d: %d bytes > MTU", i, len(ip))
		}
		if int(ip.FragOffset())*8 != base+len(data) {
			t.Errorf("fragment %d: offset %d, want %d", i, int(ip.FragOffset())*8, base+len(data))
		}
		if mf := ip.MF(); (i < len(frames)-1 && !mf) || (i == len(frames)-1 && mf != lastMF) {
			t.Errorf("fragment %d: MF %v", i, mf)
		}
		data = append(data, ip[20:]...)
	}
	return data
}

func TestT64Fragmentation(t *testing.T) {
	cfg := grayConfig(t, graybox.Env{})
	cfg.MTU4 = 600
	udp := pktbuild.UDP(2000, 4000, pktbuild.Payload(1000))
	t.Run("unfragmented-df0", func(t *testing.T) {
		ip := h6(pktbuild.ProtoUDP).Build(udp) // 1028 bytes as IPv4: DF=0
		alloc := &heapAlloc{}
		v := run64(t, cfg, ip, alloc)
		out := outputs(v)
		if len(out) != 2 || v.NExtra != 1 {
			t.Fatalf("%d outputs", len(out))
		}
		data := reassemble(t, out, false, 0)
		whole := append(append([]byte(nil), ipOf(out[0])[:20]...), data...)
		binary.BigEndian.PutUint16(whole[2:], uint16(len(whole)))
		if !bytes.Equal(data[8:], udp[8:]) || !pktbuild.ValidL4Checksum4(whole) {
			t.Errorf("reassembled payload or checksum wrong")
		}
	})
	t.Run("fragment", func(t *testing.T) {
		h := h6(pktbuild.ProtoUDP)
		h.Frag = &pktbuild.Frag{Offset: 800, M: true, ID: 0x11223344}
		ip := h.Build(pktbuild.Payload(1200))
		v := run64(t, cfg, ip, &heapAlloc{})
		out := outputs(v)
		if len(out) != 3 {
			t.Fatalf("%d outputs", len(out))
		}
		if data := reassemble(t, out, true, 800); !bytes.Equal(data, pktbuild.Payload(1200)) {
			t.Errorf("payload differs")
		}
		if id := header.IPv4(ipOf(out[0])).ID(); id != 0x3344 {
			t.Errorf("ID %#x", id)
		}
	})
	t.Run("no-buffer", func(t *testing.T) {
		expectDrop(t, run64(t, cfg, h6(pktbuild.ProtoUDP).Build(udp), nil), batch.ReasonNoBuffer)
		v := run64(t, cfg, h6(pktbuild.ProtoUDP).Build(pktbuild.UDP(2000, 4000, pktbuild.Payload(1200))), newPoolAlloc(1))
		expectDrop(t, v, batch.ReasonNoBuffer)
		for i := 0; i < v.NExtra; i++ {
			if v.Extra[i].Verdict != batch.Drop {
				t.Errorf("extra %d: verdict %v", i, v.Extra[i].Verdict)
			}
		}
	})
}

func TestT64Header(t *testing.T) {
	cfg := grayConfig(t, graybox.Env{})
	h := h6(pktbuild.ProtoUDP)
	h.TC, h.Flow = 0xb8, 0x12345
	ip := h.Build(pktbuild.UDP(2000, 4000, pktbuild.Payload(20)))
	// Ethernet padding beyond the payload length is trimmed.
	padded := append(append([]byte(nil), ip...), make([]byte, 10)...)
	v := run64(t, cfg, padded, nil)
	f := &v.Frames[0]
	if f.Verdict != batch.To4 {
		t.Fatalf("verdict %v reason %v", f.Verdict, f.Reason)
	}
	out := ipOf(f)
	if len(out) != len(ip)-20 || out[1] != 0xb8 || header.IPv4(out).DF() || out[8] != 63 {
		t.Errorf("output %s", describe(out))
	}
	if binary.BigEndian.Uint16(f.Bytes()[12:]) != header.EtherTypeIPv4 {
		t.Errorf("EtherType not IPv4")
	}
	c := *cfg
	c.ResetTOS, c.TOS = true, 0x10
	if out := ipOf(&run64(t, &c, ip, nil).Frames[0]); out[1] != 0x10 {
		t.Errorf("TOS %#x, want 0x10", out[1])
	}
	// Payload length larger than the frame.
	bad := append([]byte(nil), ip...)
	binary.BigEndian.PutUint16(bad[4:], uint16(len(ip)))
	expectDrop(t, run64(t, cfg, bad, nil), batch.ReasonBadIPv6Header)
	expectDrop(t, run64(t, cfg, ip[:39], nil), batch.ReasonTruncated)
	short := h6(pktbuild.ProtoTCP).Build(make([]byte, 12))
	expectDrop(t, run64(t, cfg, short, nil), batch.ReasonBadL4Header)
}

func TestT64Allocs(t *testing.T) {
	for _, s := range scenarios() {
		if s.ip[0]>>4 != 6 {
			continue
		}
		t.Run(s.name, func(t *testing.T) {
			fx := newVecFixture(t, benchConfig(t), s.ip, s.restoreN)
			fx.expect(t, s.verdict, s.extra)
			if n := testing.AllocsPerRun(50, fx.run); n != 0 {
				t.Errorf("%v allocations per vector", n)
			}
		})
	}
}

func BenchmarkT64(b *testing.B) {
	for _, s := range scenarios() {
		if s.ip[0]>>4 != 6 {
			continue
		}
		b.Run(s.name, func(b *testing.B) {
			fx := newVecFixture(b, benchConfig(b), s.ip, s.restoreN)
			fx.expect(b, s.verdict, s.extra)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				fx.restore()
				fx.translate()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch.Size), "ns/packet")
		})
	}
}
