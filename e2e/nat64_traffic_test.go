package e2e

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// nat64Base is the [nat64] body most tests use: Jool's default ports and
// blocks, the ICMP timeout at its minimum (1 s) and the UDP one at its
// minimum (2 min, RFC 4787), tcp_incoming_syn 7 s (not the default 6 s,
// so that the held-SYN test sees the configured value), and two static
// BIB entries of the IPv6 host
// (UDP 5353 and TCP 8080 as 203.0.113.129 ports 1000 and 1001: static ports
// lie outside nat64.ports).
func nat64Base() string {
	return `ports = "1024-65535"
port_block_size = 128
max_blocks_per_subscriber = 8
[nat64.timeouts]
udp = "2m"
icmp = "1s"
tcp_incoming_syn = "7s"
[[nat64.static]]
protocol = "udp"
ipv6 = "@H6@"
port6 = 5353
ipv4 = "203.0.113.129"
port4 = 1000
[[nat64.static]]
protocol = "tcp"
ipv6 = "@H6@"
port6 = 8080
ipv4 = "203.0.113.129"
port4 = 1001
`
}

// newNAT64Base is newNAT64Bed with nat64Base.
func newNAT64Base(t *testing.T) *nat64Bed {
	t.Helper()
	return newNAT64Bed(t, nat64Base())
}

