package batch_test

// Shared helpers for the batch tests: the graybox corpus location, frame
// construction, allocators, output invariants and a packet decoder that
// prints readable summaries when a comparison fails.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/xlatd/xlatd/batch"
	"github.com/xlatd/xlatd/header"
	"github.com/xlatd/xlatd/internal/graybox"
	"github.com/xlatd/xlatd/internal/pktbuild"
	"github.com/xlatd/xlatd/mapping"
)

// grayboxDir returns the Jool graybox corpus directory (graybox.Dir). It
// skips the test when the directory is absent, unless XLATD_REQUIRE_GRAYBOX=1.
func grayboxDir(tb testing.TB) string {
	tb.Helper()
	dir, err := graybox.Dir()
	if err != nil {
		if graybox.Required() {
			tb.Fatalf("%v (XLATD_REQUIRE_GRAYBOX=1)", err)
		}
		tb.Skip(err)
	}
	return dir
}

// grayboxDirOK is grayboxDir without skipping: "" when absent.
func grayboxDirOK() string {
	if dir, err := graybox.Dir(); err == nil {
		return dir
	}
	return ""
}

// Test MAC addresses: the frame's sender and the translator.
var (
	macPeer = [6]byte{0x02, 0x00, 0x5e, 0x00, 0x53, 0x01}
	macXlat = [6]byte{0x02, 0x00, 0x5e, 0x00, 0x53, 0x02}
)

// Addresses of the Jool SIIT graybox setup (INDEX.md section 3).
var (
	grayPool6     = netip.MustParsePrefix("2001:db8:100::/40")
	grayICMPv4Src = netip.MustParseAddr("198.51.100.1")
	grayICMPv6Src = netip.MustParseAddr("2001:db8:1c0:2:1::")
	gray6791v4    = netip.MustParsePrefix("203.0.113.8/32")
	grayEAMs      = []mapping.EAM{
		{IPv6: netip.MustParsePrefix("2001:db8:3::/120"), IPv4: netip.MustParsePrefix("1.0.0.0/24")},
		{IPv6: netip.MustParsePrefix("2001:db8:2::/120"), IPv4: netip.MustParsePrefix("10.0.0.0/24")},
	}
	grayExtraEAMs = []mapping.EAM{
		{IPv6: netip.MustParsePrefix("2001:db8:1c6:3364::/72"), IPv4: netip.MustParsePrefix("198.51.100.0/24")},
		{IPv6: netip.MustParsePrefix("2001:db8:1c0:2::/72"), IPv4: netip.MustParsePrefix("192.0.2.0/24")},
	}
)

// grayConfig returns the baseline SIIT configuration of INDEX.md section 3
// with env applied.
func grayConfig(tb testing.TB, env graybox.Env) *batch.Config {
	tb.Helper()
	c := batch.DefaultConfig()
	pool6 := grayPool6
	eams := append([]mapping.EAM(nil), grayEAMs...)
	if env.Pool6Null {
		pool6 = netip.Prefix{}
		eams = append(eams, grayExtraEAMs...)
	}
	tab, err := mapping.NewTable(pool6, eams)
	if err != nil {
		tb.Fatalf("mapping.NewTable: %v", err)
	}
	c.Map = tab
	c.ICMPv4Source = grayICMPv4Src
	c.ICMPv6Source = grayICMPv6Src
	if !env.No6791v4 {
		c.RFC6791v4 = gray6791v4
	}
	if env.RFC6791v6 != "" {
		c.RFC6791v6 = netip.MustParsePrefix(env.RFC6791v6)
	}
	c.LowestIPv6MTU = 1280
	if env.LowestMTU != 0 {
		c.LowestIPv6MTU = env.LowestMTU
	}
	c.MTU4, c.MTU6 = 1500, 1500
	if env.MTU4 != 0 {
		c.MTU4 = env.MTU4
	}
	if env.MTU6 != 0 {
		c.MTU6 = env.MTU6
	}
	c.AmendUDPZeroChecksum = env.AmendUDP
	c.ICMPErrorsPerSecond = -1
	return &c
}

