package e2e

import (
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/xlatd/xlatd/internal/pktbuild"
)

// TCP flags.
const (
	tcpFIN = 0x01
	tcpSYN = 0x02
	tcpRST = 0x04
	tcpACK = 0x10
)

// rawBed is a NAT64 testbed whose hosts' kernels do not see what arrives
// (tcx ingress drop): the test injects and captures raw frames on both
// hosts (AF_PACKET), so no kernel answers a SYN with RST behind its back.
type rawBed struct {
	*nat64Bed
	s6, s4     *pktSock
	mac6, mac4 [6]byte
}

func newRawBed(t *testing.T, body string) *rawBed {
	t.Helper()
	n := newNAT64Bed(t, body)
	r := &rawBed{nat64Bed: n}
	r.s6, r.s4 = openPacket(t, n.e("NS6"), "to-xl"), openPacket(t, n.e("NS4"), "to-xl")
	dropIngress(t, n.e("NS6"), "to-xl")
	dropIngress(t, n.e("NS4"), "to-xl")
	r.mac6, r.mac4 = mustMAC(t, n.e("MAC_BOX6")), mustMAC(t, n.e("MAC_BOX4"))
	return r
}

// tcp6 builds an IPv6 TCP segment.
func tcp6(src, dst netip.Addr, sport, dport uint16, seq, ack uint32, flags uint8) []byte {
	return pktbuild.IPv6{Src: src, Dst: dst, NextHeader: 6}.Build(pktbuild.TCP(sport, dport, seq, ack, flags, nil))
}

// tcp4 builds an IPv4 TCP segment.
func tcp4(src, dst netip.Addr, sport, dport uint16, seq, ack uint32, flags uint8) []byte {
	return pktbuild.IPv4{Src: src, Dst: dst, Proto: 6, DF: true}.Build(pktbuild.TCP(sport, dport, seq, ack, flags, nil))
}

// tcpMatch matches a TCP segment (either family) by addresses (a zero
// src matches any), ports (0: any) and required flags.
func tcpMatch(src, dst netip.Addr, sport, dport uint16, flags uint8) func([]byte) bool {
	return func(ip []byte) bool {
		s, d, ok := ipAddrs(ip)
		if !ok || (src.IsValid() && s != src) || d != dst {
			return false
		}
		var l4 []byte
		if ip[0]>>4 == 4 {
			if ip[9] != 6 {
				return false
			}
			l4 = ip[int(ip[0]&15)*4:]
		} else {
			if ip[6] != 6 {
				return false
			}
			l4 = ip[40:]
		}
		if len(l4) < 20 {
			return false
		}
		return (sport == 0 || binary.BigEndian.Uint16(l4) == sport) &&
			(dport == 0 || binary.BigEndian.Uint16(l4[2:]) == dport) && l4[13]&flags == flags
	}
}

// outbound6 injects an IPv6 SYN from src:sport to H4:dport and returns
// the pool4 address and port of the translated SYN captured on the IPv4
// host (retrying for start-up).
func (r *rawBed) outboundSYN(t *testing.T, src netip.Addr, sport uint16, dst4 netip.Addr, dport uint16) netip.AddrPort {
	t.Helper()
	p := tcp6(src, r.as6(dst4.String()), sport, dport, 1000, 0, tcpSYN)
	for try := 0; try < 20; try++ {
		r.s4.drain()
		if err := r.s6.sendIP(r.mac6, p); err != nil {
			t.Fatal(err)
		}
		if got := r.s4.recvIP(time.Now().Add(500*time.Millisecond), tcpMatch(netip.Addr{}, dst4, 0, dport, tcpSYN)); got != nil {
			s, _, _ := ipAddrs(got)
			m := netip.AddrPortFrom(s, binary.BigEndian.Uint16(got[int(got[0]&15)*4:]))
			inPool4(t, m, "translated SYN")
			return m
		}
	}
	t.Fatalf("the IPv6 SYN [%v]:%d -> %s:%d never came out on the IPv4 side", src, sport, dst4, dport)
	return netip.AddrPort{}
}

