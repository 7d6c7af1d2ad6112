package e2e

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"
)

// TestNAT64DaemonRemovePool4: sessions on both addresses of a two-address
// pool4; SIGHUP with one of them removed keeps the daemon running and the
// other address's sessions, ends those of the removed address (gone from
// `xlatd nat64 sessions -json` and `bib -json`, their blocks released in the
// mapping log), and a new flow gets the remaining address. Run it with
// -run 'TestNAT64DaemonRemovePool4'. It runs with one queue and with two
// (two workers: each ends the state it owns).
func TestNAT64DaemonRemovePool4(t *testing.T) {
	t.Run("queues=1", func(t *testing.T) { testRemovePool4(t, 1) })
	t.Run("queues=2", func(t *testing.T) { testRemovePool4(t, 2) })
}

func testRemovePool4(t *testing.T, queues int) {
	tb := newTestbed(t, "two-armed", true, fmt.Sprintf("XLATD_NETNS_QUEUES=%d", queues))
	const kept, removed = "203.0.113.128", "203.0.113.129"
	static := fmt.Sprintf("[[nat64.static]]\nprotocol = \"udp\"\nipv6 = %q\nport6 = 9000\nipv4 = %q\nport4 = 80\n", tb.e("H6"), removed)
	cfg, mappings := tb.daemonNAT64Config(static)
	cfg = strings.Replace(cfg, daemonPool4, "203.0.113.128/31", 1)
	d := tb.start(t, cfg)
	if q := d.info("queues"); q != float64(queues) {
		t.Skipf("the daemon serves %v queues, want %d", q, queues)
	}
	ns6, h4as6 := tb.e("NS6"), tb.e("H4_AS6")

	// Subscribers: more IPv6 addresses of the host, each its own (prefix
	// length 128), until both pool4 addresses are in use.
	srcs := make([]string, 24)
	for i := range srcs {
		srcs[i] = fmt.Sprintf("2001:db8:1c0:2:21::%x", 0x100+i)
		tb.ip("-n", ns6, "addr", "add", srcs[i]+"/128", "dev", tb.e("HOSTIF"), "nodad")
		tb.ip("-n", tb.e("NSX"), "-6", "neigh", "replace", srcs[i], "lladdr", tb.e("MAC_H6"), "dev", tb.e("IF6"), "nud", "permanent")
	}
	seen := make(chan netip.Addr, 64)
	udpEcho(t, tb.e("NS4"), 7010, seen)
	used := map[string][]string{} // pool4 address -> subscribers
	next := 0
	for ; next < len(srcs) && (len(used[kept]) == 0 || len(used[removed]) == 0); next++ {
		udpExchangeFrom(t, ns6, srcs[next], h4as6, 7010, []byte("before"))
		select {
		case a := <-seen:
			used[a.String()] = append(used[a.String()], srcs[next])
		case <-time.After(2 * time.Second):
			t.Fatal("the echo server saw nothing")
		}
	}
	if len(used[kept]) == 0 || len(used[removed]) == 0 {
		t.Fatalf("%d subscribers all on one pool4 address: %v", next, used)
	}
	t.Logf("subscribers per pool4 address: %v", used)
	onAddr := func(l nat64List, addr string) (bib, sess int) {
		for _, e := range l.BIB {
			if e.IPv4 == addr {
				bib++
			}
		}
		for _, s := range l.Sessions {
			if s.IPv4 == addr {
				sess++
			}
		}
		return
	}
	ss := d.nat64List(t, "sessions")
	if _, n := onAddr(ss, removed); n != len(used[removed]) {
		t.Fatalf("%d sessions on %s, want %d: %+v", n, removed, len(used[removed]), ss)
	}

	// A subscriber of the removed address keeps a socket open: the IPv4
	// host reaches it through its mapping until the reload.
	sub := used[removed][0]
	var lc *net.UDPConn
	if err := inNS(ns6, func() (err error) {
		lc, err = net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(sub), Port: 40000})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer lc.Close()
	buf := make([]byte, 2048)
	for try := 0; ; try++ {
		if _, err := lc.WriteToUDP([]byte("open"), &net.UDPAddr{IP: net.ParseIP(h4as6), Port: 7010}); err != nil {
			t.Fatal(err)
		}
		_ = lc.SetReadDeadline(time.Now().Add(time.Second))
		if _, _, err := lc.ReadFromUDP(buf); err == nil {
			break
		} else if try == 4 {
			t.Fatalf("no echo to %s#40000: %v", sub, err)
		}
	}
	port4 := 0
	for _, s := range d.nat64List(t, "sessions").Sessions {
		if s.IPv6 == sub && s.Port6 == 40000 && s.IPv4 == removed {
			port4 = s.Port4
		}
	}
	if port4 == 0 {
		t.Fatalf("no session of %s#40000 on %s", sub, removed)
	}
	// reach sends from the IPv4 host to removed#port4 and reports whether
	// the subscriber's socket got it.
	reach := func(msg string) bool {
		var c *net.UDPConn
		if err := inNS(tb.e("NS4"), func() (err error) {
			c, err = net.DialUDP("udp", nil, &net.UDPAddr{IP: net.ParseIP(removed), Port: port4})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		for try := 0; try < 3; try++ {
			if _, err := c.Write([]byte(msg)); err != nil {
				t.Fatal(err)
			}
			_ = lc.SetReadDeadline(time.Now().Add(700 * time.Millisecond))
			if n, _, err := lc.ReadFromUDP(buf); err == nil && string(buf[:n]) == msg {
				return true
			}
		}
		return false
	}
	if !reach("inbound before") {
		t.Fatalf("the IPv4 host does not reach %s#%d before the reload", removed, port4)
	}
	static1 := false
	for _, e := range d.nat64List(t, "bib").BIB {
		static1 = static1 || e.Static && e.IPv4 == removed && e.Port4 == 80
	}
	if !static1 {
		t.Fatalf("no static entry on %s", removed)
	}
	ss = d.nat64List(t, "sessions")
	_, sessRemoved := onAddr(ss, removed)
	_, keptBefore := onAddr(ss, kept)

	// SIGHUP with pool4 = the kept address only: refused while the static
	// entry on the removed address stays in the file.
	cfg2 := strings.Replace(cfg, "203.0.113.128/31", kept+"/32", 1)
	if err := os.WriteFile(d.cfg, []byte(cfg2), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := d.xlatdIn("reload", "-socket", d.sock); err == nil {
		t.Errorf("reload keeping a static entry on the removed address accepted:\n%s", out)
	}
	if !strings.Contains(d.log.String(), "nat64.static[0].ipv4: "+removed+" is not in nat64.pool4") {
		t.Errorf("the refused reload does not name the static entry:\n%s", d.log.String())
	}
	if _, n := onAddr(d.nat64List(t, "sessions"), removed); n != sessRemoved {
		t.Fatalf("the refused reload ended sessions: %d left on %s", n, removed)
	}
	cfg2 = strings.Replace(cfg2, static, "", 1)
	if err := os.WriteFile(d.cfg, []byte(cfg2), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := d.xlatdIn("reload", "-socket", d.sock); err != nil {
		t.Fatalf("reload with %s removed from pool4: %v\n%s\n%s", removed, err, out, d.log.String())
	}
	ss = d.nat64List(t, "sessions")
	if _, n := onAddr(ss, removed); n != 0 {
		t.Errorf("%d sessions on the removed %s after the reload: %+v", n, removed, ss)
	}
	if _, n := onAddr(ss, kept); n != keptBefore {
		t.Errorf("%d sessions on %s after the reload, want %d: %+v", n, kept, keptBefore, ss)
	}
	if n, _ := onAddr(d.nat64List(t, "bib"), removed); n != 0 {
		t.Errorf("%d BIB entries on the removed %s after the reload", n, removed)
	}
	if reach("inbound after") {
		t.Errorf("the IPv4 host still reaches %s through %s#%d after the reload", sub, removed, port4)
	}
	if !strings.Contains(d.log.String(), "pool4 addresses removed") {
		t.Errorf("the daemon log does not report the removal:\n%s", d.log.String())
	}
	// One block-release per subscriber of the removed address (each held
	// one block), written asynchronously.
	deadline := time.Now().Add(3 * time.Second)
	for {
		b, _ := os.ReadFile(mappings)
		missing := 0
		for _, s := range used[removed] {
			if !strings.Contains(string(b), `"event":"block-release","subscriber":"`+s+`/128","pool4":"`+removed+`"`) {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("mapping log %s lacks %d block-release events on %s:\n%s", mappings, missing, removed, b)
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	// New flows, from a new subscriber and from one the removed address
	// had, get the kept address.
	for _, src := range []string{srcs[len(srcs)-1], used[removed][0]} {
		for len(seen) > 0 {
			<-seen
		}
		udpExchangeFrom(t, ns6, src, h4as6, 7010, []byte("after"))
		select {
		case a := <-seen:
			if a.String() != kept {
				t.Errorf("a new flow from %s got %s, want %s", src, a, kept)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("the echo server saw nothing")
		}
	}
	// Adding an address that was not in pool4 at start is refused, naming it.
	cfg3 := strings.Replace(cfg, "203.0.113.128/31", "203.0.113.128/30", 1)
	if err := os.WriteFile(d.cfg, []byte(cfg3), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := d.xlatdIn("reload", "-socket", d.sock); err == nil {
		t.Errorf("reload adding pool4 addresses accepted:\n%s", out)
	}
	if !strings.Contains(d.log.String(), "203.0.113.128/30 was not in nat64.pool4 when xlatd started") {
		t.Errorf("the refused reload does not say why:\n%s", d.log.String())
	}
}

// udpExchangeFrom is udpExchange from the source address src.
func udpExchangeFrom(t *testing.T, ns, src, dst string, port int, payload []byte) {
	t.Helper()
	var c *net.UDPConn
	err := inNS(ns, func() (err error) {
		c, err = net.DialUDP("udp", &net.UDPAddr{IP: net.ParseIP(src)}, &net.UDPAddr{IP: net.ParseIP(dst), Port: port})
		return err
	})
	if err != nil {
		t.Fatalf("udp dial from %s in %s: %v", src, ns, err)
	}
	defer c.Close()
	buf := make([]byte, 2048)
	for try := 0; try < 5; try++ {
		if _, err := c.Write(payload); err != nil {
			t.Fatalf("udp write: %v", err)
		}
		_ = c.SetReadDeadline(time.Now().Add(time.Second))
		if n, err := c.Read(buf); err == nil && string(buf[:n]) == string(payload) {
			return
		}
	}
	t.Fatalf("no UDP echo from %s:%d to %s after 5 tries", dst, port, src)
}