// TestNAT64UDP: an IPv6-only host's UDP flows through xlatd NAT64: the
// IPv4 host sees a pool4 address, replies come back, the BIB and sessions
// show it (INTERFACE.md JSON), endpoint-independent mapping and filtering,
// unsolicited IPv4 creates nothing, ICMP errors of a session both ways.
func TestNAT64UDP(t *testing.T) {
	n := newNAT64Base(t)
	h6, h4 := n.e("NS6"), n.e("NS4")
	seen7000 := udpServer(t, h4, ap(n.e("H4"), 7000))
	seen7001 := udpServer(t, h4, ap(n.e("H4"), 7001))
	h4as6 := n.as6(n.e("H4"))
	c := udpSock(t, h6, ap(sub2, 40000))

	// Start-up: the first exchange may need a few tries.
	m1, err := udpAskErr(c, netip.AddrPortFrom(h4as6, 7000), seen7000, 20)
	if err != nil {
		t.Fatalf("first UDP exchange through NAT64: %v", err)
	}
	inPool4(t, m1, "UDP 6->4")
	t.Logf("[%s]:40000 appears as %v", sub2, m1)

	t.Run("bib_sessions", func(t *testing.T) {
		e := bibOf(n.bib(t), "udp", sub2)
		if len(e) != 1 || e[0].Port6 != 40000 || e[0].IPv4 != m1.Addr().String() || e[0].Port4 != int(m1.Port()) || e[0].Static {
			t.Fatalf("BIB of %s: %+v, want one dynamic udp entry #40000 -> %v", sub2, e, m1)
		}
		var found bool
		for _, s := range n.sessions(t) {
			if s.Protocol != "udp" || s.IPv6 != sub2 || s.Port6 != 40000 {
				continue
			}
			found = true
			if s.IPv4 != m1.Addr().String() || s.Port4 != int(m1.Port()) || s.Remote4 != n.e("H4") || s.RemotePort != 7000 {
				t.Errorf("session %+v, want %v <-> %s#7000", s, m1, n.e("H4"))
			}
			if r6, err := netip.ParseAddr(s.Remote6); err != nil || r6 != h4as6 {
				t.Errorf("session remote6 %q, want %s", s.Remote6, h4as6)
			}
			// udp = "2m": the configured lifetime, refreshed just now.
			if s.ExpiresInMs <= 100_000 || s.ExpiresInMs > 120_000 {
				t.Errorf("UDP session expires in %d ms, want just under 120000 (timeouts.udp = 2m)", s.ExpiresInMs)
			}
		}
		if !found {
			t.Errorf("no UDP session of [%s]:40000", sub2)
		}
	})

	t.Run("endpoint_independent_mapping", func(t *testing.T) {
		// RFC 4787 REQ-1: the same IPv6 transport address gets the same
		// mapping towards another destination port and address.
		m2 := udpAsk(t, c, netip.AddrPortFrom(h4as6, 7001), seen7001)
		if m2 != m1 {
			t.Errorf("to port 7001 the flow appears as %v, to 7000 as %v: mapping not endpoint-independent", m2, m1)
		}
		seenB := udpServer(t, h4, ap(h4b, 7000))
		if m3 := udpAsk(t, c, netip.AddrPortFrom(n.as6(h4b), 7000), seenB); m3 != m1 {
			t.Errorf("to %s the flow appears as %v, to %s as %v", h4b, m3, n.e("H4"), m1)
		}
	})

	t.Run("endpoint_independent_filtering", func(t *testing.T) {
		// RFC 4787 REQ-8 (default filtering): any IPv4 host and port may
		// send to the mapping.
		s := udpSock(t, h4, ap(h4b, 7002))
		for try := 0; try < 5; try++ {
			if _, err := s.WriteToUDPAddrPort([]byte("eif"), m1); err != nil {
				t.Fatal(err)
			}
			if b := recvFrom(c, netip.AddrPortFrom(n.as6(h4b), 7002), time.Second); string(b) == "eif" {
				return
			}
		}
		t.Fatalf("%s:7002 -> %v never reached [%s]:40000 (endpoint-independent filtering)", h4b, m1, sub2)
	})

	t.Run("unsolicited_ipv4_dropped", func(t *testing.T) {
		before := len(n.bib(t))
		cap6 := openPacket(t, h6, "to-xl")
		s := udpSock(t, h4, ap(n.e("H4"), 7003))
		var unused netip.AddrPort
		for _, port := range []int{40000, 50000, 60000} {
			unused = ap("203.0.113.140", port)
			if unused != m1 {
				break
			}
		}
		for i := 0; i < 5; i++ {
			_, _ = s.WriteToUDPAddrPort([]byte("unsolicited"), unused)
		}
		_, _ = s.WriteToUDPAddrPort([]byte("unsolicited"), ap("203.0.113.129", 1002)) // no static entry there
		from := n.as6(n.e("H4"))
		if ip := cap6.recvIP(time.Now().Add(1500*time.Millisecond), func(ip []byte) bool {
			s, _, ok := ipAddrs(ip)
			return ok && s == from && ip[6] == 17
		}); ip != nil {
			t.Errorf("unsolicited IPv4 UDP to %v was translated to the IPv6 side", unused)
		}
		if after := len(n.bib(t)); after != before {
			t.Errorf("unsolicited IPv4 changed the BIB: %d entries before, %d after", before, after)
		}
	})

	t.Run("icmp_error_4to6", func(t *testing.T) {
		// Nothing listens on H4:7099: the IPv4 host's port unreachable for
		// the session comes back as ICMPv6 and the socket sees it.
		connRefused(t, h6, h4as6.String(), 7099)
	})

	t.Run("icmp_error_6to4", func(t *testing.T) {
		// A mapping whose IPv6 socket is gone: the IPv6 host's port
		// unreachable is translated to ICMPv4 3/3 for the IPv4 sender.
		c3 := udpSock(t, h6, ap(sub2, 40001))
		m3 := udpAsk(t, c3, netip.AddrPortFrom(h4as6, 7000), seen7000)
		c3.Close()
		var s net.Conn
		err := inNS(h4, func() (err error) {
			d := net.Dialer{LocalAddr: &net.UDPAddr{IP: net.ParseIP(n.e("H4")), Port: 7004}}
			s, err = d.Dial("udp", m3.String())
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		buf := make([]byte, 64)
		for try := 0; try < 5; try++ {
			_, _ = s.Write([]byte("anyone?"))
			_ = s.SetReadDeadline(time.Now().Add(time.Second))
			if _, err := s.Read(buf); errors.Is(err, syscall.ECONNREFUSED) {
				return
			}
		}
		t.Fatalf("UDP from %s:7004 to %v (closed on the IPv6 side): no ECONNREFUSED (the IPv6 host's ICMPv6 error was not translated back)", n.e("H4"), m3)
	})

	if !n.d.running() {
		t.Fatalf("xlatd died: %v", n.d.err)
	}
}

// TestNAT64ICMPEcho: ping from the IPv6-only host, the ICMP session and
// BIB entry, and their expiry after timeouts.icmp = 1s.
func TestNAT64ICMPEcho(t *testing.T) {
	n := newNAT64Base(t)
	h6 := n.e("NS6")
	dst := n.as6(n.e("H4")).String()
	n.pingEventually(t, h6, dst, 10*time.Second)
	// The sessions are read while ping runs (an ICMP session lives 1 s).
	pinged := make(chan error, 1)
	go func() {
		out, err := n.exec(h6, 15*time.Second, "ping", "-n", "-c", "10", "-i", "0.2", "-W", "2", dst)
		if err != nil {
			err = fmt.Errorf("%v\n%s", err, out)
		}
		pinged <- err
	}()
	time.Sleep(600 * time.Millisecond)
	icmp := func() []sessEntry {
		var r []sessEntry
		for _, s := range n.sessions(t) {
			if strings.HasPrefix(strings.ToLower(s.Protocol), "icmp") && s.IPv6 == n.e("H6") {
				r = append(r, s)
			}
		}
		return r
	}
	// ping keeps its identifier for all its requests: one session to H4
	// (the pingEventually probes may have added others, still alive).
	ss := icmp()
	if len(ss) == 0 {
		t.Fatalf("no ICMP session of %s after ping", n.e("H6"))
	}
	for _, s := range ss {
		inPool4(t, ap(s.IPv4, s.Port4), "ICMP session")
		if s.Remote4 != n.e("H4") || s.ExpiresInMs > 1000 {
			t.Errorf("ICMP session %+v: want remote %s and expiry within 1000 ms (timeouts.icmp = 1s)", s, n.e("H4"))
		}
	}
	if len(bibOf(n.bib(t), "icmp", n.e("H6"))) == 0 {
		t.Errorf("no ICMP BIB entry of %s", n.e("H6"))
	}
	if err := <-pinged; err != nil {
		t.Fatalf("ping %s: %v", dst, err)
	}
	// Expiry: timer wheel slots of ~1 s and housekeeping every <= 100 ms.
	if !waitFor(8*time.Second, func() bool { return len(icmp()) == 0 }) {
		t.Fatalf("ICMP sessions still there 8 s after the last echo with timeouts.icmp = 1s: %+v", icmp())
	}
	if e := bibOf(n.bib(t), "icmp", n.e("H6")); len(e) != 0 {
		t.Errorf("ICMP BIB entries outlive their sessions: %+v", e)
	}
	// Its last port freed, the subscriber's block goes back: logged.
	if !waitFor(5*time.Second, func() bool { return logHas(n.logPath, "block-release", n.e("H6")) }) {
		b, _ := readFile(n.logPath)
		t.Errorf("no block-release of %s in the mapping log after its ICMP sessions expired:\n%s", n.e("H6"), b)
	}
}

// logHas reports whether one line of the mapping log holds every word.
func logHas(path string, words ...string) bool {
	b, _ := readFile(path)
	for _, l := range strings.Split(b, "\n") {
		all := l != ""
		for _, w := range words {
			all = all && strings.Contains(l, w)
		}
		if all {
			return true
		}
	}
	return false
}

// TestNAT64TCP: a TCP connection from the IPv6-only host: handshake, data
// both ways, the ESTABLISHED session and its lifetime, closing with FIN
// (session leaves ESTABLISHED, transitory lifetime) and with RST.
func TestNAT64TCP(t *testing.T) {
	n := newNAT64Base(t)
	h6, h4 := n.e("NS6"), n.e("NS4")
	seen := make(chan netip.Addr, 8)
	tcpEcho(t, h4, 7100, seen)
	dst := net.JoinHostPort(n.as6(n.e("H4")).String(), "7100")
	dial := func(port int) net.Conn {
		t.Helper()
		var c net.Conn
		var err error
		for try := 0; try < 10; try++ {
			err = inNS(h6, func() (err error) {
				d := net.Dialer{Timeout: 3 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(sub3), Port: port}}
				c, err = d.Dial("tcp", dst)
				return err
			})
			if err == nil {
				return c
			}
			time.Sleep(300 * time.Millisecond)
		}
		t.Fatalf("TCP connect [%s]:%d -> %s: %v", sub3, port, dst, err)
		return nil
	}
	session := func(port int) (sessEntry, bool) {
		for _, s := range n.sessions(t) {
			if s.Protocol == "tcp" && s.IPv6 == sub3 && s.Port6 == port && s.RemotePort == 7100 {
				return s, true
			}
		}
		return sessEntry{}, false
	}
	c := dial(41000)
	select {
	case a := <-seen:
		inPool4(t, netip.AddrPortFrom(a, 1), "TCP 6->4")
	case <-time.After(3 * time.Second):
		t.Fatal("the IPv4 server saw no connection")
	}
	data := make([]byte, 200000)
	for i := range data {
		data[i] = byte(i * 7)
	}
	_ = c.SetDeadline(time.Now().Add(15 * time.Second))
	go func() { _, _ = c.Write(data) }()
	got := make([]byte, len(data))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != string(data) {
		t.Fatalf("200 kB echo through NAT64: %v", err)
	}
	s, ok := session(41000)
	if !ok {
		t.Fatalf("no TCP session of [%s]:41000", sub3)
	}
	if !strings.EqualFold(s.State, "established") || s.ExpiresInMs < int64((2*time.Hour).Milliseconds()) {
		t.Errorf("open connection's session %+v: want ESTABLISHED with tcp_established (2h4m) lifetime", s)
	}
	// FIN both ways.
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(c); err != nil {
		t.Errorf("reading to the server's FIN: %v", err)
	}
	c.Close()
	if !waitFor(3*time.Second, func() bool {
		s, ok := session(41000)
		return !ok || (!strings.EqualFold(s.State, "established") && s.ExpiresInMs <= (4*time.Minute).Milliseconds())
	}) {
		s, _ := session(41000)
		t.Errorf("after FIN both ways the session is %+v: want it out of ESTABLISHED with at most tcp_transitory (4m)", s)
	}
	// RST: SO_LINGER 0 makes close send RST.
	c2 := dial(41001)
	if _, err := c2.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 1)
	_ = c2.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := io.ReadFull(c2, b); err != nil {
		t.Fatal(err)
	}
	if s, ok := session(41001); !ok || !strings.EqualFold(s.State, "established") {
		t.Fatalf("second connection's session %+v (found %v), want ESTABLISHED", s, ok)
	}
	_ = c2.(*net.TCPConn).SetLinger(0)
	c2.Close()
	if !waitFor(3*time.Second, func() bool {
		s, ok := session(41001)
		return !ok || (!strings.EqualFold(s.State, "established") && s.ExpiresInMs <= (4*time.Minute).Milliseconds())
	}) {
		s, _ := session(41001)
		t.Errorf("after RST the session is %+v: want TRANS with at most tcp_transitory (4m)", s)
	}
}