// newTranslator returns a Translator reading cfg.
func newTranslator(cfg *batch.Config) *batch.Translator {
	var src batch.ConfigSource
	src.Store(cfg)
	return batch.New(&src)
}

// bufSize is the size of test buffers (an AF_XDP chunk).
const bufSize = 4096

// etherTypeOf returns the EtherType for an IP packet's version nibble.
func etherTypeOf(ip []byte) uint16 {
	if len(ip) > 0 && ip[0]>>4 == 6 {
		return header.EtherTypeIPv6
	}
	return header.EtherTypeIPv4
}

// sideOf returns the side an IP packet arrives on.
func sideOf(ip []byte) batch.Side {
	if len(ip) > 0 && ip[0]>>4 == 6 {
		return batch.Side6
	}
	return batch.Side4
}

// putEthernet writes an Ethernet header (peer -> translator) at b.
func putEthernet(b []byte, etherType uint16) {
	copy(b[header.EthDst:], macXlat[:])
	copy(b[header.EthSrc:], macPeer[:])
	binary.BigEndian.PutUint16(b[header.EthType:], etherType)
}

// newFrame wraps ip in an Ethernet header at batch.Headroom of a fresh
// bufSize buffer and returns the buffer and the frame length.
func newFrame(ip []byte) ([]byte, int) {
	buf := make([]byte, bufSize)
	n := fillFrame(buf, ip)
	return buf, n
}

// fillFrame writes Ethernet + ip at batch.Headroom of buf and returns the
// frame length (ip is truncated to the buffer).
func fillFrame(buf, ip []byte) int {
	putEthernet(buf[batch.Headroom:], etherTypeOf(ip))
	n := copy(buf[batch.Headroom+header.EthernetLen:], ip)
	return header.EthernetLen + n
}

// heapAlloc hands out fresh buffers (for correctness tests).
type heapAlloc struct{ n int }

func (a *heapAlloc) Get() []byte { a.n++; return make([]byte, bufSize) }

// poolAlloc hands out preallocated buffers and never allocates; reset
// makes them all available again.
type poolAlloc struct {
	bufs [][]byte
	next int
}

func newPoolAlloc(n int) *poolAlloc {
	a := &poolAlloc{bufs: make([][]byte, n)}
	for i := range a.bufs {
		a.bufs[i] = make([]byte, bufSize)
	}
	return a
}

func (a *poolAlloc) Get() []byte {
	if a.next == len(a.bufs) {
		return nil
	}
	b := a.bufs[a.next]
	a.next++
	return b
}

func (a *poolAlloc) reset() { a.next = 0 }

// outputs returns the frames of v that are transmitted (Frames then Extra,
// skipping Drop and Pass).
func outputs(v *batch.Vector) []*batch.Frame {
	var out []*batch.Frame
	for i := 0; i < v.N; i++ {
		if f := &v.Frames[i]; f.Verdict != batch.Drop && f.Verdict != batch.Pass {
			out = append(out, f)
		}
	}
	for i := 0; i < v.NExtra; i++ {
		if f := &v.Extra[i]; f.Verdict != batch.Drop && f.Verdict != batch.Pass {
			out = append(out, f)
		}
	}
	return out
}

// ipv4HeaderValid reports whether b starts with an IPv4 header whose
// checksum verifies.
func ipv4HeaderValid(b []byte) bool {
	if len(b) < header.IPv4MinLen || b[0]>>4 != 4 {
		return false
	}
	hl := int(b[0]&0xf) * 4
	if hl < header.IPv4MinLen || hl > len(b) {
		return false
	}
	return pktbuild.Sum(b[:hl], 0) == 0xffff
}

