package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The daemon side of stateful NAT64 (issue 10): xlatd starts in nat64 mode
// on the two-armed testbed, an IPv6 host reaches the IPv4 host through
// pool6, and `xlatd nat64 bib/sessions/lookup` and the counters show it.
// Run them with -run 'TestNAT64Daemon'.

// daemonPool4 is outside the testbed's EAMT (203.0.113.0/28) and the box's
// own 203.0.113.254; the IPv4 host routes 203.0.113.0/24 to the box.
const daemonPool4 = "203.0.113.128/28"

// daemonNAT64Config turns the testbed's SIIT config into NAT64 (the EAMT stays:
// SIIT beside NAT64) with the mapping log in the run directory.
func (tb *testbed) daemonNAT64Config(extra string) (cfg, mappings string) {
	mappings = filepath.Join(tb.run, fmt.Sprintf("mappings-%d.log", cfgSeq.Add(1)))
	cfg = strings.Replace(tb.config(), `mode = "siit"`, `mode = "nat64"`, 1)
	cfg += fmt.Sprintf("\n[nat64]\npool4 = [%q]\nports = \"1024-65535\"\nport_block_size = 128\n%s\n[log]\nmappings = %q\nmappings_format = \"json\"\n",
		daemonPool4, extra, mappings)
	return cfg, mappings
}

// xlatdIn runs the xlatd CLI in the box namespace.
func (d *daemon) xlatdIn(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", d.tb.e("NSX"), xlatdBin}, args...)...)
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out) + string(ee.Stderr), err
	}
	return string(out), err
}

type nat64List struct {
	Count    int         `json:"count"`
	BIB      []bibEntry  `json:"bib"`
	Sessions []sessEntry `json:"sessions"`
}

func (d *daemon) nat64List(t *testing.T, what string) nat64List {
	t.Helper()
	out, err := d.xlatdIn("nat64", what, "-json", "-socket", d.sock)
	if err != nil {
		t.Fatalf("xlatd nat64 %s -json: %v\n%s", what, err, out)
	}
	var l nat64List
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		t.Fatalf("xlatd nat64 %s -json: %v\n%s", what, err, out)
	}
	return l
}

