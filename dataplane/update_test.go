package dataplane

import (
	"errors"
	"net/netip"
	"slices"
	"testing"

	"github.com/xlatd/xlatd/afxdp"
	"github.com/xlatd/xlatd/config"
	"github.com/xlatd/xlatd/neigh"
)

// fakeProg records the prefixes it holds; fail makes the next Update fail.
type fakeProg struct {
	held afxdp.ProgramOptions
	fail bool
	n    int
}

func (p *fakeProg) Update(o afxdp.ProgramOptions) error {
	p.n++
	if p.fail {
		p.fail = false
		return errors.New("map full")
	}
	p.held = o
	return nil
}

func opts(deny4 string) afxdp.ProgramOptions {
	return afxdp.ProgramOptions{Deny4: []netip.Prefix{netip.MustParsePrefix(deny4)}}
}

// TestUpdateProgramsAllOrNothing: when the second program refuses its
// prefixes, the first gets its previous ones back; a set that does not
// pass the check touches no program (issue 7: a failed reload was applied
// halfway).
func TestUpdateProgramsAllOrNothing(t *testing.T) {
	old6, old4 := opts("192.0.2.0/24"), opts("198.51.100.0/24")
	new6, new4 := opts("203.0.113.0/24"), opts("203.0.113.0/25")
	p6, p4 := &fakeProg{held: old6}, &fakeProg{held: old4, fail: true}
	err := updatePrograms([]prefixUpdater{p6, p4}, []afxdp.ProgramOptions{new6, new4},
		[]afxdp.ProgramOptions{old6, old4}, afxdp.CheckOptions)
	if err == nil {
		t.Fatal("no error")
	}
	if p6.held.Deny4[0] != old6.Deny4[0] || p4.held.Deny4[0] != old4.Deny4[0] {
		t.Errorf("after a failed update: prog6 holds %v, prog4 %v; want the old prefixes", p6.held.Deny4, p4.held.Deny4)
	}

	p6, p4 = &fakeProg{held: old6}, &fakeProg{held: old4}
	bad := afxdp.ProgramOptions{Deny4: []netip.Prefix{netip.MustParsePrefix("2001:db8::/64")}}
	if err := updatePrograms([]prefixUpdater{p6, p4}, []afxdp.ProgramOptions{new6, bad},
		[]afxdp.ProgramOptions{old6, old4}, afxdp.CheckOptions); err == nil {
		t.Fatal("no error for an IPv6 prefix in Deny4")
	}
	if p6.n != 0 || p4.n != 0 {
		t.Errorf("a set that fails the check touched the programs (%d, %d updates)", p6.n, p4.n)
	}

	if err := updatePrograms([]prefixUpdater{p6, p4}, []afxdp.ProgramOptions{new6, new4},
		[]afxdp.ProgramOptions{old6, old4}, afxdp.CheckOptions); err != nil {
		t.Fatal(err)
	}
	if p6.held.Deny4[0] != new6.Deny4[0] || p4.held.Deny4[0] != new4.Deny4[0] {
		t.Errorf("after an update: %v, %v", p6.held.Deny4, p4.held.Deny4)
	}
}

// TestConfigLimitsFitPrograms: a configuration at every limit
// config.Validate allows gives prefix sets the XDP programs accept, with
// room to spare for the box's own addresses.
func TestConfigLimitsFitPrograms(t *testing.T) {
	c := config.Default()
	c.Interfaces.IPv6, c.Interfaces.IPv4 = "a", "a" // one-armed: one program holds everything
	for i := 0; i < config.MaxEAMT; i++ {
		c.EAMT = append(c.EAMT, config.EAM{
			IPv6: netip.PrefixFrom(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, byte(i >> 8), byte(i)}), 128),
			IPv4: netip.PrefixFrom(netip.AddrFrom4([4]byte{198, 18 + byte(i>>16), byte(i >> 8), byte(i)}), 32), // RFC 2544 space
		})
	}
	for i := 0; i < config.MaxPrefixList; i++ {
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{198, 19 - byte(i>>16), byte(i >> 8), byte(i)}), 32)
		c.Interfaces.Capture4 = append(c.Interfaces.Capture4, p)
		c.Interfaces.Deny4 = append(c.Interfaces.Deny4, p)
	}
	c.Interfaces.Queues = config.MaxQueues
	if err := c.Validate(); err != nil {
		t.Fatalf("a config at the limits does not validate: %.300v", err)
	}
	if config.MaxQueues > afxdp.MaxQueues {
		t.Errorf("interfaces.queues allows %d, the XDP program's socket map holds %d", config.MaxQueues, afxdp.MaxQueues)
	}
	p6, _ := ProgramPrefixes(&c, &neigh.Snapshot{})
	if err := afxdp.CheckOptions(p6); err != nil {
		t.Fatal(err)
	}
	const localRoom = 1024 // the box's own addresses go into Deny4/Deny6 too
	for name, n := range map[string]int{"pool6": len(p6.Pool6), "capture4": len(p6.Capture4), "deny4": len(p6.Deny4)} {
		if n+localRoom > afxdp.MaxPrefixes {
			t.Errorf("%s: %d prefixes leave less than %d for local addresses (at most %d)", name, n, localRoom, afxdp.MaxPrefixes)
		}
	}
}

// TestProgramPrefixesNAT64: in NAT64 mode the IPv4-side program captures
// pool4 (one-armed, or with interfaces.capture4 set, it would not
// otherwise).
func TestProgramPrefixesNAT64(t *testing.T) {
	c := config.Default()
	c.Interfaces.IPv6, c.Interfaces.IPv4 = "eth0", "eth0"
	c.Translate.Mode = "nat64"
	c.Translate.Pool6 = netip.MustParsePrefix("2001:db8:64::/96")
	pool4 := netip.MustParsePrefix("192.0.2.0/28")
	c.NAT64.Pool4 = []netip.Prefix{pool4}
	p6, _ := ProgramPrefixes(&c, &neigh.Snapshot{})
	if !slices.Contains(p6.Capture4, pool4) || !slices.Contains(p6.Pool6, c.Translate.Pool6) {
		t.Fatalf("one-armed NAT64: capture4 %v pool6 %v", p6.Capture4, p6.Pool6)
	}
	c.Interfaces.IPv4 = "eth1"
	c.Interfaces.Capture4 = []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")}
	_, p4 := ProgramPrefixes(&c, &neigh.Snapshot{})
	if !slices.Contains(p4.Capture4, pool4) {
		t.Fatalf("two-armed NAT64 with capture4: %v", p4.Capture4)
	}
	c.Translate.Mode = "siit"
	if _, p4 := ProgramPrefixes(&c, &neigh.Snapshot{}); slices.Contains(p4.Capture4, pool4) {
		t.Fatalf("SIIT captures pool4: %v", p4.Capture4)
	}
}
