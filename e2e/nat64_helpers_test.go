package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The NAT64 end-to-end tests run on the two-armed testbed of
// scripts/netns/setup.sh with xlatd in stateful NAT64 mode:
//
//	IPv6 host  H6 2001:db8:1c0:2:21:: (and subscribers 2001:db8:6::7, ::8, ::9)
//	xlatd      pool6 2001:db8:100::/40 (the testbed's), pool4 203.0.113.128/28
//	IPv4 host  H4 198.51.100.2 (and 198.51.100.3 for filtering)
//
// Only documentation prefixes; the Well-Known Prefix would need global IPv4
// addresses (RFC 6052 section 3.1). Every test builds its own testbed and
// daemon, bounds its waits, and skips (naming the reason) while this build
// of xlatd refuses translate.mode = "nat64" or lacks `xlatd nat64`.

const (
	nat64Pool4 = "203.0.113.128/28"
	// Extra IPv6 subscribers on the IPv6 host (inside the testbed's EAM6
	// 2001:db8:6::/124, which the box routes to the host).
	sub2 = "2001:db8:6::7"
	sub3 = "2001:db8:6::8"
	sub4 = "2001:db8:6::9"
	// A second IPv4 host address (address-dependent filtering).
	h4b = "198.51.100.3"
)

// nat64Bed is a two-armed testbed prepared for NAT64 tests and its daemon.
type nat64Bed struct {
	*testbed
	d       *daemon
	cfgPath string
	logPath string // mapping log
}

// nat64Config returns an xlatd config in NAT64 mode for tb: body is put
// into the [nat64] table after pool4 (keys first, then any subtables such as
// [nat64.timeouts] or [[nat64.static]]); "@H6@" in body stands for the
// IPv6 host's address.
func nat64Config(tb *testbed, logPath, body string) string {
	return nat64ConfigLog(tb, logPath, "", body)
}

// nat64ConfigLog is nat64Config with extra keys of the [log] table.
func nat64ConfigLog(tb *testbed, logPath, logExtra, body string) string {
	return fmt.Sprintf(`# NAT64 e2e config
[interfaces]
ipv6 = %q
ipv4 = %q
xdp_mode = "auto"

[translate]
mode = "nat64"
pool6 = %q

[log]
mappings = %q
mappings_format = "json"
%s
[metrics]
listen = ""

[nat64]
pool4 = [%q]
%s
`, tb.e("IF6"), tb.e("IF4"), tb.e("POOL6"), logPath, logExtra, nat64Pool4, strings.ReplaceAll(body, "@H6@", tb.e("H6")))
}

// nat64Check skips the test while this xlatd refuses NAT64 configs, and
// fails it when -check refuses cfg for another reason.
func nat64Check(t *testing.T, tb *testbed, cfg string) {
	t.Helper()
	path := filepath.Join(tb.run, fmt.Sprintf("nat64-check-%d.toml", cfgSeq.Add(1)))
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := tb.exec(tb.e("NSX"), 10*time.Second, xlatdBin, "-config", path, "-check")
	if err != nil {
		var other []string
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasSuffix(l, ".toml:") && !strings.Contains(l, "nat64 is not implemented") {
				other = append(other, l)
			}
		}
		if strings.Contains(out, "nat64 is not implemented") && len(other) == 0 {
			t.Skipf("NAT64 not in this build: xlatd -check refuses translate.mode = \"nat64\" (%s)", strings.TrimSpace(out))
		}
		t.Fatalf("xlatd -check refuses the test's NAT64 config: %v\n%s\n%s", err, out, cfg)
	}
}

// newNAT64Bed builds the testbed, adds the extra subscriber and IPv4
// addresses, and starts xlatd with nat64Config(body).
func newNAT64Bed(t *testing.T, body string) *nat64Bed {
	t.Helper()
	return newNAT64BedWith(t, body, nil)
}

