package e2e

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xlatd/xlatd/internal/graybox"
	"github.com/xlatd/xlatd/internal/pktbuild"
)

// grayboxConfig is INDEX.md section 3's SIIT configuration with env
// applied, as an xlatd config for the two-armed testbed (whose addresses
// are Jool's).
func grayboxConfig(tb *testbed, env graybox.Env, xdpMode string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[interfaces]\nipv6 = %q\nipv4 = %q\nxdp_mode = %q\n", tb.e("IF6"), tb.e("IF4"), xdpMode)
	if tb.e("TOPOLOGY") == "one-armed" {
		// The IPv4 names of the IPv6 side's hosts (the EAMT ranges are
		// captured anyway).
		b.WriteString("capture4 = [\"192.0.2.0/24\"]\n")
	}
	b.WriteString("\n[translate]\nmode = \"siit\"\n")
	if env.Pool6Null {
		b.WriteString("pool6 = \"\"\n")
	} else {
		b.WriteString("pool6 = \"2001:db8:100::/40\"\n")
	}
	if !env.No6791v4 {
		b.WriteString("rfc6791_v4 = \"203.0.113.8/32\"\n")
	}
	if env.RFC6791v6 != "" {
		fmt.Fprintf(&b, "rfc6791_v6 = %q\n", env.RFC6791v6)
	}
	lowest := 1280
	if env.LowestMTU != 0 {
		lowest = env.LowestMTU
	}
	fmt.Fprintf(&b, "lowest_ipv6_mtu = %d\n", lowest)
	fmt.Fprintf(&b, "amend_udp_zero_checksum = %v\n", env.AmendUDP)
	b.WriteString("icmp_errors_per_second = 0\n")
	eams := [][2]string{{"2001:db8:3::/120", "1.0.0.0/24"}, {"2001:db8:2::/120", "10.0.0.0/24"}}
	if env.Pool6Null {
		eams = append(eams, [2]string{"2001:db8:1c6:3364::/72", "198.51.100.0/24"}, [2]string{"2001:db8:1c0:2::/72", "192.0.2.0/24"})
	}
	for _, e := range eams {
		fmt.Fprintf(&b, "\n[[eamt]]\nipv6 = %q\nipv4 = %q\n", e[0], e[1])
	}
	b.WriteString("\n[metrics]\nlisten = \"\"\n")
	return b.String()
}

// TestGrayboxReplay replays every SIIT exchange of Jool's graybox corpus
// (INDEX.md section 5, in order, plus the section 4 extras) through the
// running daemon: each input is injected as a raw frame on the sending
// host's veth (AF_PACKET), and what arrives on the receiving host's veth is
// matched by IP version, source and destination like Jool's expecter, then
// compared under Jool's rules (internal/graybox). The hosts' kernels are kept
// from answering what they receive (tcx ingress drop; the capture sees the
// frames first), as Jool's expecter drops matched packets.
//
// The replay runs on both topologies. One-armed, the box has one link and
// so one MTU: the rows whose environment gives the two sides different
// MTUs are skipped there.
func TestGrayboxReplay(t *testing.T) {
	dir, err := graybox.Dir()
	if err != nil {
		if graybox.Required() {
			t.Fatalf("XLATD_REQUIRE_GRAYBOX=1: %v", err)
		}
		t.Skip(err)
	}
	needRoot(t)
	for _, c := range []struct{ topo, mode string }{
		{"two-armed", "auto"}, {"one-armed", "auto"}, {"two-armed", "generic"},
	} {
		name := c.topo
		if c.mode != "auto" {
			name += "-" + c.mode
		}
		t.Run(name, func(t *testing.T) { grayboxReplay(t, dir, c.topo, c.mode) })
	}
}