// TestNAT64AddressDependentFiltering: filtering = "address-dependent"
// (RFC 4787 REQ-8 option): after the IPv6 host talked to H4, H4 may answer
// from any port, another IPv4 host may not until the IPv6 host talked to
// it; the mapping itself stays endpoint-independent.
func TestNAT64AddressDependentFiltering(t *testing.T) {
	needXlatd(t)
	n := newNAT64Bed(t, `filtering = "address-dependent"
[nat64.timeouts]
udp = "2m"
`)
	h6, h4 := n.e("NS6"), n.e("NS4")
	seen := udpServer(t, h4, ap(n.e("H4"), 7000))
	c := udpSock(t, h6, ap(sub2, 40000))
	m, err := udpAskErr(c, netip.AddrPortFrom(n.as6(n.e("H4")), 7000), seen, 20)
	if err != nil {
		t.Fatal(err)
	}
	inPool4(t, m, "UDP 6->4")
	send := func(from netip.AddrPort) bool {
		s := udpSock(t, h4, from)
		defer s.Close()
		for try := 0; try < 3; try++ {
			_, _ = s.WriteToUDPAddrPort([]byte("adf"), m)
			if string(recvFrom(c, netip.AddrPortFrom(n.as6(from.Addr().String()), from.Port()), 700*time.Millisecond)) == "adf" {
				return true
			}
		}
		return false
	}
	if !send(ap(n.e("H4"), 7005)) {
		t.Errorf("%s:7005 (an address the IPv6 host talked to, other port) was filtered", n.e("H4"))
	}
	if send(ap(h4b, 7005)) {
		t.Errorf("%s (an address the IPv6 host never talked to) passed address-dependent filtering", h4b)
	}
	seenB := udpServer(t, h4, ap(h4b, 7000))
	if mb := udpAsk(t, c, netip.AddrPortFrom(n.as6(h4b), 7000), seenB); mb != m {
		t.Errorf("mapping towards %s is %v, towards %s %v: want endpoint-independent mapping", h4b, mb, n.e("H4"), m)
	}
	if !send(ap(h4b, 7006)) {
		t.Errorf("%s:7006 still filtered after the IPv6 host talked to %s", h4b, h4b)
	}
}

