package e2e

import (
	"context"
	"encoding/binary"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"

	"github.com/xlatd/xlatd/internal/graybox"
	"github.com/xlatd/xlatd/internal/pktbuild"
)

// TestCheck runs `xlatd -config FILE -check` on good and bad configs in the
// box namespace: exit status and messages naming the key (CONTRACT.md).
func TestCheck(t *testing.T) {
	needXlatd(t)
	tb := newTestbed(t, "two-armed", true)
	good := tb.config()
	cases := []struct {
		name string
		cfg  string
		code int
		want string
	}{
		{"good", good, 0, ""},
		{"pool6/33", strings.Replace(good, `pool6 = "2001:db8:100::/40"`, `pool6 = "2001:db8::/33"`, 1), 1,
			"pool6: prefix length 33 is not one of 32,40,48,56,64,96"},
		{"unknown key", strings.Replace(good, "[translate]\n", "[translate]\npool7 = \"x\"\n", 1), 1, "pool7"},
		{"missing interface (a warning: the file is valid)", strings.Replace(good, `ipv6 = "to-h6"`, `ipv6 = "nosuch0"`, 1), 0, "nosuch0"},
		{"eamt not IPv4", strings.Replace(good, `ipv4 = "203.0.113.0/28"`, `ipv4 = "2001:db8::/124"`, 1), 1, "eamt[0].ipv4"},
		{"lowest mtu", strings.Replace(good, "[translate]\n", "[translate]\nlowest_ipv6_mtu = 1279\n", 1), 1, "lowest_ipv6_mtu"},
		{"not toml", "[interfaces\nipv6=", 1, ""},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(tb.run, "check-"+itoa(i)+".toml")
			if err := os.WriteFile(path, []byte(c.cfg), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := tb.exec(tb.e("NSX"), 10*time.Second, xlatdBin, "-config", path, "-check")
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != c.code {
				t.Errorf("exit status %d, want %d; output:\n%s", code, c.code, out)
			}
			if c.want != "" && !strings.Contains(out, c.want) {
				t.Errorf("output does not name %q:\n%s", c.want, out)
			}
		})
	}
	// A bad config makes the daemon exit non-zero before touching anything.
	t.Run("daemon refuses bad config", func(t *testing.T) {
		path := filepath.Join(tb.run, "bad.toml")
		_ = os.WriteFile(path, []byte(cases[1].cfg), 0o644)
		out, err := tb.exec(tb.e("NSX"), 10*time.Second, xlatdBin, "-config", path)
		if err == nil {
			t.Fatalf("xlatd started with pool6 /33:\n%s", out)
		}
		if !strings.Contains(out, "pool6") {
			t.Errorf("error does not name pool6:\n%s", out)
		}
		if tb.xdpAttached("to-h6") || tb.xdpAttached("to-h4") {
			t.Errorf("XDP program left attached after refusing the config")
		}
	})
}

// TestStop: SIGTERM and SIGINT stop xlatd with status 0, and its XDP
// programs are gone afterwards.
func TestStop(t *testing.T) {
	tb := newTestbed(t, "two-armed", true)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		d := tb.start(t, tb.config())
		tb.pingEventually(t, tb.e("NS6"), tb.e("H4_AS6"), 10*time.Second)
		if code := d.signal(t, sig); code != 0 {
			t.Errorf("exit status %d after %v, want 0\n%s", code, sig, d.log.String())
		}
		if tb.xdpAttached("to-h6") || tb.xdpAttached("to-h4") {
			t.Errorf("XDP program still attached after %v", sig)
		}
	}
	// Without the translator the kernel has nothing to say about pool6.
	if _, err := tb.exec(tb.e("NS6"), 5*time.Second, "ping", "-c", "1", "-W", "1", tb.e("H4_AS6")); err == nil {
		t.Errorf("ping through pool6 answered with xlatd stopped")
	}
}