// checkFrame checks the invariants every transmitted frame must satisfy:
// the frame lies inside its buffer, the EtherType matches the IP version,
// the IP length fields equal the frame length, the IPv4 header checksum
// verifies. It returns a description of the first violation, or "".
func checkFrame(f *batch.Frame) string {
	if f.Off < 0 || f.Len < 0 || f.Off+f.Len > len(f.Buf) {
		return fmt.Sprintf("frame [%d:%d+%d] outside buffer of %d", f.Off, f.Off, f.Len, len(f.Buf))
	}
	if f.Len < header.EthernetLen+1 {
		return fmt.Sprintf("frame length %d too short", f.Len)
	}
	b := f.Bytes()
	et := binary.BigEndian.Uint16(b[header.EthType:])
	ip := b[header.EthernetLen:]
	switch et {
	case header.EtherTypeIPv4:
		if ip[0]>>4 != 4 {
			return fmt.Sprintf("EtherType IPv4 but version %d", ip[0]>>4)
		}
		if len(ip) < header.IPv4MinLen {
			return fmt.Sprintf("IPv4 packet of %d bytes", len(ip))
		}
		if tl := int(binary.BigEndian.Uint16(ip[2:])); tl != len(ip) {
			return fmt.Sprintf("IPv4 total length %d, frame carries %d", tl, len(ip))
		}
		if !ipv4HeaderValid(ip) {
			return "IPv4 header checksum invalid (or bad IHL)"
		}
	case header.EtherTypeIPv6:
		if ip[0]>>4 != 6 {
			return fmt.Sprintf("EtherType IPv6 but version %d", ip[0]>>4)
		}
		if len(ip) < header.IPv6Len {
			return fmt.Sprintf("IPv6 packet of %d bytes", len(ip))
		}
		if pl := int(binary.BigEndian.Uint16(ip[4:])); pl+header.IPv6Len != len(ip) {
			return fmt.Sprintf("IPv6 payload length %d, frame carries %d", pl, len(ip)-header.IPv6Len)
		}
	default:
		return fmt.Sprintf("EtherType %#04x", et)
	}
	return ""
}

// describe decodes an IP packet into a short multi-line summary.
func describe(b []byte) string {
	var sb strings.Builder
	describeIP(&sb, b, "", 0)
	return sb.String()
}

func describeIP(sb *strings.Builder, b []byte, ind string, depth int) {
	if len(b) == 0 {
		fmt.Fprintf(sb, "%s(empty)\n", ind)
		return
	}
	switch b[0] >> 4 {
	case 4:
		describe4(sb, b, ind, depth)
	case 6:
		describe6(sb, b, ind, depth)
	default:
		fmt.Fprintf(sb, "%sversion %d, %d bytes\n", ind, b[0]>>4, len(b))
	}
}

func describe4(sb *strings.Builder, b []byte, ind string, depth int) {
	if len(b) < 20 {
		fmt.Fprintf(sb, "%sIPv4 truncated (%d bytes)\n", ind, len(b))
		return
	}
	hl := int(b[0]&0xf) * 4
	fo := binary.BigEndian.Uint16(b[6:])
	flags := ""
	if fo&0x4000 != 0 {
		flags += "DF"
	}
	if fo&0x2000 != 0 {
		flags += "MF"
	}
	if flags == "" {
		flags = "-"
	}
	valid := "valid"
	if !ipv4HeaderValid(b) {
		valid = "INVALID"
	}
	src, _ := netip.AddrFromSlice(b[12:16])
	dst, _ := netip.AddrFromSlice(b[16:20])
	fmt.Fprintf(sb, "%sIPv4 %v -> %v ihl=%d tos=%#02x totlen=%d id=%d flags=%s off=%d ttl=%d proto=%d hcsum=%#04x (%s) [%d bytes]\n",
		ind, src, dst, hl, b[1], binary.BigEndian.Uint16(b[2:]), binary.BigEndian.Uint16(b[4:]), flags,
		(fo&0x1fff)*8, b[8], b[9], binary.BigEndian.Uint16(b[10:]), valid, len(b))
	if hl < 20 || hl > len(b) {
		return
	}
	if fo&0x1fff != 0 {
		fmt.Fprintf(sb, "%s  (non-first fragment, %d payload bytes)\n", ind, len(b)-hl)
		return
	}
	describeL4(sb, b[hl:], b[9], false, ind+"  ", depth)
}

