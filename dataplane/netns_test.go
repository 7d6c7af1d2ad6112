package dataplane

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netns"

	"github.com/xlatd/xlatd/batch"
	"github.com/xlatd/xlatd/config"
	"github.com/xlatd/xlatd/neigh"
)

func sh(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestDatapathNetns starts the real datapath (AF_XDP sockets in copy mode,
// the XDP programs) on veths in throwaway namespaces, pings through it in
// both directions, reloads the prefixes and stops, checking that the XDP
// programs are gone.
func TestDatapathNetns(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (network namespaces, AF_XDP, XDP)")
	}
	p := fmt.Sprintf("xldp%d", os.Getpid())
	box, h6, h4 := p+"x", p+"6", p+"4"
	for _, ns := range []string{box, h6, h4} {
		sh(t, "ip", "netns", "add", ns)
		ns := ns
		t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
		sh(t, "ip", "-n", ns, "link", "set", "lo", "up")
	}
	for _, c := range [][]string{
		{"ip", "-n", box, "link", "add", "xv6", "type", "veth", "peer", "name", "up6", "netns", h6},
		{"ip", "-n", box, "link", "add", "xv4", "type", "veth", "peer", "name", "up4", "netns", h4},
		{"ip", "-n", box, "addr", "add", "2001:db8:1::1/64", "dev", "xv6", "nodad"},
		{"ip", "-n", box, "addr", "add", "198.51.100.1/24", "dev", "xv4"},
		{"ip", "-n", h6, "addr", "add", "2001:db8:1::2/64", "dev", "up6", "nodad"},
		{"ip", "-n", h4, "addr", "add", "198.51.100.2/24", "dev", "up4"},
		{"ip", "-n", box, "link", "set", "xv6", "up"},
		{"ip", "-n", box, "link", "set", "xv4", "up"},
		{"ip", "-n", h6, "link", "set", "up6", "up"},
		{"ip", "-n", h4, "link", "set", "up4", "up"},
		{"ip", "-n", h6, "-6", "route", "add", "2001:db8:64::/96", "via", "2001:db8:1::1"},
		{"ip", "-n", h4, "route", "add", "192.0.2.0/24", "via", "198.51.100.1"},
	} {
		sh(t, c...)
	}
	c, err := config.Parse([]byte(`
[interfaces]
ipv6 = "xv6"
ipv4 = "xv4"
[translate]
pool6 = "2001:db8:64::/96"
[[eamt]]
ipv6 = "2001:db8:1::/120"
ipv4 = "192.0.2.0/24"
[datapath]
ring_size = 512
frames = 2048
`))
	if err != nil {
		t.Fatal(err)
	}

	// Everything that binds to an interface happens in the box namespace,
	// on this locked thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	nsBox, err := netns.GetFromName(box)
	if err != nil {
		t.Fatal(err)
	}
	defer nsBox.Close()
	if err := netns.Set(nsBox); err != nil {
		t.Fatal(err)
	}
	defer netns.Set(orig)

	m, err := neigh.New(neigh.Options{UseNamespace: true, Namespace: nsBox})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	snap := m.Snapshot()
	env := config.Env{}
	if i := snap.IfaceByName("xv4"); i != nil {
		env.MTU4, env.Addr4 = i.MTU, i.Global4()
	}
	if i := snap.IfaceByName("xv6"); i != nil {
		env.MTU6, env.Addr6 = i.MTU, i.Global6()
	}
	bc, err := c.BatchConfig(env)
	if err != nil {
		t.Fatal(err)
	}
	var src batch.ConfigSource
	src.Store(bc)
	d, err := Start(Options{Config: c, Mirror: m, Source: &src})
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			d.Stop()
		}
	}()
	go m.Run(t.Context())
	info := d.Info()
	if info.Queues != 1 || info.OneArmed || info.XDPMode == "" {
		t.Errorf("info %+v", info)
	}
	if !strings.Contains(sh(t, "ip", "-n", box, "link", "show", "xv6"), "prog/xdp") {
		t.Error("no XDP program on xv6")
	}

	ping := func(ns, dst string) error {
		out, err := exec.Command("ip", "netns", "exec", ns, "ping", "-c", "2", "-i", "0.2", "-W", "2", dst).CombinedOutput()
		if err != nil {
			return fmt.Errorf("ping %s from %s: %v\n%s", dst, ns, err, out)
		}
		return nil
	}
	// 198.51.100.2 as pool6(198.51.100.2); 2001:db8:1::2 as 192.0.2.2 (EAMT).
	if err := ping(h6, "2001:db8:64::c633:6402"); err != nil {
		t.Error(err)
	}
	if err := ping(h4, "192.0.2.2"); err != nil {
		t.Error(err)
	}
	s := d.Snapshot()
	if s.Events[batch.EvTranslated6to4] < 2 || s.Events[batch.EvTranslated4to6] < 2 || s.DP[RX6] < 2 || s.DP[TX4] < 2 {
		t.Errorf("counters: 6to4 %d, 4to6 %d, rx6 %d, tx4 %d", s.Events[batch.EvTranslated6to4], s.Events[batch.EvTranslated4to6], s.DP[RX6], s.DP[TX4])
	}
	if pc := d.ProgramCounters(); pc["redirected6"] < 2 || pc["redirected4"] < 2 {
		t.Errorf("XDP program counters %v", pc)
	}
	// The kernel keeps its own traffic.
	if err := ping(h4, "198.51.100.1"); err != nil {
		t.Errorf("box's own address: %v", err)
	}

	// Reload: deny4 takes 192.0.2.2 away from xlatd.
	c2 := *c
	c2.Interfaces.Deny4 = append(c2.Interfaces.Deny4, mustPrefix(t, "192.0.2.2/32"))
	if err := d.Update(&c2, m.Snapshot()); err != nil {
		t.Fatal(err)
	}
	before := d.ProgramCounters()["pass_deny4"]
	exec.Command("ip", "netns", "exec", h4, "ping", "-c", "1", "-W", "1", "192.0.2.2").Run()
	if after := d.ProgramCounters()["pass_deny4"]; after <= before {
		t.Errorf("pass_deny4 %d -> %d after deny4 reload", before, after)
	}

	deadline := time.Now().Add(3 * time.Second)
	if err := d.Stop(); err != nil {
		t.Errorf("stop: %v", err)
	}
	stopped = true
	if time.Now().After(deadline) {
		t.Error("stop took more than 3 s")
	}
	if out := sh(t, "ip", "-n", box, "link", "show", "xv6"); strings.Contains(out, "prog/xdp") {
		t.Errorf("XDP program still attached after Stop:\n%s", out)
	}
}

func mustPrefix(t *testing.T, s string) netip.Prefix {
	t.Helper()
	p, err := netip.ParsePrefix(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