// newNAT64BedWith is newNAT64Bed with setup run on the testbed before
// xlatd starts (link MTUs, say) and extra setup.sh environment.
func newNAT64BedWith(t *testing.T, body string, setup func(*testbed), extraEnv ...string) *nat64Bed {
	t.Helper()
	return newNAT64BedLog(t, body, "", setup, extraEnv...)
}

// newNAT64BedLog is newNAT64BedWith with extra keys of the [log] table.
func newNAT64BedLog(t *testing.T, body, logExtra string, setup func(*testbed), extraEnv ...string) *nat64Bed {
	t.Helper()
	needXlatd(t)
	tb := newTestbed(t, "two-armed", true, extraEnv...)
	n := &nat64Bed{testbed: tb, logPath: filepath.Join(tb.run, fmt.Sprintf("mappings-%d.log", cfgSeq.Add(1)))}
	cfg := nat64ConfigLog(tb, n.logPath, logExtra, body)
	nat64Check(t, tb, cfg)
	h6, h4, box := tb.e("NS6"), tb.e("NS4"), tb.e("NSX")
	for _, a := range []string{sub2, sub3, sub4} {
		tb.ip("-n", h6, "addr", "add", a+"/128", "dev", "to-xl", "nodad")
	}
	tb.ip("-n", h4, "addr", "add", h4b+"/24", "dev", "to-xl")
	tb.ip("-n", box, "neigh", "replace", h4b, "lladdr", tb.e("MAC_H4"), "dev", tb.e("IF4"), "nud", "permanent")
	if setup != nil {
		setup(tb)
	}
	n.d = tb.start(t, cfg)
	n.cfgPath = n.d.cfg
	// The daemon's NAT64 state must be reachable (`xlatd nat64 bib`):
	// a build that accepts the config but has no NAT64 control requests
	// has no NAT64 datapath either.
	out, errOut, code := n.xlatdCLI("nat64", "bib", "-json", "-config", n.cfgPath)
	if code != 0 {
		t.Skipf("NAT64 not in this build's daemon: `xlatd nat64 bib -json` exits %d: %s", code, strings.TrimSpace(out+errOut))
	}
	return n
}

// pool4Prefix is the test's pool4.
func pool4Prefix() netip.Prefix { return netip.MustParsePrefix(nat64Pool4) }

// embed6 is the RFC 6052 IPv6 representation of v4 under prefix (any of
// the lengths 32, 40, 48, 56, 64, 96; bits 64-71 stay zero).
func embed6(prefix netip.Prefix, v4 netip.Addr) netip.Addr {
	b := prefix.Masked().Addr().As16()
	pos := prefix.Bits() / 8
	for _, x := range v4.As4() {
		if pos == 8 {
			pos++
		}
		b[pos] = x
		pos++
	}
	return netip.AddrFrom16(b)
}

// as6 is the IPv6 name of an IPv4 address under the testbed's pool6.
func (n *nat64Bed) as6(v4 string) netip.Addr {
	return embed6(netip.MustParsePrefix(n.e("POOL6")), netip.MustParseAddr(v4))
}

// xlatdCLI runs `xlatd ARGS` in the box namespace (bounded) and returns
// stdout, stderr and the exit code (-1: did not run).
func (n *nat64Bed) xlatdCLI(args ...string) (string, string, int) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", n.e("NSX"), xlatdBin}, args...)...)
	var so, se syncBuf
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return so.String(), se.String(), 0
	case errors.As(err, &ee):
		return so.String(), se.String(), ee.ExitCode()
	}
	return so.String(), se.String() + err.Error(), -1
}

// nat64CLI runs `xlatd nat64 SUB -json -config CFG ARGS` and decodes its
// JSON into v. A build without the nat64 subcommand skips the test.
func (n *nat64Bed) nat64CLI(t *testing.T, v any, sub string, args ...string) {
	t.Helper()
	out, errOut, code := n.xlatdCLI(append([]string{"nat64", sub, "-json", "-config", n.cfgPath}, args...)...)
	if code != 0 {
		lo := strings.ToLower(out + errOut)
		if strings.Contains(lo, "unknown command") || strings.Contains(lo, "usage: xlatd") && !strings.Contains(lo, "nat64 "+sub) {
			t.Skipf("this xlatd has no `xlatd nat64 %s`: %s", sub, strings.TrimSpace(errOut))
		}
		t.Fatalf("xlatd nat64 %s -json: exit %d\n%s%s", sub, code, out, errOut)
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("xlatd nat64 %s -json: %v: %q", sub, err, out)
	}
}