func describe6(sb *strings.Builder, b []byte, ind string, depth int) {
	if len(b) < 40 {
		fmt.Fprintf(sb, "%sIPv6 truncated (%d bytes)\n", ind, len(b))
		return
	}
	src, _ := netip.AddrFromSlice(b[8:24])
	dst, _ := netip.AddrFromSlice(b[24:40])
	v := binary.BigEndian.Uint32(b)
	fmt.Fprintf(sb, "%sIPv6 %v -> %v tc=%#02x flow=%#05x plen=%d nh=%d hlim=%d [%d bytes]\n",
		ind, src, dst, (v>>20)&0xff, v&0xfffff, binary.BigEndian.Uint16(b[4:]), b[6], b[7], len(b))
	nh, off := b[6], 40
	for n := 0; n < 16; n++ {
		switch nh {
		case header.ProtoHopByHop, header.ProtoDestOpts, header.ProtoRouting:
			if off+8 > len(b) {
				fmt.Fprintf(sb, "%s  ext %d truncated\n", ind, nh)
				return
			}
			l := (int(b[off+1]) + 1) * 8
			extra := ""
			if nh == header.ProtoRouting {
				extra = fmt.Sprintf(" type=%d segleft=%d", b[off+2], b[off+3])
			}
			fmt.Fprintf(sb, "%s  ext %d nh=%d len=%d%s\n", ind, nh, b[off], l, extra)
			nh, off = b[off], off+l
		case header.ProtoFragment:
			if off+8 > len(b) {
				fmt.Fprintf(sb, "%s  Fragment truncated\n", ind)
				return
			}
			fo := binary.BigEndian.Uint16(b[off+2:])
			fmt.Fprintf(sb, "%s  Fragment nh=%d offset=%d M=%d id=%#08x\n", ind, b[off], fo&^7, fo&1,
				binary.BigEndian.Uint32(b[off+4:]))
			nh, off = b[off], off+8
			if fo&^7 != 0 {
				fmt.Fprintf(sb, "%s  (non-first fragment, %d payload bytes)\n", ind, len(b)-off)
				return
			}
		default:
			if off > len(b) {
				fmt.Fprintf(sb, "%s  (ext chain past end)\n", ind)
				return
			}
			describeL4(sb, b[off:], nh, true, ind+"  ", depth)
			return
		}
	}
}

func describeL4(sb *strings.Builder, b []byte, proto uint8, v6 bool, ind string, depth int) {
	switch {
	case proto == header.ProtoUDP && len(b) >= 8:
		fmt.Fprintf(sb, "%sUDP %d->%d len=%d csum=%#04x payload=%d\n", ind, binary.BigEndian.Uint16(b),
			binary.BigEndian.Uint16(b[2:]), binary.BigEndian.Uint16(b[4:]), binary.BigEndian.Uint16(b[6:]), len(b)-8)
	case proto == header.ProtoTCP && len(b) >= 20:
		fmt.Fprintf(sb, "%sTCP %d->%d seq=%d ack=%d doff=%d flags=%#02x win=%d csum=%#04x payload=%d\n", ind,
			binary.BigEndian.Uint16(b), binary.BigEndian.Uint16(b[2:]), binary.BigEndian.Uint32(b[4:]),
			binary.BigEndian.Uint32(b[8:]), b[12]>>4, b[13], binary.BigEndian.Uint16(b[14:]),
			binary.BigEndian.Uint16(b[16:]), len(b)-int(b[12]>>4)*4)
	case (proto == header.ProtoICMP && !v6 || proto == header.ProtoICMPv6 && v6) && len(b) >= 8:
		name := "ICMPv4"
		if v6 {
			name = "ICMPv6"
		}
		fmt.Fprintf(sb, "%s%s type=%d code=%d csum=%#04x rest=%x body=%d\n", ind, name, b[0], b[1],
			binary.BigEndian.Uint16(b[2:]), b[4:8], len(b)-8)
		isErr := !v6 && (b[0] == 3 || b[0] == 4 || b[0] == 5 || b[0] == 11 || b[0] == 12) || v6 && b[0] < 128
		if isErr && depth == 0 {
			describeIP(sb, b[8:], ind+"  ", depth+1)
		}
	default:
		fmt.Fprintf(sb, "%sproto %d, %d bytes\n", ind, proto, len(b))
	}
}

