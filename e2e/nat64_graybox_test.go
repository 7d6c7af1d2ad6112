package e2e

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xlatd/xlatd/internal/graybox"
	"github.com/xlatd/xlatd/internal/pktbuild"
)

// The corpus uses the Well-Known Prefix with documentation IPv4
// addresses, which RFC 6052 section 3.1 forbids and xlatd refuses. The
// replay rewrites 64:ff9b::/96 into 2001:db8:d246::/96 in every input and
// expected packet (outer and quoted addresses): the two prefixes have the
// same one's-complement sum (0x0064+0xff9b = 0x2001+0x0db8+0xd246 =
// 0xffff), so every checksum stays exactly as valid, or as invalid, as it
// was.
var (
	wkp12  = []byte{0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0}
	nsp12  = []byte{0x20, 0x01, 0x0d, 0xb8, 0xd2, 0x46, 0, 0, 0, 0, 0, 0}
	gray64 = "2001:db8:d246::/96"
)

func rewriteWKP(p []byte) []byte {
	return bytes.ReplaceAll(p, wkp12, nsp12)
}

// nat64GrayConfig is graybox.NAT64Setup (INDEX.md section 3's NAT64
// configuration in xlatd's terms: pool4 192.0.2.2, which is j's own
// address in Jool's setup but not the box's here, the static BIB) with
// pool6 rewritten and the row's traffic-class setting.
func nat64GrayConfig(tb *testbed, resetTC bool) string {
	su := graybox.NAT64Setup
	var b strings.Builder
	fmt.Fprintf(&b, `[interfaces]
ipv6 = %q
ipv4 = %q
xdp_mode = "auto"

[translate]
mode = "nat64"
pool6 = %q
ipv4_address = %q
ipv6_address = %q
icmp_errors_per_second = 0
reset_traffic_class = %v

[log]
mappings = "off"

[metrics]
listen = ""

[nat64]
pool4 = [%q]
ports = "%d-%d"
port_block_size = 128
[nat64.timeouts]
tcp_incoming_syn = "6s"
`, tb.e("IF6"), tb.e("IF4"), gray64, su.ICMPv4Source, su.ICMPv6Source, resetTC, su.Pool4, su.Ports[0], su.Ports[1])
	for _, st := range su.Static {
		fmt.Fprintf(&b, "[[nat64.static]]\nprotocol = %q\nipv6 = %q\nport6 = %d\nipv4 = %q\nport4 = %d\n", st.Proto, st.IPv6, st.Port6, st.IPv4, st.Port4)
	}
	return b.String()
}