// bibEntry and sessEntry are INTERFACE.md's JSON shapes.
type bibEntry struct {
	Protocol string `json:"protocol"`
	IPv6     string `json:"ipv6"`
	Port6    int    `json:"port6"`
	IPv4     string `json:"ipv4"`
	Port4    int    `json:"port4"`
	Static   bool   `json:"static"`
}

type sessEntry struct {
	Protocol    string `json:"protocol"`
	IPv6        string `json:"ipv6"`
	Port6       int    `json:"port6"`
	IPv4        string `json:"ipv4"`
	Port4       int    `json:"port4"`
	Remote4     string `json:"remote4"`
	RemotePort  int    `json:"remote_port"`
	Remote6     string `json:"remote6"`
	State       string `json:"state"`
	ExpiresInMs int64  `json:"expires_in_ms"`
}

type lookupAnswer struct {
	Subscriber string `json:"subscriber"`
	IPv4       string `json:"ipv4"`
	Ports      string `json:"ports"`
	Protocol   string `json:"protocol"`
}

// bib returns the daemon's BIB (`xlatd nat64 bib -json`).
func (n *nat64Bed) bib(t *testing.T) []bibEntry {
	t.Helper()
	var v struct {
		Count int        `json:"count"`
		BIB   []bibEntry `json:"bib"`
	}
	n.nat64CLI(t, &v, "bib")
	if v.Count != len(v.BIB) {
		t.Errorf("xlatd nat64 bib -json: count %d but %d entries", v.Count, len(v.BIB))
	}
	return v.BIB
}

// sessions returns the daemon's sessions (`xlatd nat64 sessions -json`).
func (n *nat64Bed) sessions(t *testing.T) []sessEntry {
	t.Helper()
	var v struct {
		Count    int         `json:"count"`
		Sessions []sessEntry `json:"sessions"`
	}
	n.nat64CLI(t, &v, "sessions")
	if v.Count != len(v.Sessions) {
		t.Errorf("xlatd nat64 sessions -json: count %d but %d entries", v.Count, len(v.Sessions))
	}
	return v.Sessions
}

// lookup runs `xlatd nat64 lookup -json -config CFG ARG` and returns the
// answers and the exit code (1: nothing matches).
func (n *nat64Bed) lookup(t *testing.T, cfg string, args ...string) ([]lookupAnswer, int) {
	t.Helper()
	arg := strings.Join(args, " ")
	out, errOut, code := n.xlatdCLI(append([]string{"nat64", "lookup", "-json", "-config", cfg}, args...)...)
	if code != 0 && code != 1 {
		if strings.Contains(strings.ToLower(out+errOut), "unknown command") {
			t.Skipf("this xlatd has no `xlatd nat64 lookup`: %s", strings.TrimSpace(errOut))
		}
		t.Fatalf("xlatd nat64 lookup %s: exit %d\n%s%s", arg, code, out, errOut)
	}
	var as []lookupAnswer
	dec := json.NewDecoder(strings.NewReader(out))
	for dec.More() {
		var a lookupAnswer
		if err := dec.Decode(&a); err != nil {
			t.Fatalf("xlatd nat64 lookup -json %s: %v: %q", arg, err, out)
		}
		as = append(as, a)
	}
	return as, code
}

// bibOf returns the entries of protocol proto (any when "") whose IPv6
// address is a6.
func bibOf(bib []bibEntry, proto, a6 string) []bibEntry {
	var r []bibEntry
	want := netip.MustParseAddr(a6)
	for _, e := range bib {
		if a, err := netip.ParseAddr(e.IPv6); err == nil && a == want && (proto == "" || e.Protocol == proto) {
			r = append(r, e)
		}
	}
	return r
}