// fieldName names the header field at offset off of IP packet b (outer
// headers and the first header inside an ICMP error), for diffs.
func fieldName(b []byte, off int) string {
	return fieldNameAt(b, off, "", 0)
}

func fieldNameAt(b []byte, off int, pfx string, depth int) string {
	if len(b) == 0 || off >= len(b) {
		return ""
	}
	l4 := func(start int, proto uint8, v6 bool) string {
		o := off - start
		switch {
		case proto == header.ProtoUDP:
			return pfx + [...]string{"udp.sport", "udp.sport", "udp.dport", "udp.dport", "udp.len", "udp.len", "udp.csum", "udp.csum", "udp.payload"}[min(o, 8)]
		case proto == header.ProtoTCP:
			switch {
			case o < 4:
				return pfx + "tcp.ports"
			case o < 12:
				return pfx + "tcp.seq/ack"
			case o < 16:
				return pfx + "tcp.off/flags/win"
			case o < 18:
				return pfx + "tcp.csum"
			case o < 20:
				return pfx + "tcp.urg"
			}
			return pfx + "tcp.options/payload"
		case proto == header.ProtoICMP && !v6 || proto == header.ProtoICMPv6 && v6:
			switch {
			case o == 0:
				return pfx + "icmp.type"
			case o == 1:
				return pfx + "icmp.code"
			case o < 4:
				return pfx + "icmp.csum"
			case o < 8:
				return pfx + "icmp.rest"
			}
			if depth == 0 && (!v6 && (b[start] == 3 || b[start] == 11 || b[start] == 12) || v6 && b[start] < 128) {
				if n := fieldNameAt(b[start+8:], o-8, pfx+"inner.", 1); n != "" {
					return n
				}
			}
			return pfx + "icmp.body"
		}
		return pfx + "l4"
	}
	switch b[0] >> 4 {
	case 4:
		if off < 20 {
			return pfx + [...]string{"ipv4.ver/ihl", "ipv4.tos", "ipv4.len", "ipv4.len", "ipv4.id", "ipv4.id",
				"ipv4.flags/off", "ipv4.flags/off", "ipv4.ttl", "ipv4.proto", "ipv4.csum", "ipv4.csum",
				"ipv4.src", "ipv4.src", "ipv4.src", "ipv4.src", "ipv4.dst", "ipv4.dst", "ipv4.dst", "ipv4.dst"}[off]
		}
		hl := int(b[0]&0xf) * 4
		if off < hl {
			return pfx + "ipv4.options"
		}
		if len(b) >= 20 && binary.BigEndian.Uint16(b[6:])&0x1fff != 0 {
			return pfx + "payload"
		}
		return l4(hl, b[9], false)
	case 6:
		switch {
		case off < 1:
			return pfx + "ipv6.ver/tc"
		case off < 4:
			return pfx + "ipv6.tc/flow"
		case off < 6:
			return pfx + "ipv6.plen"
		case off == 6:
			return pfx + "ipv6.nh"
		case off == 7:
			return pfx + "ipv6.hlim"
		case off < 24:
			return pfx + "ipv6.src"
		case off < 40:
			return pfx + "ipv6.dst"
		}
		nh, p := b[6], 40
		for n := 0; n < 16 && p+8 <= len(b); n++ {
			switch nh {
			case header.ProtoHopByHop, header.ProtoDestOpts, header.ProtoRouting:
				l := (int(b[p+1]) + 1) * 8
				if off < p+l {
					return fmt.Sprintf("%sext%d", pfx, nh)
				}
				nh, p = b[p], p+l
			case header.ProtoFragment:
				if off < p+8 {
					return pfx + [...]string{"frag.nh", "frag.res", "frag.off", "frag.off", "frag.id", "frag.id", "frag.id", "frag.id"}[off-p]
				}
				if binary.BigEndian.Uint16(b[p+2:])&^7 != 0 {
					return pfx + "payload"
				}
				nh, p = b[p], p+8
			default:
				return l4(p, nh, true)
			}
		}
	}
	return pfx + "?"
}

