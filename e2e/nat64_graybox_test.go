package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xlatd/xlatd/internal/graybox"
	"github.com/xlatd/xlatd/internal/pktbuild"
)

// grayRow64 is one NAT64 exchange of Jool's graybox corpus (INDEX.md
// section 5, "NAT64" table, read from the corpus itself).
type grayRow64 struct {
	graybox.Row
	Ins    []string     // inputs, sent in order
	Group  string       // udp64, so, ptb, errors, misc, ...
	Exempt map[int]bool // the script's exempt offsets
	MTU4   int          // [env: mtu joolns:to_client_v4=N]
	MTU6   int          // [env: mtu joolns:to_client_v6=N]
	ZeroTC bool         // [env: global zeroize-traffic-class=true]: reset_traffic_class
	Env    string       // the row's [env: ...] text
}

var rowDesc = regexp.MustCompile(`^\(([a-z0-9]+), ([0-9+]+)\)`)

// nat64GrayRows parses the NAT64 table of INDEX.md.
func nat64GrayRows(dir string) ([]grayRow64, error) {
	f, err := os.Open(filepath.Join(dir, "INDEX.md"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rows []grayRow64
	in := false
	seen := map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "### ") {
			in = strings.HasPrefix(l, "### NAT64")
			continue
		}
		if !in || !strings.HasPrefix(l, "| ") || strings.HasPrefix(l, "| name") {
			continue
		}
		c := strings.Split(l, " | ")
		if len(c) < 5 {
			continue
		}
		for i := range c {
			c[i] = strings.Trim(c[i], "| ")
		}
		r := grayRow64{Exempt: map[int]bool{}}
		r.Name = c[0]
		if k := seen[r.Name]; k > 0 {
			r.Name = fmt.Sprintf("%s-%d", c[0], k+1)
		}
		seen[c[0]]++
		r.Ins = strings.Split(c[1], " + ")
		r.In = r.Ins[0]
		r.Want = strings.Split(c[2], " + ")
		m := rowDesc.FindStringSubmatch(c[3])
		if m == nil {
			return nil, fmt.Errorf("INDEX.md NAT64 row %s: no (group, direction) in %q", r.Name, c[3])
		}
		r.Group, r.Dir = m[1], m[2]
		if r.Dir == "4+64" {
			r.Dir = "64"
		}
		if i := strings.Index(c[3], "[env: "); i >= 0 {
			r.Env = strings.TrimSuffix(c[3][i+6:], "]")
			for _, e := range strings.Split(r.Env, ", ") {
				if v, ok := strings.CutPrefix(e, "mtu joolns:to_client_v4="); ok {
					r.MTU4, _ = strconv.Atoi(v)
				}
				if v, ok := strings.CutPrefix(e, "mtu joolns:to_client_v6="); ok {
					r.MTU6, _ = strconv.Atoi(v)
				}
				r.ZeroTC = r.ZeroTC || e == "global zeroize-traffic-class=true"
			}
		}
		ex := c[4]
		if s, ok := strings.CutPrefix(ex, "script: "); ok {
			s, _, _ = strings.Cut(s, ";")
			for _, x := range strings.Split(s, ",") {
				if v, err := strconv.Atoi(strings.TrimSpace(x)); err == nil {
					r.Exempt[v] = true
				}
			}
		}
		r.TOS = r.Exempt[1]
		r.ICMPCsum = strings.Contains(ex, "22,23(")
		r.Script = ex
		rows = append(rows, r)
	}
	return rows, sc.Err()
}

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

// nat64GrayConfig is INDEX.md section 3's NAT64 configuration as xlatd
// keys: pool4 is 192.0.2.2 (j's own address in Jool's setup, not the
// box's here); Jool's pool4 ports 1-3000
// hold the static entries, which xlatd keeps outside nat64.ports, so the
// dynamic ports are 2001-65535 (the dynamic rows use 2600 and 4101).
func nat64GrayConfig(tb *testbed, resetTC bool) string {
	return fmt.Sprintf(`[interfaces]
ipv6 = %q
ipv4 = %q
xdp_mode = "auto"

[translate]
mode = "nat64"
pool6 = %q
ipv4_address = "192.0.2.2"
ipv6_address = "2001:db8::1"
icmp_errors_per_second = 0
reset_traffic_class = %v

[log]
mappings = "off"

[metrics]
listen = ""

[nat64]
pool4 = ["192.0.2.2/32"]
ports = "2001-65535"
port_block_size = 128
[nat64.timeouts]
tcp_incoming_syn = "6s"
[[nat64.static]]
protocol = "tcp"
ipv6 = "2001:db8::5"
port6 = 2000
ipv4 = "192.0.2.2"
port4 = 2000
[[nat64.static]]
protocol = "udp"
ipv6 = "2001:db8::5"
port6 = 2000
ipv4 = "192.0.2.2"
port4 = 2000
[[nat64.static]]
protocol = "icmp"
ipv6 = "2001:db8::5"
port6 = 1
ipv4 = "192.0.2.2"
port4 = 1
[[nat64.static]]
protocol = "udp"
ipv6 = "2001:db8:1::5"
port6 = 1001
ipv4 = "192.0.2.2"
port4 = 1000
[[nat64.static]]
protocol = "udp"
ipv6 = "2001:db8::5"
port6 = 1003
ipv4 = "192.0.2.2"
port4 = 1002
`, tb.e("IF6"), tb.e("IF4"), gray64, resetTC)
}