// TestOneArmed: the box has one interface carrying both families.
func TestOneArmed(t *testing.T) {
	tb := newTestbed(t, "one-armed", true)
	tb.start(t, tb.config())
	h6, h4 := tb.e("NS6"), tb.e("NS4")
	tb.pingEventually(t, h6, tb.e("H4_AS6"), 10*time.Second)
	if out, err := tb.ping(h4, tb.e("H6_AS4"), 2); err != nil {
		t.Fatalf("ping 4->6: %v\n%s", err, out)
	}
	udpEcho(t, h4, 7201, nil)
	udpExchange(t, h6, tb.e("H4_AS6"), 7201, []byte("one-armed 6->4"))
	tcpEcho(t, h6, 7202, nil)
	tcpExchange(t, h4, tb.e("H6_AS4"), 7202, 50000)
	// The box's own addresses still answer on the shared interface.
	if out, err := tb.ping(h4, tb.e("BOX4"), 1); err != nil {
		t.Errorf("ping box %s: %v\n%s", tb.e("BOX4"), err, out)
	}
	if out, err := tb.ping(h6, tb.e("BOX6"), 1); err != nil {
		t.Errorf("ping box %s: %v\n%s", tb.e("BOX6"), err, out)
	}
}

// TestKernelKeepsTraffic: while xlatd runs, the box's own addresses,
// ARP/ND and prefixes xlatd does not own stay with the kernel. No
// permanent neighbour entries here: everything is resolved for real.
func TestKernelKeepsTraffic(t *testing.T) {
	tb := newTestbed(t, "two-armed", false)
	tb.start(t, tb.config())
	h6, h4, box := tb.e("NS6"), tb.e("NS4"), tb.e("NSX")
	// First the translator, whose next hops are not resolved yet.
	tb.pingEventually(t, h6, tb.e("H4_AS6"), 10*time.Second)
	tb.pingEventually(t, h4, tb.e("H6_AS4"), 10*time.Second)
	for _, c := range [][2]string{{h6, tb.e("BOX6")}, {h6, tb.e("BOXLO6")}, {h4, tb.e("BOX4")}, {h4, tb.e("BOXLO4")}} {
		if out, err := tb.ping(c[0], c[1], 2); err != nil {
			t.Errorf("ping %s from %s: %v\n%s", c[1], c[0], err, out)
		}
	}
	// ARP and ND went through the kernel: the hosts know the box's MACs.
	if out := tb.ip("-n", h4, "neigh", "show", tb.e("BOX4")); !strings.Contains(out, tb.e("MAC_BOX4")) {
		t.Errorf("IPv4 host has no ARP entry for the box: %q", out)
	}
	if out := tb.ip("-n", h6, "-6", "neigh", "show", tb.e("BOX6")); !strings.Contains(out, tb.e("MAC_BOX6")) {
		t.Errorf("IPv6 host has no ND entry for the box: %q", out)
	}
	// TCP to the box itself, both families.
	tcpEcho(t, box, 7300, nil)
	tcpExchange(t, h6, tb.e("BOX6"), 7300, 100000)
	tcpExchange(t, h4, tb.e("BOX4"), 7300, 100000)
	tcpExchange(t, h6, tb.e("BOXLO6"), 7300, 10000)
	// Plain IPv6 forwarding through the box to a prefix xlatd does not
	// own: give the IPv4 host an IPv6 address on 2001:db8:4::/64 (the box
	// 2001:db8:4::1 on its IPv4-side link). The XDP programs on both
	// interfaces must pass it to the kernel, both ways.
	tb.ip("-n", box, "addr", "add", "2001:db8:4::1/64", "dev", "to-h4", "nodad")
	tb.ip("-n", h4, "addr", "add", "2001:db8:4::2/64", "dev", "to-xl", "nodad")
	tb.ip("-n", h4, "-6", "route", "add", "2001:db8::/32", "via", "2001:db8:4::1") // back to both of the IPv6 host's addresses
	tb.ip("-n", h6, "-6", "route", "add", "2001:db8:4::/64", "via", tb.e("BOX6"))
	tb.pingEventually(t, h6, "2001:db8:4::2", 5*time.Second)
	tcpEcho(t, h4, 7301, nil)
	tcpExchange(t, h6, "2001:db8:4::2", 7301, 100000)
	// And translation still works afterwards.
	if out, err := tb.ping(h6, tb.e("H4_AS6"), 2); err != nil {
		t.Errorf("translation after kernel traffic: %v\n%s", err, out)
	}
}

