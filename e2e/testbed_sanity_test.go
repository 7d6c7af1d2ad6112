package e2e

import (
	"net/netip"
	"testing"
	"time"

	"github.com/xlatd/xlatd/internal/pktbuild"
)

// TestTestbed checks the testbed itself, without xlatd: the box answers
// its own addresses over TCP and ICMP, a raw frame injected on one host's
// veth is captured on the box's side, and the tcx ingress drop keeps a
// host's kernel from answering while the capture still sees the frames.
func TestTestbed(t *testing.T) {
	for _, topo := range []string{"two-armed", "one-armed"} {
		t.Run(topo, func(t *testing.T) {
			tb := newTestbed(t, topo, true)
			h6, h4, box := tb.e("NS6"), tb.e("NS4"), tb.e("NSX")
			for _, c := range [][2]string{{h6, tb.e("BOX6")}, {h4, tb.e("BOX4")}, {h6, tb.e("BOXLO6")}} {
				if out, err := tb.ping(c[0], c[1], 1); err != nil {
					t.Fatalf("ping %s from %s: %v\n%s", c[1], c[0], err, out)
				}
			}
			tcpEcho(t, box, 7400, nil)
			tcpExchange(t, h4, tb.e("BOX4"), 7400, 20000)
			tcpExchange(t, h6, tb.e("BOX6"), 7400, 20000)

			// Injected on the IPv4 host, captured on the box's interface.
			s4 := openPacket(t, h4, "to-xl")
			sx := openPacket(t, box, tb.e("IF4"))
			src, dst := netip.MustParseAddr(tb.e("H4")), netip.MustParseAddr(tb.e("BOX4"))
			p := pktbuild.IPv4{Src: src, Dst: dst, Proto: 1}.Build(pktbuild.Echo(8, 77, 1, []byte("raw")))
			got := sendExpect(t, s4, mustMAC(t, tb.e("MAC_BOX4")), p, sx, addrMatch(src, dst))
			if string(got) != string(p) {
				t.Errorf("captured frame differs from the injected one")
			}
			// The box answers that echo request, and the host captures the reply...
			if s4.recvIP(time.Now().Add(2*time.Second), addrMatch(dst, src)) == nil {
				t.Errorf("no echo reply to the injected request")
			}
			// ...but with the ingress drop the host's kernel no longer answers
			// the box's pings while the capture still sees them.
			dropIngress(t, h4, "to-xl")
			if _, err := tb.exec(box, 3*time.Second, "ping", "-c", "1", "-W", "1", tb.e("H4")); err == nil {
				t.Errorf("host kernel answered despite the tcx drop")
			}
			s4.drain()
			go func() { _, _ = tb.exec(box, 3*time.Second, "ping", "-c", "1", "-W", "1", tb.e("H4")) }()
			if s4.recvIP(time.Now().Add(2*time.Second), addrMatch(dst, src)) == nil {
				t.Errorf("capture did not see the box's ping behind the tcx drop")
			}
		})
	}
}