// TestNAT64GrayboxReplay replays the NAT64 exchanges of Jool's graybox
// corpus (graybox.NAT64Rows, shared with batch's in-process replay)
// through the running daemon on the two-armed testbed, given Jool's NAT64
// addressing (n6 2001:db8::5, j 2001:db8::1, pool4 192.0.2.2, n4
// 192.0.2.5): inputs injected on the sending host's veth, outputs captured
// on the receiving one and compared under Jool's rules (graybox.Compare
// plus the script's exempt offsets), in the corpus's order (later rows use
// sessions earlier rows made). The daemon restarts for the rows that
// change link MTUs or zeroize the traffic class; rows listed in
// graybox.NAT64Deviations are skipped with their reason.
func TestNAT64GrayboxReplay(t *testing.T) {
	dir, err := graybox.Dir()
	if err != nil {
		if graybox.Required() {
			t.Fatalf("XLATD_REQUIRE_GRAYBOX=1: %v", err)
		}
		t.Skip(err)
	}
	needXlatd(t)
	rows := graybox.NAT64Rows
	tb := newTestbed(t, "two-armed", true)
	nat64Check(t, tb, nat64GrayConfig(tb, true))
	h6, h4, box := tb.e("NS6"), tb.e("NS4"), tb.e("NSX")
	// Jool's NAT64 addressing on the testbed's links.
	tb.ip("-n", box, "addr", "add", "2001:db8::1/96", "dev", "to-h6", "nodad")
	// j's 192.0.2.2 is pool4 here and not an address of the box: xlatd
	// leaves pool4 addresses the box holds itself to the kernel (Jool's
	// setup uses j's own address). n4's network is on-link.
	tb.ip("-n", box, "route", "add", "192.0.2.0/24", "dev", "to-h4")
	tb.ip("-n", box, "-6", "neigh", "replace", "2001:db8::5", "lladdr", tb.e("MAC_H6"), "dev", "to-h6", "nud", "permanent")
	tb.ip("-n", box, "neigh", "replace", "192.0.2.5", "lladdr", tb.e("MAC_H4"), "dev", "to-h4", "nud", "permanent")
	tb.ip("-n", box, "-6", "route", "add", "2001:db8:1::/96", "via", "2001:db8::5", "dev", "to-h6")
	tb.ip("-n", box, "route", "add", "203.0.113.0/24", "via", "192.0.2.5", "dev", "to-h4")
	s6, s4 := openPacket(t, h6, "to-xl"), openPacket(t, h4, "to-xl")
	dropIngress(t, h6, "to-xl")
	dropIngress(t, h4, "to-xl")
	mac6, mac4 := mustMAC(t, tb.e("MAC_BOX6")), mustMAC(t, tb.e("MAC_BOX4"))

	var d *daemon
	var startErr error
	curMTU4, curMTU6, curTC := -1, -1, false
	pass, fail, deviated := 0, 0, 0
	var failed []string
	for i := range rows {
		r := &rows[i]
		env := r.Env
		if env.MTU4 != curMTU4 || env.MTU6 != curMTU6 || env.ZeroizeTC != curTC {
			if d != nil && d.running() {
				if code := d.stop(t); code != 0 {
					t.Errorf("xlatd exit status %d on SIGTERM, want 0", code)
				}
			}
			curMTU4, curMTU6, curTC = env.MTU4, env.MTU6, env.ZeroizeTC
			m4, m6 := 1500, 1500
			if env.MTU4 != 0 {
				m4 = env.MTU4
			}
			if env.MTU6 != 0 {
				m6 = env.MTU6
			}
			tb.ip("-n", box, "link", "set", "dev", "to-h4", "mtu", itoa(m4))
			tb.ip("-n", box, "link", "set", "dev", "to-h6", "mtu", itoa(m6))
			d, startErr = tb.tryStart(t, nat64GrayConfig(tb, env.ZeroizeTC))
			if startErr == nil {
				d.quiet = true
				n := &nat64Bed{testbed: tb, d: d, cfgPath: d.cfg}
				if out, errOut, code := n.xlatdCLI("nat64", "bib", "-json", "-config", d.cfg); code != 0 {
					t.Skipf("NAT64 not in this build's daemon: `xlatd nat64 bib -json` exits %d: %s", code, strings.TrimSpace(out+errOut))
				}
				startErr = grayProbe64(s6, s4, mac6)
			}
			if startErr != nil {
				t.Errorf("MTU v4 %d v6 %d: %v", m4, m6, startErr)
			}
		}
		var ins, wants [][]byte
		for _, name := range append([]string{r.In}, r.Also...) {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			ins = append(ins, rewriteWKP(b))
		}
		for _, name := range r.Want {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			wants = append(wants, rewriteWKP(b))
		}
		ok := t.Run(r.Name, func(t *testing.T) {
			if startErr != nil {
				t.Fatalf("xlatd not running: %v", startErr)
			}
			if why, dev := graybox.NAT64Deviations[r.Name]; dev {
				t.Skipf("not replayed: %s", why)
			}
			recv := s6
			if r.Dir == "64" || r.Dir == "44" {
				recv = s4
			}
			recv.drain()
			for k, in := range ins {
				send, dst := s4, mac4
				if in[0]>>4 == 6 {
					send, dst = s6, mac6
				}
				if k > 0 {
					time.Sleep(100 * time.Millisecond)
				}
				if err := send.sendIP(dst, in); err != nil {
					t.Fatalf("inject: %v", err)
				}
			}
			if r.Router4 != "" {
				routerUnreachable(t, s4, mac4, netip.MustParseAddr(r.Router4))
			}
			// so rows: Jool waits 8.1 s (held for tcp_incoming_syn, 6 s).
			wait := time.Second + time.Duration(r.Wait)*time.Millisecond
			deadline := time.Now().Add(wait)
			for k, want := range wants {
				ws, wd, _ := ipAddrs(want)
				got := recv.recvIP(deadline, addrMatch(ws, wd))
				if got == nil {
					t.Fatalf("expected packet %d/%d (%s, IPv%d %v -> %v) never arrived", k+1, len(wants), r.Want[k], want[0]>>4, ws, wd)
				}
				var diffs []string
				exempt := scriptOffsets(r.Script)
				for _, p := range graybox.Compare(r, want, got) {
					var off int
					if _, err := fmt.Sscanf(p, "offset %d:", &off); err == nil && exempt[off] {
						continue
					}
					diffs = append(diffs, p)
				}
				if len(diffs) != 0 {
					t.Errorf("packet %d/%d (%s) differs:\n  %s", k+1, len(wants), r.Want[k], strings.Join(diffs, "\n  "))
				}
			}
		})
		if _, dev := graybox.NAT64Deviations[r.Name]; dev {
			deviated++
		} else if ok {
			pass++
		} else {
			fail++
			failed = append(failed, r.Name)
		}
		if d != nil && !d.running() {
			t.Fatalf("xlatd died during row %s: %v\n%s", r.Name, d.err, d.log.String())
		}
	}
	if fail > 0 && d != nil {
		t.Logf("xlatd log:\n%s", d.log.String())
	}
	t.Logf("NAT64 graybox through xlatd: %d of %d exchanges match, %d listed deviations not replayed (%v), %d fail %v",
		pass, len(rows)-deviated, deviated, graybox.NAT64Deviations, fail, failed)
}