// vecFixture is a 64-frame vector of copies of one packet (or of a few
// packets, in turn) with a translator and a non-allocating buffer pool,
// restored before every translation: the alloc tests and the benchmarks
// run on it.
type vecFixture struct {
	tr       *batch.Translator
	v        batch.Vector
	bufs     [batch.Size][]byte
	pristine [batch.Size][]byte // the frames (Ethernet + IP) as received
	restoreN [batch.Size]int    // bytes of each frame restored per round
	side     [batch.Size]batch.Side
	alloc    *poolAlloc
	now      int64
}

// newVecFixture builds the fixture for 64 copies of ip. restoreN is how
// many bytes of each frame Translate may have changed (0: the whole
// frame); the fixture checks that restoring that much reproduces the input.
func newVecFixture(tb testing.TB, cfg *batch.Config, ip []byte, restoreN int) *vecFixture {
	tb.Helper()
	return newVecFixtureOf(tb, cfg, [][]byte{ip}, restoreN)
}

// newVecFixtureOf is newVecFixture where frame i carries ips[i%len(ips)].
func newVecFixtureOf(tb testing.TB, cfg *batch.Config, ips [][]byte, restoreN int) *vecFixture {
	tb.Helper()
	return newVecFixtureWith(tb, newTranslator(cfg), ips, restoreN)
}

// newVecFixtureWith is newVecFixtureOf with a Translator of the caller's
// (e.g. one in NAT64 mode). The clock is 1e9.
func newVecFixtureWith(tb testing.TB, tr *batch.Translator, ips [][]byte, restoreN int) *vecFixture {
	tb.Helper()
	fx := &vecFixture{tr: tr, alloc: newPoolAlloc(batch.ExtraSize + 8), now: 1e9}
	for i := range fx.bufs {
		ip := ips[i%len(ips)]
		p := make([]byte, header.EthernetLen+len(ip))
		putEthernet(p, etherTypeOf(ip))
		copy(p[header.EthernetLen:], ip)
		fx.pristine[i], fx.side[i] = p, sideOf(ip)
		fx.restoreN[i] = len(p)
		if restoreN > 0 && restoreN < len(p) {
			fx.restoreN[i] = restoreN
		}
		fx.bufs[i] = make([]byte, bufSize)
		copy(fx.bufs[i][batch.Headroom:], p)
	}
	// Check that the partial restore is enough: after a translation and a
	// restore, every frame is byte for byte the received one.
	fx.run()
	fx.restore()
	for i, b := range fx.bufs {
		if !bytes.Equal(b[batch.Headroom:batch.Headroom+len(fx.pristine[i])], fx.pristine[i]) {
			tb.Fatalf("frame %d: restoring %d bytes per frame does not reproduce the input", i, fx.restoreN[i])
		}
	}
	return fx
}

// restore puts the 64 frames back as received (only the first restoreN
// bytes of each: the rest is never written by an in-place translation).
func (fx *vecFixture) restore() {
	for i := range fx.bufs {
		b := fx.bufs[i]
		p := fx.pristine[i]
		copy(b[batch.Headroom:], p[:fx.restoreN[i]])
		fx.v.Frames[i] = batch.Frame{Buf: b, Off: batch.Headroom, Len: len(p), In: fx.side[i]}
	}
	fx.v.N, fx.v.NExtra = batch.Size, 0
	fx.alloc.reset()
}

