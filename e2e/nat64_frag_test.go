package e2e

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/xlatd/xlatd/internal/pktbuild"
)

// TestNAT64Fragments: fragmented UDP through NAT64 sessions. kernel: a
// 3000-byte datagram from the IPv6-only host (IPv6 fragments) is echoed
// by the IPv4 host (IPv4 fragments), both reassembled by the receiving
// kernels. out_of_order: the IPv4 host's fragments of a 3008-byte UDP
// datagram to a mapping arrive last fragment first: xlatd holds the
// fragments that come before the first one (they carry no ports) and then
// translates them all, so that every byte reaches the IPv6 host.
// lone_fragment: a non-first fragment whose first never comes creates
// nothing and goes nowhere.
func TestNAT64Fragments(t *testing.T) {
	t.Run("kernel", func(t *testing.T) {
		n := newNAT64Base(t)
		h6, h4 := n.e("NS6"), n.e("NS4")
		udpServer(t, h4, ap(n.e("H4"), 7000))
		c := udpSock(t, h6, ap(sub2, 40000))
		dst := netip.AddrPortFrom(n.as6(n.e("H4")), 7000)
		if _, err := udpAskErr(c, dst, nil, 20); err != nil {
			t.Fatal(err)
		}
		msg := pktbuild.Payload(3000)
		buf := make([]byte, 4000)
		for try := 0; try < 5; try++ {
			if _, err := c.WriteToUDPAddrPort(msg, dst); err != nil {
				t.Fatal(err)
			}
			_ = c.SetReadDeadline(time.Now().Add(time.Second))
			k, from, err := c.ReadFromUDPAddrPort(buf)
			if err == nil && from.Port() == 7000 && bytes.Equal(buf[:k], msg) {
				return
			}
		}
		t.Fatalf("no 3000-byte echo through NAT64 (fragments both ways)")
	})

	r := newRawBed(t, nat64Base())
	src := netip.MustParseAddr(sub4)
	h4 := netip.MustParseAddr(r.e("H4"))
	from6 := r.as6(h4.String())
	// A UDP mapping: the IPv6 host's datagram to H4:6000.
	var m netip.AddrPort
	p := pktbuild.IPv6{Src: src, Dst: from6, NextHeader: 17}.Build(pktbuild.UDP(5000, 6000, []byte("map")))
	for try := 0; try < 20 && !m.IsValid(); try++ {
		r.s4.drain()
		_ = r.s6.sendIP(r.mac6, p)
		if got := r.s4.recvIP(time.Now().Add(500*time.Millisecond), func(ip []byte) bool {
			_, d, ok := ipAddrs(ip)
			return ok && ip[0]>>4 == 4 && d == h4 && ip[9] == 17
		}); got != nil {
			s, _, _ := ipAddrs(got)
			m = netip.AddrPortFrom(s, binary.BigEndian.Uint16(got[20:]))
		}
	}
	if !m.IsValid() {
		t.Fatal("no UDP mapping: the IPv6 datagram never came out")
	}
	inPool4(t, m, "UDP mapping")

	t.Run("out_of_order", func(t *testing.T) {
		frags := pktbuild.IPv4{Src: h4, Dst: m.Addr(), Proto: 17, ID: 0x5151}.Fragments(pktbuild.UDP(6000, m.Port(), pktbuild.Payload(3000)), 1000)
		r.s6.drain()
		for i := len(frags) - 1; i >= 0; i-- {
			if err := r.s4.sendIP(r.mac4, frags[i]); err != nil {
				t.Fatal(err)
			}
		}
		total := 0
		deadline := time.Now().Add(2 * time.Second)
		for total < 3008 {
			got := r.s6.recvIP(deadline, func(ip []byte) bool {
				s, d, ok := ipAddrs(ip)
				return ok && ip[0]>>4 == 6 && s == from6 && d == src && ip[6] == 44
			})
			if got == nil {
				break
			}
			total += int(binary.BigEndian.Uint16(got[4:])) - 8
		}
		if total != 3008 {
			t.Fatalf("%d of the 3008 bytes of UDP arrived as IPv6 fragments (%d IPv4 fragments sent last first)", total, len(frags))
		}
	})

	t.Run("lone_fragment", func(t *testing.T) {
		before := len(r.sessions(t))
		frags := pktbuild.IPv4{Src: h4, Dst: m.Addr(), Proto: 17, ID: 0x5252}.Fragments(pktbuild.UDP(6001, m.Port(), pktbuild.Payload(3000)), 1000)
		r.s6.drain()
		_ = r.s4.sendIP(r.mac4, frags[1])
		if got := r.s6.recvIP(time.Now().Add(3*time.Second), func(ip []byte) bool {
			s, _, ok := ipAddrs(ip)
			return ok && ip[0]>>4 == 6 && s == from6
		}); got != nil {
			t.Errorf("a lone non-first IPv4 fragment came out on the IPv6 side")
		}
		if after := len(r.sessions(t)); after != before {
			t.Errorf("a lone fragment changed the sessions: %d -> %d", before, after)
		}
		if !r.d.running() {
			t.Fatal("xlatd died")
		}
	})
}