// grayProbe64 waits (bounded) until an ICMPv6 echo from n6 to 192.0.2.5
// (the static ICMP entry's identifier 1) comes out on the IPv4 side.
func grayProbe64(s6, s4 *pktSock, mac6 [6]byte) error {
	src, dst := netip.MustParseAddr("2001:db8::5"), netip.MustParseAddr("2001:db8:d246::c000:205")
	p := icmp6Echo(src, dst, 1, 9)
	want := addrMatch(netip.MustParseAddr("192.0.2.2"), netip.MustParseAddr("192.0.2.5"))
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if err := s6.sendIP(mac6, p); err != nil {
			return err
		}
		if s4.recvIP(time.Now().Add(200*time.Millisecond), want) != nil {
			return nil
		}
	}
	return fmt.Errorf("probe: an ICMPv6 echo from 2001:db8::5 (static ICMP entry) was not translated within 10 s")
}

// icmp6Echo builds an ICMPv6 echo request.
func icmp6Echo(src, dst netip.Addr, id, seq uint16) []byte {
	return pktbuild.IPv6{Src: src, Dst: dst, NextHeader: 58}.Build(pktbuild.Echo(128, id, seq, []byte("probe")))
}

// routerUnreachable plays the IPv4 network's router (Jool's n4 in
// issue132/test, which forwards but has no route to the destination): the
// translated packet captured on the IPv4 host is answered with ICMPv4 net
// unreachable (type 3 code 0) from router, quoting as much as Linux does
// (576 bytes in all), as batch's in-process replay does.
func routerUnreachable(t *testing.T, s4 *pktSock, mac4 [6]byte, router netip.Addr) {
	t.Helper()
	j := netip.MustParseAddr(graybox.NAT64Setup.ICMPv4Source)
	got := s4.recvIP(time.Now().Add(time.Second), func(ip []byte) bool {
		s, _, ok := ipAddrs(ip)
		return ok && ip[0]>>4 == 4 && s == j
	})
	if got == nil {
		t.Fatalf("the translated packet never reached the IPv4 side")
	}
	q := got[:min(len(got), 576-20-8)]
	icmp := pktbuild.IPv4{Src: router, Dst: j, Proto: 1}.Build(pktbuild.ICMP(3, 0, 0, q))
	if err := s4.sendIP(mac4, icmp); err != nil {
		t.Fatal(err)
	}
}

// scriptOffsets is the set of byte offsets Jool's test.sh exempts for a
// row (Row.Script, "4,5,10,11" or "-").
func scriptOffsets(script string) map[int]bool {
	m := map[int]bool{}
	for _, x := range strings.Split(script, ",") {
		if v, err := strconv.Atoi(strings.TrimSpace(x)); err == nil {
			m[v] = true
		}
	}
	return m
}