// translate translates the vector as it is.
func (fx *vecFixture) translate() { fx.tr.Translate(&fx.v, fx.now, fx.alloc) }

// run restores and translates.
func (fx *vecFixture) run() {
	fx.restore()
	fx.translate()
}

// expect checks that every frame got verdict want and that outputs are
// valid frames, so that a benchmark or alloc test measures the path it
// names and not an early drop.
func (fx *vecFixture) expect(tb testing.TB, want batch.Verdict, extra int) {
	tb.Helper()
	fx.expectEach(tb, []batch.Verdict{want}, extra)
}

// expectEach is expect where frame i must get want[i%len(want)].
func (fx *vecFixture) expectEach(tb testing.TB, want []batch.Verdict, extra int) {
	tb.Helper()
	fx.run()
	for i := 0; i < fx.v.N; i++ {
		f := &fx.v.Frames[i]
		if w := want[i%len(want)]; f.Verdict != w {
			tb.Fatalf("frame %d: verdict %v (reason %v), want %v: the scenario does not exercise its path\ninput:\n%s",
				i, f.Verdict, f.Reason, w, describe(fx.pristine[i][header.EthernetLen:]))
		}
		if s := checkFrame(f); s != "" {
			tb.Fatalf("frame %d: %s", i, s)
		}
	}
	if fx.v.NExtra != extra {
		tb.Fatalf("%d extra frames, want %d", fx.v.NExtra, extra)
	}
	for i := 0; i < fx.v.NExtra; i++ {
		if s := checkFrame(&fx.v.Extra[i]); s != "" {
			tb.Fatalf("extra frame %d: %s", i, s)
		}
	}
}

// benchConfig is the graybox baseline with ICMP errors unlimited and an
// IPv6 MTU that lets 1500-byte IPv6 packets through, with pool6 only: no
// EAMT, so the benchmarks measure the translator, not the EAMT search
// (measured in package mapping).
func benchConfig(tb testing.TB) *batch.Config {
	c := grayConfig(tb, graybox.Env{})
	tab, err := mapping.NewTable(grayPool6, nil)
	if err != nil {
		tb.Fatal(err)
	}
	c.Map = tab
	return c
}

// scenario is one packet shape used by the alloc tests and benchmarks.
type scenario struct {
	name     string
	ip       []byte
	verdict  batch.Verdict
	extra    int // extra frames expected per vector
	restoreN int // bytes restored per frame (0: all)

	alt        []byte // if set, every other frame carries alt instead
	altVerdict batch.Verdict
}

// packets returns the scenario's packets, in turn, and their verdicts.
func (sc *scenario) packets() ([][]byte, []batch.Verdict) {
	if sc.alt == nil {
		return [][]byte{sc.ip}, []batch.Verdict{sc.verdict}
	}
	return [][]byte{sc.ip, sc.alt}, []batch.Verdict{sc.verdict, sc.altVerdict}
}