// TestPacketTooBig: oversized DF packets get Packet Too Big /
// Fragmentation Needed from xlatd with the right MTU, and IPv4 without DF
// is fragmented. First the box's IPv4 link has MTU 1400, then (xlatd
// restarted) its IPv6 link has MTU 1280, as in Jool's cg and ca/cc tests.
func TestPacketTooBig(t *testing.T) {
	tb := newTestbed(t, "two-armed", true)
	box, h6, h4 := tb.e("NSX"), tb.e("NS6"), tb.e("NS4")
	s6, s4 := openPacket(t, h6, "to-xl"), openPacket(t, h4, "to-xl")
	mac6, mac4 := mustMAC(t, tb.e("MAC_BOX6")), mustMAC(t, tb.e("MAC_BOX4"))
	a := func(k string) netip.Addr { return netip.MustParseAddr(tb.e(k)) }

	// Both ends of a link get the MTU: veth drops what exceeds the
	// receiver's MTU.
	tb.ip("-n", box, "link", "set", "dev", "to-h4", "mtu", "1400")
	tb.ip("-n", h4, "link", "set", "dev", "to-xl", "mtu", "1400")
	d := tb.start(t, tb.config())
	tb.pingEventually(t, h6, tb.e("H4_AS6"), 10*time.Second)
	t.Run("ptb6", func(t *testing.T) {
		// 1450-byte IPv6 -> 1430-byte IPv4 > 1400: ICMPv6 PTB MTU 1420.
		p := pktbuild.IPv6{Src: a("H6"), Dst: a("H4_AS6"), NextHeader: 17}.Build(pktbuild.UDP(5000, 5002, pktbuild.Payload(1450-48)))
		got := sendExpect(t, s6, mac6, p, s6, addrMatch(a("BOX6"), a("H6")))
		if got[6] != 58 || got[40] != 2 {
			t.Fatalf("got nh %d type %d, want ICMPv6 Packet Too Big", got[6], got[40])
		}
		if mtu := binary.BigEndian.Uint32(got[44:]); mtu != 1420 {
			t.Errorf("PTB MTU %d, want 1420", mtu)
		}
	})
	if code := d.stop(t); code != 0 {
		t.Errorf("xlatd exit status %d, want 0", code)
	}

	tb.ip("-n", box, "link", "set", "dev", "to-h4", "mtu", "1500")
	tb.ip("-n", h4, "link", "set", "dev", "to-xl", "mtu", "1500")
	tb.ip("-n", box, "link", "set", "dev", "to-h6", "mtu", "1280")
	tb.ip("-n", h6, "link", "set", "dev", "to-xl", "mtu", "1280")
	tb.start(t, tb.config())
	tb.pingEventually(t, h4, tb.e("H6_AS4"), 10*time.Second)
	t.Run("fragneeded4", func(t *testing.T) {
		// 1300-byte IPv4 with DF -> 1320-byte IPv6 > 1280: ICMPv4 3/4 MTU 1260.
		p := pktbuild.IPv4{Src: a("H4"), Dst: a("H6_AS4"), DF: true, Proto: 17, ID: 42}.Build(pktbuild.UDP(5000, 5003, pktbuild.Payload(1300-28)))
		got := sendExpect(t, s4, mac4, p, s4, addrMatch(a("BOX4"), a("H4")))
		if got[9] != 1 || got[20] != 3 || got[21] != 4 {
			t.Fatalf("got proto %d type %d code %d, want ICMP 3/4", got[9], got[20], got[21])
		}
		if mtu := binary.BigEndian.Uint16(got[26:]); mtu != 1260 {
			t.Errorf("Fragmentation Needed MTU %d, want 1260", mtu)
		}
	})
	t.Run("fragment4to6", func(t *testing.T) {
		// 1300-byte IPv4 without DF: translated into IPv6 fragments of at
		// most 1280 bytes (lowest_ipv6_mtu); Fragment ID = IPv4 ID.
		p := pktbuild.IPv4{Src: a("H4"), Dst: a("H6_AS4"), Proto: 17, ID: 0x4242}.Build(pktbuild.UDP(5000, 5004, pktbuild.Payload(1300-28)))
		got := sendExpect(t, s4, mac4, p, s6, addrMatch(a("H4_AS6"), a("H6")))
		if len(got) > 1280 || got[6] != 44 {
			t.Fatalf("first output: %d bytes, next header %d; want a Fragment header and <= 1280 bytes", len(got), got[6])
		}
		if id := binary.BigEndian.Uint32(got[44:]); id != 0x4242 {
			t.Errorf("Fragment ID %#x, want 0x4242 (the IPv4 ID)", id)
		}
	})
	t.Run("tcp4to6", func(t *testing.T) {
		// The kernels' own PMTU discovery through xlatd's Fragmentation
		// Needed: a TCP stream from the IPv4 host (MSS 1460) to the IPv6
		// side whose link MTU is 1280.
		tcpEcho(t, h6, 7500, nil)
		tcpExchange(t, h4, tb.e("H6_AS4"), 7500, 100000)
	})
}