// TestNAT64Hairpin: two IPv6 subscribers reach each other through their
// pool4 mappings (RFC 6146 section 3.8): each sees the other as the pool6
// form of the other's mapping.
func TestNAT64Hairpin(t *testing.T) {
	n := newNAT64Base(t)
	h6, h4 := n.e("NS6"), n.e("NS4")
	seen := udpServer(t, h4, ap(n.e("H4"), 7000))
	h4as6 := netip.AddrPortFrom(n.as6(n.e("H4")), 7000)
	a := udpSock(t, h6, ap(sub2, 42000))
	b := udpSock(t, h6, ap(sub3, 42001))
	ma, err := udpAskErr(a, h4as6, seen, 20)
	if err != nil {
		t.Fatal(err)
	}
	mb := udpAsk(t, b, h4as6, seen)
	inPool4(t, ma, "subscriber A")
	inPool4(t, mb, "subscriber B")
	aAs6 := netip.AddrPortFrom(n.as6(ma.Addr().String()), ma.Port())
	bAs6 := netip.AddrPortFrom(n.as6(mb.Addr().String()), mb.Port())
	ok := false
	for try := 0; try < 5 && !ok; try++ {
		_, _ = b.WriteToUDPAddrPort([]byte("hairpin b->a"), aAs6)
		ok = string(recvFrom(a, bAs6, time.Second)) == "hairpin b->a"
	}
	if !ok {
		t.Fatalf("[%s]:42001 -> %v (pool6 form of A's mapping %v) never reached A from %v", sub3, aAs6, ma, bAs6)
	}
	_, _ = a.WriteToUDPAddrPort([]byte("hairpin a->b"), bAs6)
	if string(recvFrom(b, aAs6, 2*time.Second)) != "hairpin a->b" {
		t.Fatalf("A's answer to %v never reached B", bAs6)
	}
}