// TestNAT64TCPRaw: the TCP state machine with crafted segments:
// simultaneous open (IPv6 SYN, then the IPv4 host's own SYN to the
// mapping) ends ESTABLISHED; an unsolicited IPv4 SYN is held for
// tcp_incoming_syn and then answered with ICMPv4 port unreachable
// (RFC 6146 section 3.5.2.2, Jool graybox so/46), and creates no state.
// nat64Base sets tcp_incoming_syn to 7 s.
func TestNAT64TCPRaw(t *testing.T) {
	r := newRawBed(t, nat64Base())
	src := netip.MustParseAddr(sub4)
	h4 := netip.MustParseAddr(r.e("H4"))

	t.Run("simultaneous_open", func(t *testing.T) {
		m := r.outboundSYN(t, src, 5000, h4, 6000)
		// The IPv4 host's own SYN (no ACK) to the mapping.
		r.s6.drain()
		if err := r.s4.sendIP(r.mac4, tcp4(h4, m.Addr(), 6000, m.Port(), 9000, 0, tcpSYN)); err != nil {
			t.Fatal(err)
		}
		if r.s6.recvIP(time.Now().Add(2*time.Second), tcpMatch(r.as6(h4.String()), src, 6000, 5000, tcpSYN)) == nil {
			t.Fatalf("the IPv4 SYN to %v (simultaneous open) did not reach [%s]:5000", m, sub4)
		}
		// Both SYN-ACKs.
		r.s4.drain()
		_ = r.s6.sendIP(r.mac6, tcp6(src, r.as6(h4.String()), 5000, 6000, 1000, 9001, tcpSYN|tcpACK))
		if r.s4.recvIP(time.Now().Add(2*time.Second), tcpMatch(m.Addr(), h4, m.Port(), 6000, tcpSYN|tcpACK)) == nil {
			t.Errorf("the IPv6 SYN-ACK did not come out on the IPv4 side")
		}
		var st string
		for _, s := range r.sessions(t) {
			if s.Protocol == "tcp" && s.IPv6 == sub4 && s.Port6 == 5000 && s.RemotePort == 6000 {
				st = s.State
			}
		}
		if !strings.EqualFold(st, "established") {
			t.Errorf("session after simultaneous open is %q, want ESTABLISHED", st)
		}
		// Close it with RST so that the session is transitory.
		_ = r.s6.sendIP(r.mac6, tcp6(src, r.as6(h4.String()), 5000, 6000, 1001, 9001, tcpRST|tcpACK))
	})

	t.Run("held_syn_port_unreachable", func(t *testing.T) {
		before := len(r.bib(t))
		dst := netip.MustParseAddr("203.0.113.140")
		syn := tcp4(h4, dst, 6001, 50001, 7000, 0, tcpSYN)
		r.s4.drain()
		r.s6.drain()
		start := time.Now()
		if err := r.s4.sendIP(r.mac4, syn); err != nil {
			t.Fatal(err)
		}
		unreach := func(ip []byte) bool {
			_, d, ok := ipAddrs(ip)
			if !ok || ip[0]>>4 != 4 || d != h4 || ip[9] != 1 {
				return false
			}
			icmp := ip[int(ip[0]&15)*4:]
			if len(icmp) < 8+20+4 || icmp[0] != 3 {
				return false
			}
			inner := icmp[8:]
			is, id, _ := ipAddrs(inner)
			l4 := inner[int(inner[0]&15)*4:]
			return is == h4 && id == dst && len(l4) >= 4 && binary.BigEndian.Uint16(l4) == 6001 && binary.BigEndian.Uint16(l4[2:]) == 50001
		}
		got := r.s4.recvIP(time.Now().Add(12*time.Second), unreach)
		took := time.Since(start)
		if got == nil {
			t.Fatalf("no ICMPv4 error for the unsolicited SYN within 12 s (tcp_incoming_syn = 7s)")
		}
		icmp := got[int(got[0]&15)*4:]
		if icmp[1] != 3 {
			t.Errorf("ICMPv4 type 3 code %d, want 3 (port unreachable)", icmp[1])
		}
		if took < 6500*time.Millisecond {
			t.Errorf("the unsolicited SYN was answered after %v, before tcp_incoming_syn (7 s)", took)
		}
		t.Logf("unsolicited SYN answered with ICMPv4 3/%d after %v", icmp[1], took.Round(100*time.Millisecond))
		if r.s6.recvIP(time.Now().Add(10*time.Millisecond), tcpMatch(netip.Addr{}, src, 0, 0, 0)) != nil {
			t.Errorf("something of the unsolicited SYN reached the IPv6 side")
		}
		if after := len(r.bib(t)); after != before {
			t.Errorf("the unsolicited SYN changed the BIB: %d -> %d entries", before, after)
		}
	})
}

// TestNAT64TCPHeldSYNOpened: with address-dependent filtering an IPv4 SYN
// from a host the mapping never talked to is held; when the IPv6 host
// opens the same connection within tcp_incoming_syn, its SYN goes out and
// no ICMP error follows (RFC 5382 REQ-4, Jool graybox so/success).
func TestNAT64TCPHeldSYNOpened(t *testing.T) {
	r := newRawBed(t, `filtering = "address-dependent"
[nat64.timeouts]
tcp_incoming_syn = "6s"
`)
	src := netip.MustParseAddr(sub4)
	h4 := netip.MustParseAddr(r.e("H4"))
	other := netip.MustParseAddr(h4b)
	// A mapping to H4 (so it exists), then the SYN from the other host.
	m := r.outboundSYN(t, src, 5002, h4, 6002)
	r.s6.drain()
	r.s4.drain()
	if err := r.s4.sendIP(r.mac4, tcp4(other, m.Addr(), 6003, m.Port(), 3000, 0, tcpSYN)); err != nil {
		t.Fatal(err)
	}
	if r.s6.recvIP(time.Now().Add(time.Second), tcpMatch(netip.Addr{}, src, 6003, 5002, tcpSYN)) != nil {
		t.Fatalf("address-dependent filtering let %s's SYN through to a mapping that never talked to it", h4b)
	}
	// The IPv6 host opens that connection.
	if err := r.s6.sendIP(r.mac6, tcp6(src, r.as6(h4b), 5002, 6003, 1000, 0, tcpSYN)); err != nil {
		t.Fatal(err)
	}
	if r.s4.recvIP(time.Now().Add(2*time.Second), tcpMatch(m.Addr(), other, m.Port(), 6003, tcpSYN)) == nil {
		t.Fatalf("the IPv6 SYN to %s:6003 did not come out from %v", h4b, m)
	}
	// No port unreachable for the held SYN: wait past tcp_incoming_syn.
	if got := r.s4.recvIP(time.Now().Add(8*time.Second), func(ip []byte) bool {
		_, d, ok := ipAddrs(ip)
		return ok && ip[0]>>4 == 4 && d == other && ip[9] == 1
	}); got != nil {
		t.Errorf("the held SYN was answered with an ICMP error although the IPv6 host opened the connection")
	}
}
