package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// jumboPy is the hosts' side of TestJumbo (python3, standard library only):
//
//	recv ADDR PORT SECONDS      bind UDP, print "ready", then the length and
//	                            SHA-256 of the first datagram
//	send DST PORT SIZE DF N     N datagrams of SIZE bytes (DF 1: don't
//	                            fragment; IPv4 0: DF clear), 0.2 s apart
//	capfrag IFACE SECONDS       capture IPv6 frames with a Fragment header on
//	                            IFACE, print "ready", then the IPv6 length of
//	                            each fragment of the first packet
const jumboPy = `
import hashlib, socket, struct, sys, time
def data(n):
    return bytes((i * 7 + i // 251) & 255 for i in range(n))
m = sys.argv[1]
if m == "recv":
    fam = socket.AF_INET6 if ":" in sys.argv[2] else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((sys.argv[2], int(sys.argv[3])))
    s.settimeout(float(sys.argv[4]))
    print("ready", flush=True)
    d = s.recv(65535)
    print(len(d), hashlib.sha256(d).hexdigest(), flush=True)
elif m == "send":
    dst, port, size, df, n = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "1", int(sys.argv[6])
    if ":" in dst:
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.setsockopt(socket.IPPROTO_IPV6, 62, 1)  # IPV6_DONTFRAG
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.IPPROTO_IP, 10, 2 if df else 0)  # IP_MTU_DISCOVER: DO / DONT
    d = data(size)
    for _ in range(n):
        s.sendto(d, (dst, port))
        time.sleep(0.2)
    print(len(d), hashlib.sha256(d).hexdigest(), flush=True)
elif m == "capfrag":
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x86DD))
    s.bind((sys.argv[2], 0))
    s.settimeout(float(sys.argv[3]))
    print("ready", flush=True)
    sizes, ident = [], None
    while True:
        f = s.recv(65535)
        if len(f) < 62 or f[20] != 44:
            continue
        i = struct.unpack("!I", f[58:62])[0]
        if ident is None:
            ident = i
        if i != ident:
            continue
        sizes.append(str(len(f) - 14))
        if len(sizes) > 1 and not (f[57] & 1) or len(sizes) > 64:
            break
    print(" ".join(sizes), flush=True)
`

// pyProc is a jumboPy process waiting in a namespace.
type pyProc struct {
	cmd    *exec.Cmd
	out    *bufio.Scanner
	cancel context.CancelFunc
}

// startPy runs jumboPy with args in ns and waits for its "ready".
func (tb *testbed) startPy(t *testing.T, ns string, args ...string) *pyProc {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", ns, "python3", "-c", jumboPy}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	p := &pyProc{cmd: cmd, out: bufio.NewScanner(stdout), cancel: cancel}
	t.Cleanup(func() { cancel(); cmd.Wait() })
	if !p.out.Scan() || p.out.Text() != "ready" {
		t.Fatalf("python3 %v in %s did not start: %q %s", args, ns, p.out.Text(), stderr.String())
	}
	return p
}

// result is the process's last line (it exits after printing it).
func (p *pyProc) result() string {
	line := ""
	if p.out.Scan() {
		line = p.out.Text()
	}
	p.cmd.Wait()
	return line
}