// TestNAT64Static: static BIB entries are listed as static and let the
// IPv4 side open UDP and TCP to the IPv6 host without prior IPv6 traffic;
// the IPv6 host's flows from those ports use them.
func TestNAT64Static(t *testing.T) {
	n := newNAT64Base(t)
	h6, h4 := n.e("NS6"), n.e("NS4")
	var udp, tcp bool
	for _, e := range bibOf(n.bib(t), "", n.e("H6")) {
		udp = udp || (e.Protocol == "udp" && e.Port6 == 5353 && e.IPv4 == "203.0.113.129" && e.Port4 == 1000 && e.Static)
		tcp = tcp || (e.Protocol == "tcp" && e.Port6 == 8080 && e.IPv4 == "203.0.113.129" && e.Port4 == 1001 && e.Static)
	}
	if !udp || !tcp {
		t.Errorf("static entries missing from `xlatd nat64 bib` (udp %v, tcp %v): %+v", udp, tcp, n.bib(t))
	}
	// UDP from the IPv4 side first.
	c6 := udpSock(t, h6, ap(n.e("H6"), 5353))
	s4 := udpSock(t, h4, ap(n.e("H4"), 7200))
	from := netip.AddrPortFrom(n.as6(n.e("H4")), 7200)
	var got []byte
	for try := 0; try < 20 && got == nil; try++ {
		_, _ = s4.WriteToUDPAddrPort([]byte("to static"), ap("203.0.113.129", 1000))
		got = recvFrom(c6, from, 500*time.Millisecond)
	}
	if string(got) != "to static" {
		t.Fatalf("%s:7200 -> 203.0.113.129:1000 never reached [%s]:5353", n.e("H4"), n.e("H6"))
	}
	_, _ = c6.WriteToUDPAddrPort([]byte("from static"), from)
	if string(recvFrom(s4, ap("203.0.113.129", 1000), 2*time.Second)) != "from static" {
		t.Errorf("the answer from [%s]:5353 did not come from 203.0.113.129:1000", n.e("H6"))
	}
	// TCP opened from the IPv4 side.
	seen := make(chan netip.Addr, 4)
	tcpEcho(t, h6, 8080, seen)
	if err := tcpExchangeErr(h4, "203.0.113.129", 1001, 50000); err != nil {
		t.Fatalf("TCP from the IPv4 host to the static entry: %v", err)
	}
	expectSeen(t, seen, n.as6(n.e("H4")).String())
}

