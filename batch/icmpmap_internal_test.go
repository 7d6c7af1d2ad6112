package batch

import (
	"encoding/binary"
	"testing"

	"github.com/xlatd/xlatd/header"
)

// icmpMsg returns an 8-byte ICMP header with type, code and rest.
func icmpMsg(typ, code uint8, rest uint32) header.ICMP {
	b := make([]byte, header.ICMPLen)
	b[header.ICMPType], b[header.ICMPCode] = typ, code
	binary.BigEndian.PutUint32(b[header.ICMPRest:], rest)
	return b
}

// TestICMPType46 checks the type and code map of RFC 7915 section 4.2 and
// the Parameter Problem pointers of Figure 3.
func TestICMPType46(t *testing.T) {
	for _, c := range []struct {
		typ, code uint8
		rest      uint32 // ICMPv4 rest of header (pointer in the top byte)
		ok        bool
		t6        header.ICMPv6Type
		c6        header.ICMPv6Code
		rest6     uint32
		ext, ptb  bool
	}{
		{3, 0, 0, true, header.ICMPv6DstUnreachable, header.ICMPv6NoRoute, 0, true, false},
		{3, 1, 0, true, header.ICMPv6DstUnreachable, header.ICMPv6NoRoute, 0, true, false},
		{3, 2, 0, true, header.ICMPv6ParamProblem, header.ICMPv6UnknownNextHeader, header.IPv6NextHeader, false, false},
		{3, 3, 0, true, header.ICMPv6DstUnreachable, header.ICMPv6PortUnreachable, 0, true, false},
		{3, 4, 0, true, header.ICMPv6PacketTooBig, 0, 0, false, true},
		{3, 5, 0, true, header.ICMPv6DstUnreachable, header.ICMPv6NoRoute, 0, true, false},
		{3, 9, 0, true, header.ICMPv6DstUnreachable, header.ICMPv6AdminProhibited, 0, true, false},
		{3, 10, 0, true, header.ICMPv6DstUnreachable, header.ICMPv6AdminProhibited, 0, true, false},
		{3, 13, 0, true, header.ICMPv6DstUnreachable, header.ICMPv6AdminProhibited, 0, true, false},
		{3, 15, 0, true, header.ICMPv6DstUnreachable, header.ICMPv6AdminProhibited, 0, true, false},
		{3, 14, 0, false, 0, 0, 0, false, false}, // Host Precedence Violation
		{3, 16, 0, false, 0, 0, 0, false, false},
		{11, 0, 0, true, header.ICMPv6TimeExceeded, 0, 0, true, false},
		{11, 1, 0, true, header.ICMPv6TimeExceeded, 1, 0, true, false},
		{12, 0, 8 << 24, true, header.ICMPv6ParamProblem, header.ICMPv6ErroneousHeader, 7, false, false},   // TTL -> Hop Limit
		{12, 2, 16 << 24, true, header.ICMPv6ParamProblem, header.ICMPv6ErroneousHeader, 24, false, false}, // destination
		{12, 0, 4 << 24, false, 0, 0, 0, false, false},                                                     // Identification: n/a
		{12, 0, 20 << 24, false, 0, 0, 0, false, false},                                                    // past the header
		{12, 1, 0, false, 0, 0, 0, false, false},
		{4, 0, 0, false, 0, 0, 0, false, false}, // Source Quench
		{5, 0, 0, false, 0, 0, 0, false, false}, // Redirect
		{8, 0, 0, false, 0, 0, 0, false, false}, // not an error
	} {
		t6, c6, rest6, ext, ptb, ok := icmpType46(icmpMsg(c.typ, c.code, c.rest))
		if ok != c.ok || ok && (t6 != c.t6 || c6 != c.c6 || rest6 != c.rest6 || ext != c.ext || ptb != c.ptb) {
			t.Errorf("ICMPv4 %d/%d (rest %#x) -> %d/%d rest %d ext %v ptb %v ok %v, want %d/%d rest %d ext %v ptb %v ok %v",
				c.typ, c.code, c.rest, t6, c6, rest6, ext, ptb, ok, c.t6, c.c6, c.rest6, c.ext, c.ptb, c.ok)
		}
	}
}