// waitFor polls cond every 200 ms until it holds or d passes.
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// udpSock opens a UDP socket in ns bound to local (port 0: any).
func udpSock(t *testing.T, ns string, local netip.AddrPort) *net.UDPConn {
	t.Helper()
	var c *net.UDPConn
	err := inNS(ns, func() (err error) {
		c, err = net.ListenUDP("udp", net.UDPAddrFromAddrPort(local))
		return err
	})
	if err != nil {
		t.Fatalf("udp socket %v in %s: %v", local, ns, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// udpServer echoes every datagram received on local in ns and reports the
// source of each on the returned channel (dropping when nobody reads).
func udpServer(t *testing.T, ns string, local netip.AddrPort) <-chan netip.AddrPort {
	t.Helper()
	c := udpSock(t, ns, local)
	seen := make(chan netip.AddrPort, 256)
	go func() {
		buf := make([]byte, 65536)
		for {
			k, from, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
			select {
			case seen <- from:
			default:
			}
			_, _ = c.WriteToUDPAddrPort(buf[:k], from)
		}
	}()
	return seen
}

// udpAsk sends msg from c to dst until the echo comes back from dst
// (5 tries, 1 s each) and returns the source the server saw, read from
// seen (when not nil).
func udpAsk(t *testing.T, c *net.UDPConn, dst netip.AddrPort, seen <-chan netip.AddrPort) netip.AddrPort {
	t.Helper()
	ap, err := udpAskErr(c, dst, seen, 5)
	if err != nil {
		t.Fatal(err)
	}
	return ap
}

func udpAskErr(c *net.UDPConn, dst netip.AddrPort, seen <-chan netip.AddrPort, tries int) (netip.AddrPort, error) {
	buf := make([]byte, 2048)
	msg := []byte("nat64 e2e " + c.LocalAddr().String())
	for try := 0; try < tries; try++ {
		if seen != nil {
			for len(seen) > 0 {
				<-seen
			}
		}
		if _, err := c.WriteToUDPAddrPort(msg, dst); err != nil {
			return netip.AddrPort{}, err
		}
		_ = c.SetReadDeadline(time.Now().Add(time.Second))
		for {
			k, from, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				break
			}
			if from.Addr().Unmap() != dst.Addr().Unmap() || from.Port() != dst.Port() || string(buf[:k]) != string(msg) {
				continue
			}
			if seen == nil {
				return netip.AddrPort{}, nil
			}
			select {
			case ap := <-seen:
				return ap, nil
			case <-time.After(time.Second):
				return netip.AddrPort{}, fmt.Errorf("echo from %v came back but the server reported no source", dst)
			}
		}
	}
	return netip.AddrPort{}, fmt.Errorf("no UDP echo from %v to %v after %d tries", dst, c.LocalAddr(), tries)
}

// recvFrom waits (up to d) for a datagram on c from src and returns its
// payload, or nil.
func recvFrom(c *net.UDPConn, src netip.AddrPort, d time.Duration) []byte {
	buf := make([]byte, 2048)
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		_ = c.SetReadDeadline(deadline)
		k, from, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			return nil
		}
		if from.Addr().Unmap() == src.Addr().Unmap() && (src.Port() == 0 || from.Port() == src.Port()) {
			return append([]byte(nil), buf[:k]...)
		}
	}
	return nil
}

// inPool4 fails the test unless ap's address is in pool4.
func inPool4(t *testing.T, ap netip.AddrPort, what string) {
	t.Helper()
	if !pool4Prefix().Contains(ap.Addr()) {
		t.Fatalf("%s: the IPv4 host saw %v, not an address of pool4 %s", what, ap, nat64Pool4)
	}
}

func ap(s string, port int) netip.AddrPort {
	return netip.AddrPortFrom(netip.MustParseAddr(s), uint16(port))
}

// readFile returns a file's text ("" when missing).
func readFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}