// grayDeviations64 are rows not compared byte for byte, and why.
var grayDeviations64 = map[string]string{
	"issue132/test-2": "source-icmpv6-errors-better=off has no xlatd equivalent (xlatd always takes the ICMPv6 source from the ICMPv4 error's source, issue #132's 'on')",
}

// TestNAT64GrayboxReplay replays the NAT64 exchanges of Jool's graybox
// corpus through the running daemon on the two-armed testbed, given Jool's
// NAT64 addressing (n6 2001:db8::5, j 2001:db8::1, pool4 192.0.2.2, n4
// 192.0.2.5): inputs injected on the sending host's veth, outputs captured
// on the receiving one and compared under Jool's rules (internal/graybox),
// in the corpus's order (later rows use sessions earlier rows made).
func TestNAT64GrayboxReplay(t *testing.T) {
	dir, err := graybox.Dir()
	if err != nil {
		if graybox.Required() {
			t.Fatalf("XLATD_REQUIRE_GRAYBOX=1: %v", err)
		}
		t.Skip(err)
	}
	needXlatd(t)
	rows, err := nat64GrayRows(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 42 {
		t.Fatalf("INDEX.md has %d NAT64 exchanges, want 42", len(rows))
	}
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
		if r.MTU4 != curMTU4 || r.MTU6 != curMTU6 || r.ZeroTC != curTC {
			if d != nil && d.running() {
				if code := d.stop(t); code != 0 {
					t.Errorf("xlatd exit status %d on SIGTERM, want 0", code)
				}
			}
			curMTU4, curMTU6, curTC = r.MTU4, r.MTU6, r.ZeroTC
			m4, m6 := 1500, 1500
			if r.MTU4 != 0 {
				m4 = r.MTU4
			}
			if r.MTU6 != 0 {
				m6 = r.MTU6
			}
			tb.ip("-n", box, "link", "set", "dev", "to-h4", "mtu", itoa(m4))
			tb.ip("-n", box, "link", "set", "dev", "to-h6", "mtu", itoa(m6))
			d, startErr = tb.tryStart(t, nat64GrayConfig(tb, r.ZeroTC))
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
		for _, name := range r.Ins {
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
			if why, dev := grayDeviations64[r.Name]; dev {
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
			if r.Name == "issue132/test" {
				n4Unreachable(t, s4, mac4)
			}
			wait := time.Second
			if r.Group == "so" {
				wait = 10 * time.Second // held for tcp_incoming_syn (6 s)
			}
			deadline := time.Now().Add(wait)
			for k, want := range wants {
				ws, wd, _ := ipAddrs(want)
				got := recv.recvIP(deadline, addrMatch(ws, wd))
				if got == nil {
					t.Fatalf("expected packet %d/%d (%s, IPv%d %v -> %v) never arrived", k+1, len(wants), r.Want[k], want[0]>>4, ws, wd)
				}
				if r.Name == "so/success-sender4" {
					// Jool keeps the IPv6 source port (2600) in the IPv4
					// SYN; xlatd picks a random port of a block (RFC 6888
					// REQ-15), so the port and the checksum over it differ.
					if got[9] != 6 || len(got) < 40 || got[33]&tcpSYN == 0 {
						t.Fatalf("simultaneous open: not a SYN: % x", got)
					}
					t.Logf("simultaneous open: the IPv4 SYN left from 192.0.2.2#%d (Jool: #2600)", int(got[20])<<8|int(got[21]))
					continue
				}
				var diffs []string
				for _, p := range graybox.Compare(&r.Row, want, got) {
					var off int
					if _, err := fmt.Sscanf(p, "offset %d:", &off); err == nil && r.Exempt[off] {
						continue
					}
					diffs = append(diffs, p)
				}
				if len(diffs) != 0 {
					t.Errorf("packet %d/%d (%s) differs:\n  %s", k+1, len(wants), r.Want[k], strings.Join(diffs, "\n  "))
				}
			}
		})
		if r.Name == "so/success-sender4" {
			// xlatd's IPv6 SYN did not match the held IPv4 SYN's port, so
			// that SYN is answered with port unreachable after 6 s: let it
			// pass before the next rows (same addresses).
			time.Sleep(7 * time.Second)
			s4.drain()
		}
		if _, dev := grayDeviations64[r.Name]; dev {
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
	t.Logf("NAT64 graybox through xlatd: %d of %d exchanges match (so/success-sender4 as a SYN only: no port preservation), %d not replayed (%v), %d fail %v",
		pass, len(rows)-deviated, deviated, grayDeviations64, fail, failed)
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

// n4Unreachable plays Jool's n4 in issue132/test: n4 forwards but has no
// route to 203.0.113.6, so its kernel answers the translated SYN with
// ICMPv4 net unreachable (type 3 code 0) from 192.0.2.5, as Linux's
// icmp_send builds it (TOS 0xc0, TTL 64, the packet quoted whole).
func n4Unreachable(t *testing.T, s4 *pktSock, mac4 [6]byte) {
	t.Helper()
	n4, j := netip.MustParseAddr("192.0.2.5"), netip.MustParseAddr("192.0.2.2")
	got := s4.recvIP(time.Now().Add(time.Second), addrMatch(j, netip.MustParseAddr("203.0.113.6")))
	if got == nil {
		t.Fatalf("the translated SYN to 203.0.113.6 never reached n4")
	}
	icmp := pktbuild.IPv4{Src: n4, Dst: j, Proto: 1, TOS: 0xc0}.Build(pktbuild.ICMP(3, 0, 0, got))
	if err := s4.sendIP(mac4, icmp); err != nil {
		t.Fatal(err)
	}
}