// TestJumbo (issue 8): on veths with MTU 9000 everywhere, in native and in
// generic XDP mode (and one-armed, native), xlatd binds multi-buffer sockets and carries 8000-byte
// UDP datagrams intact IPv6 -> IPv4 and IPv4 -> IPv6 (received as chains of
// descriptors, sent as TX chains); an 8000-byte IPv4 datagram without DF
// reaches the IPv6 host as fragments of at most lowest_ipv6_mtu (1280)
// bytes; small traffic still flows.
func TestJumbo(t *testing.T) {
	for _, c := range []struct{ topology, mode string }{{"two-armed", "native"}, {"two-armed", "generic"}, {"one-armed", "native"}} {
		mode := c.mode
		name := mode
		if c.topology != "two-armed" {
			name = c.topology + "-" + mode
		}
		t.Run(name, func(t *testing.T) {
			tb := newTestbed(t, c.topology, true, "XLATD_NETNS_MTU=9000")
			cfg := strings.Replace(tb.config(), `xdp_mode = "auto"`, fmt.Sprintf("xdp_mode = %q", mode), 1)
			d := tb.start(t, cfg)
			log := d.log.String()
			for _, want := range []string{"xdp_mode=" + mode, "multi_buffer=true"} {
				if !strings.Contains(log, want) {
					t.Errorf("start-up log does not say %s:\n%s", want, log)
				}
			}
			if strings.Contains(log, "larger than") {
				t.Errorf("MTU warning with multi-buffer sockets:\n%s", log)
			}
			ns6, ns4 := tb.e("NS6"), tb.e("NS4")
			tb.pingEventually(t, ns6, tb.e("H4_AS6"), 10*time.Second)
			if out, err := tb.ping(ns4, tb.e("H6_AS4"), 3); err != nil {
				t.Errorf("small pings IPv4 -> IPv6: %v\n%s", err, out)
			}
			if out, err := tb.exec(ns6, 10*time.Second, "ping", "-n", "-c", "2", "-i", "0.2", "-W", "2", "-s", "8000", "-M", "do", tb.e("H4_AS6")); err != nil {
				t.Errorf("8000-byte ping IPv6 -> IPv4 and back: %v\n%s", err, out)
			}

			// IPv6 -> IPv4, whole.
			r := tb.startPy(t, ns4, "recv", "0.0.0.0", "40001", "5")
			sent, err := tb.exec(ns6, 10*time.Second, "python3", "-c", jumboPy, "send", tb.e("H4_AS6"), "40001", "8000", "1", "3")
			if err != nil {
				t.Fatalf("send: %v\n%s", err, sent)
			}
			if got := r.result(); got != strings.TrimSpace(sent) {
				t.Errorf("IPv6 -> IPv4: received %q, sent %q", got, strings.TrimSpace(sent))
			}

			// IPv4 -> IPv6 with DF, whole.
			r = tb.startPy(t, ns6, "recv", "::", "40002", "5")
			sent, err = tb.exec(ns4, 10*time.Second, "python3", "-c", jumboPy, "send", tb.e("H6_AS4"), "40002", "8000", "1", "3")
			if err != nil {
				t.Fatalf("send: %v\n%s", err, sent)
			}
			if got := r.result(); got != strings.TrimSpace(sent) {
				t.Errorf("IPv4 (DF) -> IPv6: received %q, sent %q", got, strings.TrimSpace(sent))
			}

			// IPv4 -> IPv6 without DF: IPv6 fragments of at most 1280 bytes,
			// reassembled by the host.
			capture := tb.startPy(t, ns6, "capfrag", "to-xl", "5")
			r = tb.startPy(t, ns6, "recv", "::", "40003", "5")
			sent, err = tb.exec(ns4, 10*time.Second, "python3", "-c", jumboPy, "send", tb.e("H6_AS4"), "40003", "8000", "0", "1")
			if err != nil {
				t.Fatalf("send: %v\n%s", err, sent)
			}
			if got := r.result(); got != strings.TrimSpace(sent) {
				t.Errorf("IPv4 (no DF) -> IPv6: received %q, sent %q", got, strings.TrimSpace(sent))
			}
			sizes := strings.Fields(capture.result())
			total := 0
			for _, s := range sizes {
				n, _ := strconv.Atoi(s)
				if n > 1280 {
					t.Errorf("an IPv6 fragment of %d bytes (lowest_ipv6_mtu is 1280)", n)
				}
				total += n - 48
			}
			t.Logf("IPv6 fragments of the 8000-byte datagram: %v", sizes)
			if len(sizes) < 7 || total != 8008 {
				t.Errorf("fragments %v carry %d bytes, want 7 or more carrying 8008", sizes, total)
			}

			for _, c := range []string{"datapath.rx_chains", "datapath.tx_chains", "datapath.jumbo_sent"} {
				if v := d.counter(c); v <= 0 {
					t.Errorf("%s = %v", c, v)
				}
			}
			for _, c := range []string{"datapath.jumbo_bad_chain", "datapath.jumbo_too_long", "datapath.jumbo_tx_full"} {
				if v := d.counter(c); v != 0 {
					t.Errorf("%s = %v", c, v)
				}
			}
			if n := rxDropped(t, d); n != 0 {
				t.Errorf("socket.rx_dropped = %d", n)
			}
			if m, err := d.stats(); err != nil {
				t.Error(err)
			} else if info, _ := m["info"].(map[string]any); info["multi_buffer"] != true {
				t.Errorf("xlatd stats -json: info.multi_buffer = %v, want true", info["multi_buffer"])
			}
			t.Logf("rx_chains %v tx_chains %v jumbo_sent %v jumbo_neigh_miss %v", d.counter("datapath.rx_chains"),
				d.counter("datapath.tx_chains"), d.counter("datapath.jumbo_sent"), d.counter("datapath.jumbo_neigh_miss"))
		})
	}
}

// rxDropped is the kernel's AF_XDP rx_dropped summed over xlatd's sockets.
func rxDropped(t *testing.T, d *daemon) int {
	t.Helper()
	m, err := d.stats()
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := m["counters"].(map[string]any); ok {
		if n, ok := c["socket.rx_dropped"].(float64); ok {
			return int(n)
		}
	}
	t.Fatalf("no counters/socket.rx_dropped in stats: %v", m)
	return 0
}

// TestJumboNAT64: stateful NAT64 on veths with MTU 9000 (one worker):
// an 8000-byte UDP datagram from the IPv6 host reaches the IPv4 host and
// its 8000-byte echo comes back, both through the jumbo slow path.
func TestJumboNAT64(t *testing.T) {
	n := newNAT64BedWith(t, nat64Base(), nil, "XLATD_NETNS_MTU=9000")
	h6, h4 := n.e("NS6"), n.e("NS4")
	udpServer(t, h4, ap(n.e("H4"), 7000))
	c := udpSock(t, h6, ap(sub2, 40000))
	dst := netip.AddrPortFrom(n.as6(n.e("H4")), 7000)
	msg := bytes.Repeat([]byte("nat64-jumbo-"), 8000/12+1)[:8000]
	buf := make([]byte, 16384)
	ok := false
	for try := 0; try < 10 && !ok; try++ {
		if _, err := c.WriteToUDPAddrPort(msg, dst); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(time.Second))
		k, from, err := c.ReadFromUDPAddrPort(buf)
		ok = err == nil && from == dst && bytes.Equal(buf[:k], msg)
	}
	if !ok {
		t.Fatalf("no intact 8000-byte echo through NAT64 (rx_chains %v, jumbo_sent %v, jumbo_neigh_miss %v, jumbo_handoff_dropped %v)",
			n.d.counter("datapath.rx_chains"), n.d.counter("datapath.jumbo_sent"), n.d.counter("datapath.jumbo_neigh_miss"),
			n.d.counter("datapath.jumbo_handoff_dropped"))
	}
	if v := n.d.counter("datapath.rx_chains"); v < 2 {
		t.Errorf("datapath.rx_chains = %v, want both directions", v)
	}
}