// TestICMPType64 checks the type and code map of RFC 7915 section 5.2 and
// the Parameter Problem pointers of Figure 6.
func TestICMPType64(t *testing.T) {
	for _, c := range []struct {
		typ, code uint8
		rest      uint32
		ok        bool
		t4        header.ICMPv4Type
		c4        header.ICMPv4Code
		ptr       uint8
		hasLen    bool
	}{
		{1, 0, 0, true, header.ICMPv4DstUnreachable, header.ICMPv4HostUnreachable, 0, true},
		{1, 1, 0, true, header.ICMPv4DstUnreachable, header.ICMPv4HostProhibited, 0, true},
		{1, 2, 0, true, header.ICMPv4DstUnreachable, header.ICMPv4HostUnreachable, 0, true},
		{1, 3, 0, true, header.ICMPv4DstUnreachable, header.ICMPv4HostUnreachable, 0, true},
		{1, 4, 0, true, header.ICMPv4DstUnreachable, header.ICMPv4PortUnreachable, 0, true},
		{1, 5, 0, false, 0, 0, 0, false},
		{2, 0, 1400, true, header.ICMPv4DstUnreachable, header.ICMPv4FragNeeded, 0, false},
		{3, 0, 0, true, header.ICMPv4TimeExceeded, 0, 0, true},
		{3, 1, 0, true, header.ICMPv4TimeExceeded, 1, 0, true},
		{4, 0, 7, true, header.ICMPv4ParamProblem, header.ICMPv4ParamPointer, 8, false},   // Hop Limit -> TTL
		{4, 0, 6, true, header.ICMPv4ParamProblem, header.ICMPv4ParamPointer, 9, false},   // Next Header -> Protocol
		{4, 0, 30, true, header.ICMPv4ParamProblem, header.ICMPv4ParamPointer, 16, false}, // destination
		{4, 0, 2, false, 0, 0, 0, false},                                                  // Flow Label: n/a
		{4, 0, 40, false, 0, 0, 0, false},
		{4, 1, 0, true, header.ICMPv4DstUnreachable, header.ICMPv4ProtoUnreachable, 0, false},
		{4, 2, 0, false, 0, 0, 0, false},
		{128, 0, 0, false, 0, 0, 0, false},
	} {
		t4, c4, rest, hasLen, ok := icmpType64(icmpMsg(c.typ, c.code, c.rest))
		if ok != c.ok || ok && (t4 != c.t4 || c4 != c.c4 || rest[0] != c.ptr || hasLen != c.hasLen) {
			t.Errorf("ICMPv6 %d/%d (rest %d) -> %d/%d ptr %d len %v ok %v, want %d/%d ptr %d len %v ok %v",
				c.typ, c.code, c.rest, t4, c4, rest[0], hasLen, ok, c.t4, c.c4, c.ptr, c.hasLen, c.ok)
		}
	}
}

// TestMTURules checks the Packet Too Big / Fragmentation Needed MTU rules
// of RFC 7915 sections 4.2 and 5.2 and of the errors xlatd originates.
func TestMTURules(t *testing.T) {
	for _, c := range []struct {
		adv         uint16
		tot, m4, m6 int
		want        uint32
	}{
		{1400, 1500, 1500, 1500, 1420}, // advertised + 20
		{1492, 1500, 1400, 1500, 1420}, // IPv4 next hop + 20
		{1492, 1500, 1500, 1450, 1450}, // IPv6 next hop
		{1000, 1500, 1500, 1500, 1280}, // never below the IPv6 minimum
		{0, 1500, 1500, 1500, 1500},    // plateau 1492 below 1500, + 20 = 1512, IPv6 MTU 1500
		{0, 1400, 9000, 9000, 1280},    // plateau 1006 + 20: raised to 1280
		{0, 5000, 9000, 9000, 4372},    // plateau 4352 + 20
		{1400, 1500, 0, 0, 1420},       // MTUs unset: no limit
	} {
		if got := packetTooBig46(c.adv, c.tot, c.m4, c.m6); got != c.want {
			t.Errorf("packetTooBig46(%d, tot %d, mtu4 %d, mtu6 %d) = %d, want %d", c.adv, c.tot, c.m4, c.m6, got, c.want)
		}
	}
	for _, c := range []struct {
		adv    uint32
		frag   bool
		m4, m6 int
		want   uint16
		ok     bool
	}{
		{1500, false, 1500, 1500, 1480, true}, // advertised - 20
		{1500, true, 1500, 1500, 1472, true},  // - 28 with a Fragment header
		{1500, false, 1400, 1500, 1400, true}, // IPv4 next hop
		{1500, false, 1500, 1300, 1280, true}, // IPv6 next hop - 20
		{9000, false, 9000, 0, 8980, true},    // no IPv6 limit
		{80, false, 1500, 1500, 60, false},    // below 68
		{100000, false, 70000, 0, 0xffff, true},
	} {
		got, ok := packetTooBig64(c.adv, c.frag, c.m4, c.m6)
		if ok != c.ok || ok && got != c.want {
			t.Errorf("packetTooBig64(%d, frag %v, mtu4 %d, mtu6 %d) = %d %v, want %d %v", c.adv, c.frag, c.m4, c.m6, got, ok, c.want, c.ok)
		}
	}
	if got := fragNeededMTU(1500); got != 1480 {
		t.Errorf("fragNeededMTU(1500) = %d", got)
	}
	if got := fragNeededMTU(500); got != header.ICMPv4ErrorMax {
		t.Errorf("fragNeededMTU(500) = %d", got)
	}
	if got := packetTooBigMTU(1500); got != 1520 {
		t.Errorf("packetTooBigMTU(1500) = %d", got)
	}
	if got := packetTooBigMTU(1000); got != header.IPv6MinMTU {
		t.Errorf("packetTooBigMTU(1000) = %d", got)
	}
}