func TestNAT64DaemonUDP(t *testing.T) {
	tb := newTestbed(t, "two-armed", true)
	cfg, mappings := tb.daemonNAT64Config("")
	d := tb.start(t, cfg)
	pool4 := netip.MustParsePrefix(daemonPool4)
	h6, h4, h4as6 := tb.e("H6"), tb.e("H4"), tb.e("H4_AS6")

	seen := make(chan netip.Addr, 16)
	udpEcho(t, tb.e("NS4"), 7007, seen)
	udpExchange(t, tb.e("NS6"), h4as6, 7007, []byte("nat64 over udp"))
	select {
	case src := <-seen:
		if !pool4.Contains(src) {
			t.Errorf("the IPv4 host saw source %s, want an address of pool4 %s", src, pool4)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the echo server saw nothing")
	}
	// SIIT beside NAT64: the EAMT host still translates statelessly.
	tb.pingEventually(t, tb.e("NS6"), h4as6, 5*time.Second)

	bib := d.nat64List(t, "bib")
	found := false
	for _, e := range bib.BIB {
		if e.Protocol == "udp" && e.IPv6 == h6 && pool4.Contains(netip.MustParseAddr(e.IPv4)) && !e.Static {
			found = true
		}
	}
	if bib.Count != len(bib.BIB) || !found {
		t.Errorf("xlatd nat64 bib -json: no udp entry of %s in pool4: %+v", h6, bib)
	}
	ss := d.nat64List(t, "sessions")
	found = false
	for _, s := range ss.Sessions {
		if s.Protocol == "udp" && s.IPv6 == h6 && s.Remote4 == h4 && s.RemotePort == 7007 && s.Remote6 == h4as6 &&
			s.ExpiresInMs > 0 && s.ExpiresInMs <= 5*60*1000 {
			found = true
		}
	}
	if ss.Count != len(ss.Sessions) || !found {
		t.Errorf("xlatd nat64 sessions -json: no udp session %s -> %s:7007: %+v", h6, h4, ss)
	}
	if n := d.counter("nat64.sessions"); n < 1 {
		t.Errorf("stats nat64.sessions = %v, want >= 1", n)
	}
	// lookup: the subscriber's block from the running daemon, then the
	// holder of the mapped port.
	out, err := d.xlatdIn("nat64", "lookup", "-config", d.cfg, "-json", h6)
	if err != nil || !strings.Contains(out, `"subscriber":"`+h6+`/128"`) {
		t.Errorf("xlatd nat64 lookup %s: %v\n%s", h6, err, out)
	}
	if len(ss.Sessions) > 0 {
		s := ss.Sessions[0]
		arg := fmt.Sprintf("%s:%d", s.IPv4, s.Port4)
		if out, err := d.xlatdIn("nat64", "lookup", "-config", d.cfg, arg); err != nil || !strings.Contains(out, s.IPv6) {
			t.Errorf("xlatd nat64 lookup %s: %v\n%s", arg, err, out)
		}
	}
	if out, err := d.xlatdIn("nat64", "lookup", "-config", d.cfg, "2001:db8:1c0:2:99::"); err == nil {
		t.Errorf("lookup of an unknown subscriber exited 0:\n%s", out)
	}
	// The mapping log has the block allocation (written asynchronously).
	deadline := time.Now().Add(3 * time.Second)
	for {
		b, _ := os.ReadFile(mappings)
		if strings.Contains(string(b), `"event":"block-alloc"`) && strings.Contains(string(b), h6) {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("mapping log %s has no block-alloc of %s:\n%s", mappings, h6, b)
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	// SIGHUP with a changed timeout keeps the state.
	cfg2 := strings.Replace(cfg, "port_block_size = 128\n", "port_block_size = 128\n[nat64.timeouts]\nudp = \"3m\"\n", 1)
	if err := os.WriteFile(d.cfg, []byte(cfg2), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := d.xlatdIn("reload", "-socket", d.sock); err != nil {
		t.Fatalf("reload with a new udp timeout: %v\n%s\n%s", err, out, d.log.String())
	}
	ss2 := d.nat64List(t, "sessions")
	if ss2.Count < 1 {
		t.Fatalf("sessions gone after SIGHUP: %+v", ss2)
	}
	for _, s := range ss2.Sessions {
		if s.Protocol == "udp" && s.ExpiresInMs > 3*60*1000 {
			t.Errorf("session expires in %d ms after the udp timeout went to 3m", s.ExpiresInMs)
		}
	}
	// A new pool4 needs a restart: refused, the old config keeps running.
	cfg3 := strings.Replace(cfg, daemonPool4, "203.0.113.192/28", 1)
	if err := os.WriteFile(d.cfg, []byte(cfg3), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := d.xlatdIn("reload", "-socket", d.sock); err == nil {
		t.Errorf("reload with a new pool4 accepted:\n%s", out)
	}
	if !strings.Contains(d.log.String(), "nat64.pool4") {
		t.Errorf("the refused reload does not name nat64.pool4:\n%s", d.log.String())
	}
	udpExchange(t, tb.e("NS6"), h4as6, 7007, []byte("still there"))
}

// TestNAT64DaemonHandoff: two queues; flows of one subscriber arrive on
// both, so the worker that does not own the subscriber hands frames to the
// one that does, and every flow still gets its answers.
func TestNAT64DaemonHandoff(t *testing.T) {
	tb := newTestbed(t, "two-armed", true, "XLATD_NETNS_QUEUES=2")
	cfg, _ := tb.daemonNAT64Config("")
	d := tb.start(t, cfg)
	if q := d.info("queues"); q != float64(2) {
		t.Skipf("the daemon serves %v queues, want 2", q)
	}
	udpEcho(t, tb.e("NS4"), 7008, nil)
	// Several flows (source ports), so that the veths' queue choice
	// (a hash of the flow) puts some on each queue, one after the other
	// (bounded: 24 flows x a few datagrams).
	var wg sync.WaitGroup
	errs := make(chan string, 24)
	for i := 0; i < 24; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					errs <- fmt.Sprint(r)
				}
			}()
			udpExchangeQuiet(tb.e("NS6"), tb.e("H4_AS6"), 7008, []byte(fmt.Sprintf("flow %d", i)), errs)
		}(i)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	sent, recv := d.counter("datapath.handoff_sent"), d.counter("datapath.handoff_received")
	t.Logf("handoff_sent %v handoff_received %v dropped %v", sent, recv, d.counter("datapath.handoff_dropped"))
	if sent < 1 || recv < 1 {
		t.Errorf("no hand-off between the two workers (sent %v, received %v): every flow on the owner's queue?", sent, recv)
	}
	if ss := d.nat64List(t, "sessions"); ss.Count < 24 {
		t.Errorf("%d sessions, want 24 (one per flow)", ss.Count)
	}
}

// udpExchangeQuiet is udpExchange reporting to errs instead of the test.
func udpExchangeQuiet(ns, dst string, port int, payload []byte, errs chan<- string) {
	var c net.Conn
	err := inNS(ns, func() (err error) {
		c, err = net.Dial("udp", net.JoinHostPort(dst, itoa(port)))
		return err
	})
	if err != nil {
		errs <- fmt.Sprintf("udp dial from %s: %v", ns, err)
		return
	}
	defer c.Close()
	buf := make([]byte, 2048)
	for try := 0; try < 5; try++ {
		if _, err := c.Write(payload); err != nil {
			errs <- fmt.Sprintf("udp write: %v", err)
			return
		}
		_ = c.SetReadDeadline(time.Now().Add(time.Second))
		if n, err := c.Read(buf); err == nil && string(buf[:n]) == string(payload) {
			return
		}
	}
	errs <- fmt.Sprintf("no echo of %q from %s:%d", payload, dst, port)
}

// info returns a field of `xlatd stats -json`'s info.
func (d *daemon) info(name string) any {
	m, err := d.stats()
	if err != nil {
		return nil
	}
	i, _ := m["info"].(map[string]any)
	return i[name]
}

// TestNAT64DaemonSharedAddress: pool4 is the box's own 203.0.113.254. The
// XDP program takes only what belongs to nat64.ports to it (the NAT64
// replies); ping and a UDP service of the box's kernel on that address
// keep working.
func TestNAT64DaemonSharedAddress(t *testing.T) {
	tb := newTestbed(t, "two-armed", true)
	boxlo4 := tb.e("BOXLO4")
	cfg, _ := tb.daemonNAT64Config("")
	cfg = strings.Replace(cfg, daemonPool4, boxlo4+"/32", 1)
	cfg = strings.Replace(cfg, `ports = "1024-65535"`, `ports = "1024-16383"`, 1)
	d := tb.start(t, cfg)
	if !strings.Contains(d.log.String(), "nat64.pool4 holds addresses of this box") {
		t.Errorf("no start-up note about the shared pool4 address:\n%s", d.log.String())
	}
	seen := make(chan netip.Addr, 4)
	udpEcho(t, tb.e("NS4"), 7009, seen)
	udpExchange(t, tb.e("NS6"), tb.e("H4_AS6"), 7009, []byte("to a shared address"))
	select {
	case src := <-seen:
		if src.String() != boxlo4 {
			t.Errorf("the IPv4 host saw source %s, want the shared pool4 address %s", src, boxlo4)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the echo server saw nothing")
	}
	if n := d.counter("xdp.redirected4_shared"); n < 1 {
		t.Errorf("xdp.redirected4_shared = %v, want >= 1", n)
	}
	// The box's kernel keeps the address: ping, and a TCP service on a
	// port outside nat64.ports (TCP: an unbound UDP socket would answer
	// from the interface's address).
	if out, err := tb.ping(tb.e("NS4"), boxlo4, 2); err != nil {
		t.Errorf("ping %s (the box's own address in pool4): %v\n%s", boxlo4, err, out)
	}
	tcpEcho(t, tb.e("NSX"), 700, nil)
	tcpExchange(t, tb.e("NS4"), boxlo4, 700, 1000)
}
