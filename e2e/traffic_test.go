package e2e

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xlatd/xlatd/internal/pktbuild"
)

// udpEcho listens on [::]:port (both families) in ns and echoes every
// datagram; the source addresses it saw go to seen. It stops at cleanup.
func udpEcho(t *testing.T, ns string, port int, seen chan<- netip.Addr) {
	t.Helper()
	var c *net.UDPConn
	err := inNS(ns, func() (err error) {
		c, err = net.ListenUDP("udp", &net.UDPAddr{Port: port})
		return err
	})
	if err != nil {
		t.Fatalf("udp listen in %s: %v", ns, err)
	}
	t.Cleanup(func() { c.Close() })
	go func() {
		buf := make([]byte, 65536)
		for {
			n, from, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			if seen != nil {
				select {
				case seen <- from.Addr().Unmap():
				default:
				}
			}
			_, _ = c.WriteToUDPAddrPort(buf[:n], from)
		}
	}()
}

// tcpEcho listens on [::]:port in ns and echoes every connection.
func tcpEcho(t *testing.T, ns string, port int, seen chan<- netip.Addr) {
	t.Helper()
	var l net.Listener
	err := inNS(ns, func() (err error) {
		l, err = net.Listen("tcp", net.JoinHostPort("::", itoa(port)))
		return err
	})
	if err != nil {
		t.Fatalf("tcp listen in %s: %v", ns, err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			if seen != nil {
				ap := netip.MustParseAddrPort(c.RemoteAddr().String())
				select {
				case seen <- ap.Addr().Unmap():
				default:
				}
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(20 * time.Second))
				_, _ = io.Copy(c, c)
			}()
		}
	}()
}

func itoa(i int) string { return strconv.Itoa(i) }

// udpExchange sends payload from ns to dst:port over UDP and checks the echo,
// retrying a few times (bounded) as UDP may lose the first datagram while
// neighbours resolve.
func udpExchange(t *testing.T, ns, dst string, port int, payload []byte) {
	t.Helper()
	var c net.Conn
	err := inNS(ns, func() (err error) {
		c, err = net.Dial("udp", net.JoinHostPort(dst, itoa(port)))
		return err
	})
	if err != nil {
		t.Fatalf("udp dial from %s: %v", ns, err)
	}
	defer c.Close()
	buf := make([]byte, 65536)
	for try := 0; try < 5; try++ {
		if _, err := c.Write(payload); err != nil {
			t.Fatalf("udp write: %v", err)
		}
		_ = c.SetReadDeadline(time.Now().Add(time.Second))
		n, err := c.Read(buf)
		if err != nil {
			continue
		}
		if !bytes.Equal(buf[:n], payload) {
			t.Fatalf("udp echo from %s differs: got %d bytes, sent %d", dst, n, len(payload))
		}
		return
	}
	t.Fatalf("no UDP echo from %s:%d (from %s, %d bytes) after 5 tries", dst, port, ns, len(payload))
}

// tcpExchange connects from ns to dst:port, sends n bytes and reads them back.
func tcpExchange(t *testing.T, ns, dst string, port, n int) {
	t.Helper()
	if err := tcpExchangeErr(ns, dst, port, n); err != nil {
		t.Fatal(err)
	}
}