// sendExpect injects p (bounded retries) and returns the first matching
// packet captured on recv.
func sendExpect(t *testing.T, send *pktSock, dst [6]byte, p []byte, recv *pktSock, match func([]byte) bool) []byte {
	t.Helper()
	for try := 0; try < 3; try++ {
		recv.drain()
		if err := send.sendIP(dst, p); err != nil {
			t.Fatal(err)
		}
		if got := recv.recvIP(time.Now().Add(time.Second), match); got != nil {
			return got
		}
	}
	t.Fatalf("nothing matching arrived after 3 tries")
	return nil
}

// TestGarbage: 3 s of malformed frames from both hosts leave xlatd running
// and translating.
func TestGarbage(t *testing.T) {
	tb := newTestbed(t, "two-armed", true)
	d := tb.start(t, tb.config())
	h6, h4 := tb.e("NS6"), tb.e("NS4")
	tb.pingEventually(t, h6, tb.e("H4_AS6"), 10*time.Second)
	s6, s4 := openPacket(t, h6, "to-xl"), openPacket(t, h4, "to-xl")
	mac6, mac4 := mustMAC(t, tb.e("MAC_BOX6")), mustMAC(t, tb.e("MAC_BOX4"))
	a := func(k string) netip.Addr { return netip.MustParseAddr(tb.e(k)) }
	seeds6, seeds4 := garbageSeeds(a("H6"), a("H4_AS6"), a("H4"), a("H6_AS4"))
	// Jool's corpus, when present, adds its inputs (and expected outputs)
	// as seeds, like the fuzz targets' seed corpus.
	if dir, err := graybox.Dir(); err == nil {
		for _, r := range graybox.Rows {
			for _, name := range append([]string{r.In}, r.Want...) {
				b, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil || len(b) == 0 {
					continue
				}
				if b[0]>>4 == 6 {
					seeds6 = append(seeds6, b)
				} else {
					seeds4 = append(seeds4, b)
				}
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	deadline := time.Now().Add(3 * time.Second)
	sent := 0
	for time.Now().Before(deadline) && sent < 60000 {
		for _, side := range []struct {
			s     *pktSock
			mac   [6]byte
			seeds [][]byte
		}{{s6, mac6, seeds6}, {s4, mac4, seeds4}} {
			p := mutate(rng, side.seeds[rng.IntN(len(side.seeds))])
			if side.s.sendIP(side.mac, p) == nil {
				sent++
			}
		}
		if sent%512 == 0 {
			time.Sleep(time.Millisecond) // stay bounded: ~100k frames/s at most
		}
	}
	t.Logf("sent %d malformed frames", sent)
	if !d.running() {
		t.Fatalf("xlatd died under garbage: %v\n%s", d.err, d.log.String())
	}
	if _, err := d.stats(); err != nil {
		t.Errorf("stats after garbage: %v", err)
	}
	// The garbage reached the translator (not only the XDP program) and
	// was counted as dropped.
	if n := d.counterSum("drop."); n <= 0 {
		t.Errorf("no drop counted after %d malformed frames (drop.* = %v)", sent, n)
	} else {
		t.Logf("drops counted: %v", n)
	}
	tb.pingEventually(t, h6, tb.e("H4_AS6"), 5*time.Second)
	tb.pingEventually(t, h4, tb.e("H6_AS4"), 5*time.Second)
}

// garbageSeeds returns well-formed packets of many kinds, addressed so that
// xlatd captures them.
func garbageSeeds(h6, h4as6, h4, h6as4 netip.Addr) (v6, v4 [][]byte) {
	pl := pktbuild.Payload(200)
	inner4 := pktbuild.IPv4{Src: h6as4, Dst: h4, Proto: 17}.Build(pktbuild.UDP(1, 2, pl))
	inner6 := pktbuild.IPv6{Src: h4as6, Dst: h6, NextHeader: 17}.Build(pktbuild.UDP(1, 2, pl))
	v6 = [][]byte{
		pktbuild.IPv6{Src: h6, Dst: h4as6, NextHeader: 17}.Build(pktbuild.UDP(1, 2, pl)),
		pktbuild.IPv6{Src: h6, Dst: h4as6, NextHeader: 6}.Build(pktbuild.TCP(1, 2, 3, 4, 0x18, pl)),
		pktbuild.IPv6{Src: h6, Dst: h4as6, NextHeader: 58}.Build(pktbuild.Echo(128, 1, 1, pl)),
		pktbuild.IPv6{Src: h6, Dst: h4as6, NextHeader: 58}.Build(pktbuild.ICMP(1, 4, 0, inner6)),
		pktbuild.IPv6{Src: h6, Dst: h4as6, NextHeader: 58}.Build(pktbuild.ICMP(2, 0, 1280, inner6)),
		pktbuild.IPv6{Src: h6, Dst: h4as6, NextHeader: 17, Ext: []pktbuild.Ext{pktbuild.HopByHop(), pktbuild.DestOpts()}}.Build(pktbuild.UDP(1, 2, pl)),
		pktbuild.IPv6{Src: h6, Dst: h4as6, NextHeader: 17, Frag: &pktbuild.Frag{Offset: 8, M: true, ID: 7}}.Build(pl),
	}
	v4 = [][]byte{
		pktbuild.IPv4{Src: h4, Dst: h6as4, Proto: 17}.Build(pktbuild.UDP(1, 2, pl)),
		pktbuild.IPv4{Src: h4, Dst: h6as4, Proto: 6, DF: true}.Build(pktbuild.TCP(1, 2, 3, 4, 0x18, pl)),
		pktbuild.IPv4{Src: h4, Dst: h6as4, Proto: 1}.Build(pktbuild.Echo(8, 1, 1, pl)),
		pktbuild.IPv4{Src: h4, Dst: h6as4, Proto: 1}.Build(pktbuild.ICMP(3, 3, 0, inner4)),
		pktbuild.IPv4{Src: h4, Dst: h6as4, Proto: 1}.Build(pktbuild.ICMP(3, 4, 1000, inner4)),
		pktbuild.IPv4{Src: h4, Dst: h6as4, Proto: 17, Options: []byte{0x83, 7, 4, 0, 0, 0, 0}}.Build(pktbuild.UDP(1, 2, pl)),
		pktbuild.IPv4{Src: h4, Dst: h6as4, Proto: 17, MF: true, ID: 9}.Build(pl),
	}
	return v6, v4
}

// mutate returns a damaged copy of p: truncated, bytes flipped, length
// fields lying, or a header length too small. The addresses are kept most
// of the time so that xlatd captures the frame.
func mutate(rng *rand.Rand, p []byte) []byte {
	q := append([]byte(nil), p...)
	switch rng.IntN(6) {
	case 0: // truncate
		q = q[:rng.IntN(len(q))]
	case 1: // flip bytes outside the addresses
		for n := 1 + rng.IntN(4); n > 0; n-- {
			i := rng.IntN(len(q))
			if (q[0]>>4 == 6 && i >= 8 && i < 40) || (q[0]>>4 == 4 && i >= 12 && i < 20) {
				continue
			}
			q[i] ^= byte(1 + rng.IntN(255))
		}
	case 2: // lying length fields
		if q[0]>>4 == 6 {
			binary.BigEndian.PutUint16(q[4:], uint16(rng.IntN(65536)))
		} else {
			binary.BigEndian.PutUint16(q[2:], uint16(rng.IntN(65536)))
		}
	case 3: // IHL < 5 or nonsense version
		if q[0]>>4 == 4 {
			q[0] = 0x40 | byte(rng.IntN(5))
		} else {
			q[6] = byte(rng.IntN(256)) // any next header
		}
	case 4: // damage deep inside (inner packets, extension headers)
		if len(q) > 40 {
			i := 40 + rng.IntN(len(q)-40)
			q[i] = byte(rng.IntN(256))
			q = q[:i+1+rng.IntN(len(q)-i)]
		}
	case 5: // random tail
		n := rng.IntN(64)
		for i := 0; i < n && i < len(q); i++ {
			q[len(q)-1-i] = byte(rng.IntN(256))
		}
	}
	return q
}

// TestXDPCoexist: an XDP program already attached to the box's IPv6
// interface. xlatd refuses with a clear error or coexists; either way the
// other program is still attached after xlatd stops.
func TestXDPCoexist(t *testing.T) {
	needXlatd(t)
	t.Run("bpf_link", func(t *testing.T) { testXDPCoexist(t, false) })
	t.Run("netlink", func(t *testing.T) { testXDPCoexist(t, true) })
}

// testXDPCoexist attaches an XDP_PASS program to the box's to-h6 with a
// bpf_link, or the legacy way through netlink (IFLA_XDP, native mode).
func testXDPCoexist(t *testing.T, legacy bool) {
	tb := newTestbed(t, "two-armed", true)
	box := tb.e("NSX")
	var progID ebpf.ProgramID
	err := inNS(box, func() error {
		ifi, err := net.InterfaceByName("to-h6")
		if err != nil {
			return err
		}
		prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
			Type: ebpf.XDP, License: "GPL",
			Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 2), asm.Return()}, // XDP_PASS
		})
		if err != nil {
			return err
		}
		defer prog.Close()
		if info, err := prog.Info(); err == nil {
			progID, _ = info.ID()
		}
		if legacy {
			lk, err := netlink.LinkByIndex(ifi.Index)
			if err != nil {
				return err
			}
			return netlink.LinkSetXdpFdWithFlags(lk, prog.FD(), nl.XDP_FLAGS_DRV_MODE)
		}
		l, err := link.AttachXDP(link.XDPOptions{Program: prog, Interface: ifi.Index})
		if err == nil {
			t.Cleanup(func() { l.Close() })
		}
		return err
	})
	if err != nil {
		t.Fatalf("attaching the other XDP program: %v", err)
	}
	ours := func() bool {
		out, _ := exec.Command("ip", "-n", box, "-d", "link", "show", "dev", "to-h6").CombinedOutput()
		return strings.Contains(string(out), "prog/xdp id "+itoa(int(progID))+" ")
	}
	if !ours() {
		t.Fatalf("the other program (id %d) is not visible on to-h6", progID)
	}

	path := filepath.Join(tb.run, "coexist.toml")
	cfg := tb.config()
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", box, xlatdBin, "-config", path)
	var out syncBuf
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		// Refused: it must say why.
		if err == nil {
			t.Errorf("xlatd exited 0 at once next to another XDP program")
		}
		lo := strings.ToLower(out.String())
		if !strings.Contains(lo, "xdp") || !(strings.Contains(lo, "attached") || strings.Contains(lo, "busy") || strings.Contains(lo, "another")) {
			t.Errorf("refusal does not explain the other XDP program:\n%s", out.String())
		}
		t.Logf("xlatd refused: %s", strings.TrimSpace(out.String()))
		if tb.xdpAttached("to-h4") {
			t.Errorf("xlatd refused but left an XDP program on to-h4")
		}
	case <-time.After(5 * time.Second):
		// Coexisting: the other program must still be there, and a stop
		// must leave it.
		if !ours() {
			t.Errorf("xlatd replaced the other XDP program")
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		if err := <-done; err != nil {
			t.Errorf("xlatd stop: %v\n%s", err, out.String())
		}
	}
	if !ours() {
		t.Errorf("the other XDP program (id %d) is gone from to-h6 after xlatd", progID)
	}
}