func grayboxReplay(t *testing.T, dir, topo, xdpMode string) {
	tb := newTestbed(t, topo, true)
	oneArmed := topo == "one-armed"
	h6, h4, box := tb.e("NS6"), tb.e("NS4"), tb.e("NSX")
	s6 := openPacket(t, h6, "to-xl")
	s4 := openPacket(t, h4, "to-xl")
	dropIngress(t, h6, "to-xl")
	dropIngress(t, h4, "to-xl")
	mac6, mac4 := mustMAC(t, tb.e("MAC_BOX6")), mustMAC(t, tb.e("MAC_BOX4"))

	var d *daemon
	var startErr error
	var cur graybox.Env
	pass, fail, deviated := 0, 0, 0
	var failed []string
	logged := map[*daemon]bool{}
	skipEnv, skipped := false, 0
	for i := range graybox.Rows {
		r := &graybox.Rows[i]
		if i == 0 || r.Env != cur {
			if d != nil && d.running() {
				if code := d.stop(t); code != 0 {
					t.Errorf("xlatd exit status %d on SIGTERM, want 0", code)
				}
			}
			d = nil
			cur = r.Env
			mtu6, mtu4, mtuh4 := 1500, 1500, 1500
			if cur.MTU6 != 0 {
				mtu6 = cur.MTU6
			}
			if cur.MTU4 != 0 {
				mtu4 = cur.MTU4
				if cur.MTU4 > 1500 {
					mtuh4 = cur.MTU4
				}
			}
			skipEnv = oneArmed && (cur.MTU4 != 0 || cur.MTU6 != 0)
			if !oneArmed {
				tb.ip("-n", box, "link", "set", "dev", "to-h6", "mtu", itoa(mtu6))
				tb.ip("-n", box, "link", "set", "dev", "to-h4", "mtu", itoa(mtu4))
				tb.ip("-n", h4, "link", "set", "dev", "to-xl", "mtu", itoa(mtuh4))
			}
			if !skipEnv {
				d, startErr = tb.tryStart(t, grayboxConfig(tb, cur, xdpMode))
				if d != nil {
					d.quiet = true
				}
				if startErr == nil && xdpMode != "auto" {
					if m, err := d.stats(); err == nil {
						if info, _ := m["info"].(map[string]any); info["xdp_mode"] != xdpMode {
							t.Errorf("xdp_mode in force %v, want %s", info["xdp_mode"], xdpMode)
						}
					}
				}
				if startErr == nil {
					startErr = grayProbe(tb, s6, s4, mac4)
				}
				if startErr != nil {
					t.Errorf("environment %+v: %v", cur, startErr)
					if d != nil && d.running() {
						d.stop(t)
					}
					d = nil
				}
			}
		}
		if skipEnv {
			// One link, one MTU: this environment cannot be built.
			skipped++
			continue
		}
		in, err := os.ReadFile(filepath.Join(dir, r.In))
		if err != nil {
			t.Fatal(err)
		}
		var wants [][]byte
		for _, w := range r.Want {
			b, err := os.ReadFile(filepath.Join(dir, w))
			if err != nil {
				t.Fatal(err)
			}
			wants = append(wants, b)
		}
		ok := t.Run(r.Name, func(t *testing.T) {
			send, dst := s4, mac4
			if in[0]>>4 == 6 {
				send, dst = s6, mac6
			}
			if startErr != nil {
				t.Fatalf("xlatd not running with this row's environment %+v", r.Env)
			}
			if why, ok := graybox.Deviations[r.Name]; ok {
				// Not compared with Jool's answer; xlatd fragments instead
				// (cgt2): the IPv4 fragments must reach the IPv4 host.
				s4.drain()
				if err := send.sendIP(dst, in); err != nil {
					t.Fatal(err)
				}
				from, to := netip.MustParseAddr(tb.e("H6_AS4")), netip.MustParseAddr(tb.e("H4"))
				got := s4.recvIP(time.Now().Add(time.Second), addrMatch(from, to))
				if got == nil || !graybox.IPv4HeaderValid(got) {
					t.Fatalf("deviation %s: no valid IPv4 translation reached the IPv4 host", r.Name)
				}
				t.Skipf("deliberate deviation from Jool (translated and fragmented instead): %s", why)
			}
			recv := s6
			if r.Dir == "64" || r.Dir == "44" {
				recv = s4
			}
			recv.drain()
			if err := send.sendIP(dst, in); err != nil {
				t.Fatalf("inject: %v", err)
			}
			deadline := time.Now().Add(time.Second)
			for k, want := range wants {
				ws, wd, _ := ipAddrs(want)
				got := recv.recvIP(deadline, addrMatch(ws, wd))
				if got == nil {
					t.Fatalf("expected packet %d/%d (%s, IPv%d %v -> %v) never arrived", k+1, len(wants), r.Want[k], want[0]>>4, ws, wd)
				}
				if p := graybox.Compare(r, want, got); len(p) != 0 {
					t.Errorf("packet %d/%d (%s) differs:\n  %s", k+1, len(wants), r.Want[k], strings.Join(p, "\n  "))
				}
			}
		})
		if _, dev := graybox.Deviations[r.Name]; dev && ok {
			deviated++
		} else if ok {
			pass++
		} else {
			fail++
			failed = append(failed, r.Name)
			if d != nil && !logged[d] {
				logged[d] = true
				t.Logf("xlatd log for environment %+v (%s):\n%s", cur, d.cfg, d.log.String())
			}
		}
		if d != nil && !d.running() {
			t.Fatalf("xlatd died during row %s: %v", r.Name, d.err)
		}
	}
	t.Logf("graybox through xlatd (%s, xdp_mode %s): %d of %d SIIT exchanges match, %d deliberate deviations, %d fail %v, %d not run (per-side MTUs)",
		topo, xdpMode, pass, pass+fail+deviated, deviated, fail, failed, skipped)
}

// grayProbe waits (bounded) until a UDP packet from the IPv4 host reaches
// the IPv6 host through xlatd: sockets registered, neighbours known. (4->6:
// with pool6 null and the IPv4 host inside an EAM, 6->4 would hairpin.)
func grayProbe(tb *testbed, s6, s4 *pktSock, mac4 [6]byte) error {
	src, dst := netip.MustParseAddr(tb.e("H4")), netip.MustParseAddr(tb.e("H6_AS4"))
	p := pktbuild.IPv4{Src: src, Dst: dst, Proto: 17}.Build(pktbuild.UDP(9, 9, []byte("probe")))
	want6s, want6d := netip.MustParseAddr(tb.e("H4_AS6")), netip.MustParseAddr(tb.e("H6"))
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if err := s4.sendIP(mac4, p); err != nil {
			return err
		}
		if s6.recvIP(time.Now().Add(200*time.Millisecond), addrMatch(want6s, want6d)) != nil {
			return nil
		}
	}
	return fmt.Errorf("probe: xlatd did not translate a plain IPv4 UDP packet within 10 s")
}