// scenarios returns the packet shapes measured: names are
// <protocol>/<direction>. Addresses are those of the graybox setup.
func scenarios() []scenario {
	udp4 := func(n int, df bool) []byte {
		h := h4(pktbuild.ProtoUDP)
		h.DF = df
		return h.Build(pktbuild.UDP(2000, 4000, pktbuild.Payload(n)))
	}
	udp6 := func(n int) []byte { return h6(pktbuild.ProtoUDP).Build(pktbuild.UDP(4000, 2000, pktbuild.Payload(n))) }
	inner4 := h4(pktbuild.ProtoUDP)
	inner4.Src, inner4.Dst = ms4, mc4
	in4 := inner4.Build(pktbuild.UDP(4000, 2000, pktbuild.Payload(64)))
	inner6 := h6(pktbuild.ProtoUDP)
	inner6.Src, inner6.Dst = ms6, mc6
	in6 := inner6.Build(pktbuild.UDP(2000, 4000, pktbuild.Payload(64)))
	ttl1 := h4(pktbuild.ProtoUDP)
	ttl1.TTL = 1
	hl1 := h6(pktbuild.ProtoUDP)
	hl1.HopLimit = 1
	frag4 := h4(pktbuild.ProtoUDP)
	frag4.MF, frag4.KeepL4Csum = true, true
	frag6 := h6(pktbuild.ProtoUDP)
	frag6.Frag = &pktbuild.Frag{M: true, ID: 0x01020304}
	frag6.KeepL4Csum = true
	big4 := h4(pktbuild.ProtoUDP) // !DF, bigger than lowest-ipv6-mtu: xlatd fragments
	return []scenario{
		// A minimum-size frame on the IPv4 side (64 bytes with FCS) is
		// 84 bytes on the IPv6 side: 18 bytes of UDP payload.
		{name: "UDP/4to6", ip: udp4(18, false), verdict: batch.To6, restoreN: 64},
		{name: "UDP/6to4", ip: udp6(18), verdict: batch.To4, restoreN: 64},
		// Both directions in one vector, alternating.
		{name: "UDP/mixed", ip: udp4(18, false), verdict: batch.To6, alt: udp6(18), altVerdict: batch.To4, restoreN: 64},
		// 1514-byte frames (1518 with FCS) on the IPv6 side.
		{name: "UDP1500/4to6", ip: udp4(1500-48, true), verdict: batch.To6, restoreN: 64},
		{name: "UDP1500/6to4", ip: udp6(1500 - 48), verdict: batch.To4, restoreN: 64},
		{name: "TCP/4to6", ip: h4(pktbuild.ProtoTCP).Build(pktbuild.TCP(2000, 4000, 1, 2, pktbuild.TCPAck, pktbuild.Payload(6))), verdict: batch.To6, restoreN: 96},
		{name: "TCP/6to4", ip: h6(pktbuild.ProtoTCP).Build(pktbuild.TCP(4000, 2000, 1, 2, pktbuild.TCPAck, pktbuild.Payload(6))), verdict: batch.To4, restoreN: 96},
		{name: "ICMP/4to6", ip: h4(pktbuild.ProtoICMP).Build(pktbuild.Echo(8, 1, 2, pktbuild.Payload(18))), verdict: batch.To6, restoreN: 64},
		{name: "ICMP/6to4", ip: h6(pktbuild.ProtoICMPv6).Build(pktbuild.Echo(128, 1, 2, pktbuild.Payload(18))), verdict: batch.To4, restoreN: 64},
		{name: "ICMPError/4to6", ip: h4(pktbuild.ProtoICMP).Build(pktbuild.ICMP(3, 3, 0, in4)), verdict: batch.To6},
		{name: "ICMPError/6to4", ip: h6(pktbuild.ProtoICMPv6).Build(pktbuild.ICMP(1, 4, 0, in6)), verdict: batch.To4},
		{name: "Fragment/4to6", ip: frag4.Build(pktbuild.Payload(96)), verdict: batch.To6},
		{name: "Fragment/6to4", ip: frag6.Build(pktbuild.Payload(96)), verdict: batch.To4},
		{name: "Fragmenting/4to6", ip: big4.Build(pktbuild.UDP(2000, 4000, pktbuild.Payload(1400))), verdict: batch.To6, extra: batch.Size},
		{name: "ICMPTimeExceeded/4to6", ip: ttl1.Build(pktbuild.UDP(2000, 4000, pktbuild.Payload(18))), verdict: batch.Back},
		{name: "ICMPTimeExceeded/6to4", ip: hl1.Build(pktbuild.UDP(4000, 2000, pktbuild.Payload(18))), verdict: batch.Back},
	}
}

// smallAlloc hands out n full buffers, then buffers too small for any
// fragment (a caller whose pool ran into short buffers).
type smallAlloc struct{ n int }

func (a *smallAlloc) Get() []byte {
	if a.n > 0 {
		a.n--
		return make([]byte, bufSize)
	}
	return make([]byte, 64)
}