// tcpExchangeErr is tcpExchange for other goroutines than the test's.
func tcpExchangeErr(ns, dst string, port, n int) error {
	var c net.Conn
	err := inNS(ns, func() (err error) {
		d := net.Dialer{Timeout: 5 * time.Second}
		c, err = d.Dial("tcp", net.JoinHostPort(dst, itoa(port)))
		return err
	})
	if err != nil {
		return fmt.Errorf("tcp connect from %s to %s: %w", ns, dst, err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(15 * time.Second))
	data := pktbuild.Payload(n)
	errc := make(chan error, 1)
	go func() {
		_, err := c.Write(data)
		errc <- err
	}()
	got := make([]byte, n)
	if _, err := io.ReadFull(c, got); err != nil {
		return fmt.Errorf("tcp read back from %s: %w", dst, err)
	}
	if err := <-errc; err != nil {
		return fmt.Errorf("tcp write to %s: %w", dst, err)
	}
	if !bytes.Equal(got, data) {
		return fmt.Errorf("tcp echo from %s differs", dst)
	}
	return nil
}

func expectSeen(t *testing.T, seen <-chan netip.Addr, want string) {
	t.Helper()
	select {
	case a := <-seen:
		if a != netip.MustParseAddr(want) {
			t.Errorf("server saw source %v, want %s", a, want)
		}
	case <-time.After(2 * time.Second):
		t.Errorf("server saw nothing")
	}
}

// TestTwoArmed runs ICMP echo, UDP, TCP, fragments and ICMP errors in both
// directions through xlatd on the two-armed testbed.
func TestTwoArmed(t *testing.T) {
	tb := newTestbed(t, "two-armed", true)
	tb.start(t, tb.config())
	h6, h4 := tb.e("NS6"), tb.e("NS4")
	tb.pingEventually(t, h6, tb.e("H4_AS6"), 10*time.Second)

	t.Run("ping6to4", func(t *testing.T) {
		if out, err := tb.ping(h6, tb.e("H4_AS6"), 3); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
	})
	t.Run("ping4to6", func(t *testing.T) {
		if out, err := tb.ping(h4, tb.e("H6_AS4"), 3); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
	})
	t.Run("eamt", func(t *testing.T) {
		// IPv4 host -> 203.0.113.6, which the EAMT maps to 2001:db8:6::6.
		if out, err := tb.ping(h4, tb.e("H6_EAM_AS4"), 2); err != nil {
			t.Fatalf("ping %s: %v\n%s", tb.e("H6_EAM_AS4"), err, out)
		}
		// From the EAMT address: the IPv4 host must see 203.0.113.6.
		seen := make(chan netip.Addr, 4)
		udpEcho(t, h4, 7010, seen)
		var c net.Conn
		err := inNS(h6, func() (err error) {
			d := net.Dialer{LocalAddr: &net.UDPAddr{IP: net.ParseIP(tb.e("H6_EAM"))}}
			c, err = d.Dial("udp", net.JoinHostPort(tb.e("H4_AS6"), "7010"))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, _ = c.Write([]byte("eam"))
		_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
		buf := make([]byte, 16)
		if n, err := c.Read(buf); err != nil || string(buf[:n]) != "eam" {
			t.Fatalf("no echo through the EAMT: %v", err)
		}
		expectSeen(t, seen, tb.e("H6_EAM_AS4"))
	})
	t.Run("udp6to4", func(t *testing.T) {
		seen := make(chan netip.Addr, 8)
		udpEcho(t, h4, 7001, seen)
		udpExchange(t, h6, tb.e("H4_AS6"), 7001, []byte("hello from the IPv6 host"))
		expectSeen(t, seen, tb.e("H6_AS4"))
	})
	t.Run("udp4to6", func(t *testing.T) {
		seen := make(chan netip.Addr, 8)
		udpEcho(t, h6, 7002, seen)
		udpExchange(t, h4, tb.e("H6_AS4"), 7002, []byte("hello from the IPv4 host"))
		expectSeen(t, seen, tb.e("H4_AS6"))
	})
	t.Run("tcp6to4", func(t *testing.T) {
		seen := make(chan netip.Addr, 8)
		tcpEcho(t, h4, 7003, seen)
		tcpExchange(t, h6, tb.e("H4_AS6"), 7003, 200000)
		expectSeen(t, seen, tb.e("H6_AS4"))
	})
	t.Run("tcp4to6", func(t *testing.T) {
		seen := make(chan netip.Addr, 8)
		tcpEcho(t, h6, 7004, seen)
		tcpExchange(t, h4, tb.e("H6_AS4"), 7004, 200000)
		expectSeen(t, seen, tb.e("H4_AS6"))
	})
	t.Run("fragments6to4", func(t *testing.T) {
		// 3000-byte datagrams: the IPv6 host fragments, xlatd translates
		// each fragment, the IPv4 host reassembles (and the echo comes
		// back fragmented the other way).
		udpEcho(t, h4, 7005, nil)
		udpExchange(t, h6, tb.e("H4_AS6"), 7005, pktbuild.Payload(3000))
	})
	t.Run("fragments4to6", func(t *testing.T) {
		udpEcho(t, h6, 7006, nil)
		udpExchange(t, h4, tb.e("H6_AS4"), 7006, pktbuild.Payload(3000))
	})
	t.Run("portUnreachable6to4", func(t *testing.T) {
		// Nothing listens on the IPv4 host: its ICMPv4 3/3 comes back as
		// ICMPv6 1/4, and the IPv6 kernel matches the translated inner
		// packet to the socket (ECONNREFUSED).
		cap6 := openPacket(t, h6, "to-xl")
		connRefused(t, h6, tb.e("H4_AS6"), 7099)
		ip := cap6.recvIP(time.Now().Add(2*time.Second), func(ip []byte) bool {
			s, _, ok := ipAddrs(ip)
			return ok && ip[0]>>4 == 6 && s == netip.MustParseAddr(tb.e("H4_AS6")) && ip[6] == 58 && ip[40] == 1
		})
		if ip == nil {
			t.Fatal("no ICMPv6 error captured on the IPv6 host")
		}
		if ip[41] != 4 {
			t.Errorf("ICMPv6 type 1 code %d, want 4 (port unreachable)", ip[41])
		}
		inner := ip[48:]
		if len(inner) < 48 || inner[0]>>4 != 6 || inner[6] != 17 {
			t.Fatalf("inner packet is not IPv6/UDP: % x", inner[:min(len(inner), 48)])
		}
		if s, d, _ := ipAddrs(inner); s != netip.MustParseAddr(tb.e("H6")) || d != netip.MustParseAddr(tb.e("H4_AS6")) {
			t.Errorf("inner addresses %v -> %v", s, d)
		}
		if p := binary.BigEndian.Uint16(inner[42:]); p != 7099 {
			t.Errorf("inner destination port %d, want 7099", p)
		}
	})
	t.Run("portUnreachable4to6", func(t *testing.T) {
		cap4 := openPacket(t, h4, "to-xl")
		connRefused(t, h4, tb.e("H6_AS4"), 7098)
		ip := cap4.recvIP(time.Now().Add(2*time.Second), func(ip []byte) bool {
			s, _, ok := ipAddrs(ip)
			return ok && ip[0]>>4 == 4 && s == netip.MustParseAddr(tb.e("H6_AS4")) && ip[9] == 1 && ip[20] == 3
		})
		if ip == nil {
			t.Fatal("no ICMPv4 error captured on the IPv4 host")
		}
		if ip[21] != 3 {
			t.Errorf("ICMPv4 type 3 code %d, want 3 (port unreachable)", ip[21])
		}
		inner := ip[28:]
		if len(inner) < 28 || inner[0]>>4 != 4 || inner[9] != 17 {
			t.Fatalf("inner packet is not IPv4/UDP")
		}
		if s, d, _ := ipAddrs(inner); s != netip.MustParseAddr(tb.e("H4")) || d != netip.MustParseAddr(tb.e("H6_AS4")) {
			t.Errorf("inner addresses %v -> %v", s, d)
		}
	})
	t.Run("timeExceeded", func(t *testing.T) {
		testTimeExceeded(t, tb)
	})
}

// connRefused sends UDP datagrams from ns to dst:port until the socket
// reports ECONNREFUSED (bounded: 5 tries).
func connRefused(t *testing.T, ns, dst string, port int) {
	t.Helper()
	var c net.Conn
	err := inNS(ns, func() (err error) {
		c, err = net.Dial("udp", net.JoinHostPort(dst, itoa(port)))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 64)
	for try := 0; try < 5; try++ {
		_, _ = c.Write([]byte("anyone?"))
		_ = c.SetReadDeadline(time.Now().Add(time.Second))
		_, err := c.Read(buf)
		if errors.Is(err, syscall.ECONNREFUSED) {
			return
		}
	}
	t.Fatalf("UDP to closed port %s:%d from %s: no ECONNREFUSED (the translated ICMP error did not arrive or its inner packet does not match)", dst, port, ns)
}

// testTimeExceeded injects packets whose TTL / hop limit is 1 and expects
// xlatd to answer with Time Exceeded from its own address.
func testTimeExceeded(t *testing.T, tb *testbed) {
	h6, h4 := tb.e("NS6"), tb.e("NS4")
	s4 := openPacket(t, h4, "to-xl")
	s6 := openPacket(t, h6, "to-xl")
	box4, box6 := netip.MustParseAddr(tb.e("BOX4")), netip.MustParseAddr(tb.e("BOX6"))
	hh4, hh6 := netip.MustParseAddr(tb.e("H4")), netip.MustParseAddr(tb.e("H6"))

	p4 := pktbuild.IPv4{Src: hh4, Dst: netip.MustParseAddr(tb.e("H6_AS4")), TTL: 1, Proto: 17, ID: 0x7777}.Build(pktbuild.UDP(5000, 5001, []byte("ttl")))
	p6 := pktbuild.IPv6{Src: hh6, Dst: netip.MustParseAddr(tb.e("H4_AS6")), HopLimit: 1, NextHeader: 17}.Build(pktbuild.UDP(5000, 5001, []byte("hlim")))
	for try := 0; try < 3; try++ {
		s4.drain()
		if err := s4.sendIP(mustMAC(t, tb.e("MAC_BOX4")), p4); err != nil {
			t.Fatal(err)
		}
		ip := s4.recvIP(time.Now().Add(time.Second), addrMatch(box4, hh4))
		if ip == nil {
			if try == 2 {
				t.Errorf("no ICMPv4 Time Exceeded from %v for TTL 1", box4)
			}
			continue
		}
		if ip[9] != 1 || ip[20] != 11 || ip[21] != 0 {
			t.Errorf("IPv4 TTL 1: got proto %d type %d code %d from %v, want ICMP 11/0", ip[9], ip[20], ip[21], box4)
		}
		if !bytes.Equal(ip[28:28+20], p4[:20]) && !bytes.Equal(ip[28+12:28+20], p4[12:20]) {
			t.Errorf("Time Exceeded does not quote the packet")
		}
		break
	}
	for try := 0; try < 3; try++ {
		s6.drain()
		if err := s6.sendIP(mustMAC(t, tb.e("MAC_BOX6")), p6); err != nil {
			t.Fatal(err)
		}
		ip := s6.recvIP(time.Now().Add(time.Second), addrMatch(box6, hh6))
		if ip == nil {
			if try == 2 {
				t.Errorf("no ICMPv6 Time Exceeded from %v for hop limit 1", box6)
			}
			continue
		}
		if ip[6] != 58 || ip[40] != 3 || ip[41] != 0 {
			t.Errorf("hop limit 1: got nh %d type %d code %d, want ICMPv6 3/0", ip[6], ip[40], ip[41])
		}
		return
	}
}

// TestMultiQueue: the box's veths have 2 queues, xlatd serves both (one
// socket and worker per queue, each worker's thread pinned to a CPU of its
// own with [datapath] cpus); concurrent flows both ways get through.
func TestMultiQueue(t *testing.T) {
	tb := newTestbed(t, "two-armed", true, "XLATD_NETNS_QUEUES=2", "XLATD_NETNS_CPUS=1, 0")
	d := tb.start(t, tb.config())
	checkPinnedThreads(t, d.cmd.Process.Pid, 0, 1)
	h6, h4 := tb.e("NS6"), tb.e("NS4")
	tb.pingEventually(t, h6, tb.e("H4_AS6"), 10*time.Second)
	m, err := d.stats()
	if err != nil {
		t.Fatal(err)
	}
	if info, _ := m["info"].(map[string]any); info["queues"] != float64(2) {
		t.Errorf("stats info queues = %v, want 2", info["queues"])
	}
	tcpEcho(t, h4, 7601, nil)
	tcpEcho(t, h6, 7602, nil)
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		go func() {
			if i%2 == 0 {
				errs <- tcpExchangeErr(h6, tb.e("H4_AS6"), 7601, 100000)
			} else {
				errs <- tcpExchangeErr(h4, tb.e("H6_AS4"), 7602, 100000)
			}
		}()
	}
	for i := 0; i < 8; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if n := d.counter("verdict.to_ipv4"); n < 100 {
		t.Errorf("verdict.to_ipv4 = %v after 8 TCP streams", n)
	}
}

// TestWKPNonGlobal: with pool6 = 64:ff9b::/96 (the Well-Known Prefix),
// the documentation IPv4 addresses of the testbed are not global, so RFC
// 6052 section 3.1 forbids translating them: the packets are dropped and
// counted, never forwarded.
func TestWKPNonGlobal(t *testing.T) {
	tb := newTestbed(t, "two-armed", true)
	cfg := strings.Replace(tb.config(), `pool6 = "2001:db8:100::/40"`, `pool6 = "64:ff9b::/96"`, 1)
	d := tb.start(t, cfg)
	h6, h4 := tb.e("NS6"), tb.e("NS4")
	tb.ip("-n", h6, "-6", "route", "add", "64:ff9b::/96", "via", tb.e("BOX6"))
	cap4 := openPacket(t, h4, "to-xl")
	cap4.drain()
	if out, err := tb.ping(h6, "64:ff9b::198.51.100.2", 2); err == nil {
		t.Errorf("ping through the WKP to a non-global IPv4 address answered:\n%s", out)
	}
	if ip := cap4.recvIP(time.Now().Add(500*time.Millisecond), func(ip []byte) bool { return ip[0]>>4 == 4 && ip[9] == 1 }); ip != nil {
		t.Errorf("an ICMP packet reached the IPv4 host")
	}
	if n := d.counter("drop.wkp_non_global_ipv4"); n < 1 {
		t.Errorf("drop.wkp_non_global_ipv4 = %v, want >= 1", n)
	}
	if !d.running() {
		t.Fatalf("xlatd exited: %v", d.err)
	}
}

// checkPinnedThreads: process pid has one thread bound to each of cpus
// alone, and every other thread keeps more than one CPU. Skipped on a
// single-CPU machine.
func checkPinnedThreads(t *testing.T, pid int, cpus ...int) {
	t.Helper()
	if runtime.NumCPU() < 2 {
		t.Log("too few CPUs to tell pinned threads apart")
		return
	}
	want := map[string]bool{}
	for _, c := range cpus {
		want[strconv.Itoa(c)] = true
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := map[string]bool{}
		var errs []string
		tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
		for _, e := range tasks {
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/status", pid, e.Name()))
			if err != nil {
				continue
			}
			for _, line := range strings.Split(string(b), "\n") {
				if l, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
					l = strings.TrimSpace(l)
					if strings.ContainsAny(l, ",-") {
						continue // not pinned
					}
					if !want[l] || got[l] {
						errs = append(errs, fmt.Sprintf("thread %s pinned to CPU %s", e.Name(), l))
					}
					got[l] = true
				}
			}
		}
		if len(errs) == 0 && len(got) == len(want) {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("pinned threads: %v, errors %v; want one on each of %v", got, errs, cpus)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}