// TestNAT64PoolingAndQuota: small blocks (16 ports) and a quota of 2
// blocks per subscriber. One subscriber opening 40 UDP flows gets exactly
// 32, all on one pool4 address (paired pooling, RFC 6888 REQ-2) in at most
// 2 blocks; over quota it is refused while another subscriber is still
// served (REQ-4).
func TestNAT64PoolingAndQuota(t *testing.T) {
	needXlatd(t)
	n := newNAT64Bed(t, `ports = "1024-2047"
port_block_size = 16
max_blocks_per_subscriber = 2
[nat64.timeouts]
udp = "2m"
`)
	h6, h4 := n.e("NS6"), n.e("NS4")
	seen := udpServer(t, h4, ap(n.e("H4"), 7000))
	dst := netip.AddrPortFrom(n.as6(n.e("H4")), 7000)
	// Warm up with another subscriber (start-up retries), which must keep
	// being served later.
	other := udpSock(t, h6, ap(sub3, 43000))
	if _, err := udpAskErr(other, dst, nil, 20); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var mapped []netip.AddrPort
	var wg sync.WaitGroup
	for i := 0; i < 40; i++ {
		c := udpSock(t, h6, ap(sub2, 44000+i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := udpAskErr(c, dst, nil, 3); err == nil {
				mu.Lock()
				mapped = append(mapped, netip.AddrPort{})
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	e := bibOf(n.bib(t), "udp", sub2)
	t.Logf("%d of 40 flows answered; %d UDP BIB entries of %s", len(mapped), len(e), sub2)
	if len(e) != 32 {
		t.Errorf("%s has %d UDP BIB entries, want exactly the quota 32 (2 blocks of 16)", sub2, len(e))
	}
	if len(mapped) > len(e) {
		t.Errorf("%d flows answered but only %d BIB entries", len(mapped), len(e))
	}
	addrs, blocks := map[string]bool{}, map[int]bool{}
	for _, b := range e {
		addrs[b.IPv4] = true
		blocks[(b.Port4-1024)/16] = true
		if b.Port4 < 1024 || b.Port4 > 2047 {
			t.Errorf("port %d outside nat64.ports 1024-2047", b.Port4)
		}
	}
	if len(addrs) != 1 {
		t.Errorf("paired pooling broken: %s's flows use %d pool4 addresses %v", sub2, len(addrs), addrs)
	}
	if len(blocks) > 2 {
		t.Errorf("%s's ports lie in %d blocks of 16, more than max_blocks_per_subscriber 2", sub2, len(blocks))
	}
	if !waitFor(3*time.Second, func() bool { return logHas(n.logPath, "quota-exceeded", sub2) }) {
		b, _ := readFile(n.logPath)
		t.Errorf("no quota-exceeded event of %s in the mapping log:\n%s", sub2, b)
	}
	// The other subscriber: old flow and a new one.
	if _, err := udpAskErr(other, dst, nil, 3); err != nil {
		t.Errorf("the other subscriber's flow stopped after %s hit its quota: %v", sub2, err)
	}
	fresh := udpSock(t, h6, ap(sub4, 43001))
	m, err := udpAskErr(fresh, dst, seen, 3)
	if err != nil {
		t.Errorf("a new subscriber was refused while %s is at its quota: %v", sub2, err)
	} else {
		inPool4(t, m, "new subscriber")
	}
}

// TestNAT64PortsInBlock: with 128-port blocks, a subscriber's flows of
// every protocol share one pool4 address and its UDP and TCP ports lie in
// the block(s) `xlatd nat64 lookup ADDR6` names; the lookup answers for
// the pool4 side name the subscriber; the mapping log has the block.
func TestNAT64PortsInBlock(t *testing.T) {
	n := newNAT64Base(t)
	h6, h4 := n.e("NS6"), n.e("NS4")
	seen := udpServer(t, h4, ap(n.e("H4"), 7000))
	tcpEcho(t, h4, 7100, nil)
	dst := netip.AddrPortFrom(n.as6(n.e("H4")), 7000)
	first := udpSock(t, h6, ap(sub4, 45000))
	m0, err := udpAskErr(first, dst, seen, 20)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < 20; i++ {
		udpAsk(t, udpSock(t, h6, ap(sub4, 45000+i)), dst, nil)
	}
	for i := 0; i < 5; i++ {
		var c net.Conn
		err := inNS(h6, func() (err error) {
			d := net.Dialer{Timeout: 3 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(sub4)}}
			c, err = d.Dial("tcp", net.JoinHostPort(dst.Addr().String(), "7100"))
			return err
		})
		if err != nil {
			t.Fatalf("TCP from %s: %v", sub4, err)
		}
		defer c.Close()
	}
	if out, err := n.exec(h6, 10*time.Second, "ping", "-n", "-c", "1", "-W", "2", "-I", sub4, dst.Addr().String()); err != nil {
		t.Errorf("ping from %s: %v\n%s", sub4, err, out)
	}
	e := bibOf(n.bib(t), "", sub4)
	if len(e) < 25 {
		t.Fatalf("%d BIB entries of %s, want 20 UDP + 5 TCP (+ ICMP)", len(e), sub4)
	}
	answers, code := n.lookup(t, n.cfgPath, sub4)
	if code != 0 || len(answers) == 0 {
		t.Fatalf("xlatd nat64 lookup %s: exit %d, %v", sub4, code, answers)
	}
	type rng struct{ lo, hi int }
	var ranges []rng
	for _, a := range answers {
		var lo, hi int
		if _, err := fmt.Sscanf(a.Ports, "%d-%d", &lo, &hi); err != nil {
			t.Fatalf("lookup answer %+v: ports %q not LO-HI", a, a.Ports)
		}
		if a.IPv4 != m0.Addr().String() {
			t.Errorf("lookup answer %+v: address is not %s's %s", a, sub4, m0.Addr())
		}
		if hi-lo+1 != 128 {
			t.Errorf("lookup answer %+v: %d ports, want a block of 128", a, hi-lo+1)
		}
		ranges = append(ranges, rng{lo, hi})
	}
	for _, b := range e {
		if b.IPv4 != m0.Addr().String() {
			t.Errorf("paired pooling broken: %s %s#%d is on %s, the first flow on %s", b.Protocol, b.IPv6, b.Port6, b.IPv4, m0.Addr())
		}
		if b.Protocol == "icmp" {
			continue
		}
		in := false
		for _, r := range ranges {
			in = in || (b.Port4 >= r.lo && b.Port4 <= r.hi)
		}
		if !in {
			t.Errorf("%s port %d outside %s's blocks %v", b.Protocol, b.Port4, sub4, ranges)
		}
	}
	if len(ranges) != 1 {
		t.Errorf("25 flows of one subscriber took %d blocks of 128 (want 1: a subscriber fills a block first, RFC 6888 REQ-13)", len(ranges))
	}
	// The other direction: who held this address and port?
	as, code := n.lookup(t, n.cfgPath, m0.String())
	if code != 0 || len(as) == 0 {
		t.Fatalf("xlatd nat64 lookup %v: exit %d", m0, code)
	}
	if p, err := netip.ParsePrefix(as[0].Subscriber); err != nil || !p.Contains(netip.MustParseAddr(sub4)) {
		t.Errorf("xlatd nat64 lookup %v: subscriber %q, want %s", m0, as[0].Subscriber, sub4)
	}
	// The same from the mapping log, for a past moment (-at, -log).
	at := time.Now().UTC().Format(time.RFC3339Nano)
	if !waitFor(3*time.Second, func() bool { return logHas(n.logPath, "block-alloc", sub4) }) {
		t.Errorf("no block-alloc of %s in the mapping log", sub4)
	}
	if as, code := n.lookup(t, n.cfgPath, "-at", at, "-log", n.logPath, m0.String()); code != 0 || len(as) == 0 {
		t.Errorf("xlatd nat64 lookup -at %s -log %s %v: exit %d, %+v", at, n.logPath, m0, code, as)
	} else if p, err := netip.ParsePrefix(as[0].Subscriber); err != nil || !p.Contains(netip.MustParseAddr(sub4)) {
		t.Errorf("lookup -at %s %v: subscriber %q, want %s", at, m0, as[0].Subscriber, sub4)
	}
	if _, code := n.lookup(t, n.cfgPath, "-at", "2020-01-01T00:00:00Z", "-log", n.logPath, m0.String()); code != 1 {
		t.Errorf("lookup -at before any allocation: exit %d, want 1", code)
	}
	if _, code := n.lookup(t, n.cfgPath, "203.0.113.143:65000"); code != 1 {
		t.Errorf("lookup of an unused port: exit %d, want 1", code)
	}
	if _, code := n.lookup(t, n.cfgPath, "2001:db8:6::a"); code != 1 {
		t.Errorf("lookup of a subscriber without blocks: exit %d, want 1", code)
	}
}

// TestNAT64Deterministic: deterministic = true (RFC 7422): `xlatd nat64
// lookup` answers from the config alone, and live traffic uses exactly the
// address and ports it names; a source outside `subscribers` is refused.
func TestNAT64Deterministic(t *testing.T) {
	needXlatd(t)
	n := newNAT64Bed(t, `deterministic = true
subscribers = ["2001:db8:6::/124"]
subscriber_prefix_length = 128
port_block_size = 128
max_blocks_per_subscriber = 8
[nat64.timeouts]
udp = "2m"
`)
	h6, h4 := n.e("NS6"), n.e("NS4")
	answers, code := n.lookup(t, n.cfgPath, sub2)
	if code != 0 || len(answers) != 1 {
		t.Fatalf("xlatd nat64 lookup %s (deterministic): exit %d, %+v; want one range", sub2, code, answers)
	}
	var lo, hi int
	if _, err := fmt.Sscanf(answers[0].Ports, "%d-%d", &lo, &hi); err != nil || hi-lo+1 != 1024 {
		t.Fatalf("lookup %s: ports %q, want a range of 128 x 8 = 1024", sub2, answers[0].Ports)
	}
	seen := udpServer(t, h4, ap(n.e("H4"), 7000))
	dst := netip.AddrPortFrom(n.as6(n.e("H4")), 7000)
	m, err := udpAskErr(udpSock(t, h6, ap(sub2, 46000)), dst, seen, 20)
	if err != nil {
		t.Fatal(err)
	}
	if m.Addr().String() != answers[0].IPv4 || int(m.Port()) < lo || int(m.Port()) > hi {
		t.Errorf("live traffic of %s appears as %v; lookup said %s ports %d-%d", sub2, m, answers[0].IPv4, lo, hi)
	}
	back, code := n.lookup(t, n.cfgPath, m.String())
	if code != 0 || len(back) == 0 {
		t.Fatalf("xlatd nat64 lookup %v: exit %d", m, code)
	}
	if p, err := netip.ParsePrefix(back[0].Subscriber); err != nil || p != netip.MustParsePrefix(sub2+"/128") {
		t.Errorf("lookup %v: subscriber %q, want %s/128", m, back[0].Subscriber, sub2)
	}
	// Not a subscriber: refused.
	if _, err := udpAskErr(udpSock(t, h6, ap(n.e("H6"), 46001)), dst, nil, 2); err == nil {
		t.Errorf("%s is not in nat64.subscribers but was translated", n.e("H6"))
	}
	if _, code := n.lookup(t, n.cfgPath, n.e("H6")); code != 1 {
		t.Errorf("lookup of a non-subscriber: exit %d, want 1", code)
	}
}

// TestNAT64SubscriberPrefix: subscriber_prefix_length = 124 with a
// subscribers list and max_sessions_per_subscriber = 6. The IPv6 host's
// three addresses 2001:db8:6::7, ::8, ::9 are one subscriber: their flows
// share one pool4 address and one session quota (6 of 9 flows pass); the
// IPv6 host's main address is another subscriber and is still served; an
// address outside `subscribers` is refused.
func TestNAT64SubscriberPrefix(t *testing.T) {
	n := newNAT64Bed(t, `subscriber_prefix_length = 124
subscribers = ["2001:db8:6::/124", "2001:db8:1c0:2::/64"]
max_sessions_per_subscriber = 6
[nat64.timeouts]
udp = "2m"
`)
	h6, h4 := n.e("NS6"), n.e("NS4")
	n.ip("-n", h6, "addr", "add", "2001:db8:7::7/128", "dev", "to-xl", "nodad")
	n.ip("-n", n.e("NSX"), "-6", "route", "add", "2001:db8:7::/64", "via", n.e("H6"), "dev", n.e("IF6"))
	udpServer(t, h4, ap(n.e("H4"), 7000))
	dst := netip.AddrPortFrom(n.as6(n.e("H4")), 7000)
	if _, err := udpAskErr(udpSock(t, h6, ap(n.e("H6"), 40000)), dst, nil, 20); err != nil {
		t.Fatal(err)
	}
	passed := 0
	for _, s := range []string{sub2, sub3, sub4} {
		for i := 0; i < 3; i++ {
			if _, err := udpAskErr(udpSock(t, h6, ap(s, 41000+i)), dst, nil, 2); err == nil {
				passed++
			}
		}
	}
	if passed != 6 {
		t.Errorf("%d of 9 flows of the /124 subscriber passed, want its quota 6", passed)
	}
	bib := n.bib(t)
	addrs := map[string]bool{}
	count := 0
	for _, e := range bib {
		if p := netip.MustParsePrefix("2001:db8:6::/124"); p.Contains(netip.MustParseAddr(e.IPv6)) {
			addrs[e.IPv4] = true
			count++
		}
	}
	if count != 6 || len(addrs) != 1 {
		t.Errorf("the /124 subscriber has %d BIB entries on %d pool4 addresses %v, want 6 on one", count, len(addrs), addrs)
	}
	// The other subscriber still gets new flows.
	if _, err := udpAskErr(udpSock(t, h6, ap(n.e("H6"), 40001)), dst, nil, 3); err != nil {
		t.Errorf("the other subscriber is refused while the /124 one is at its quota: %v", err)
	}
	// Not a subscriber.
	if _, err := udpAskErr(udpSock(t, h6, ap("2001:db8:7::7", 40002)), dst, nil, 2); err == nil {
		t.Errorf("2001:db8:7::7 is outside nat64.subscribers but was translated")
	}
	if e := bibOf(n.bib(t), "", "2001:db8:7::7"); len(e) != 0 {
		t.Errorf("a non-subscriber got BIB entries: %+v", e)
	}
}
