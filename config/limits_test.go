package config

import (
	"net/netip"
	"strings"
	"testing"
)

// eamts returns n distinct /128 <-> /32 entries (2001:db8::/32 <->
// 198.18.0.0/15).
func eamts(n int) []EAM {
	out := make([]EAM, n)
	for i := range out {
		out[i] = EAM{
			IPv6: netip.PrefixFrom(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, byte(i >> 16), byte(i >> 8), byte(i)}), 128),
			IPv4: netip.PrefixFrom(netip.AddrFrom4([4]byte{198, 18 + byte(i>>16), byte(i >> 8), byte(i)}), 32), // RFC 2544 space
		}
	}
	return out
}

// prefixes4 returns n distinct /32s of 198.18.0.0/15 (RFC 2544 space:
// documentation space has too few addresses for the limits).
func prefixes4(n int) []netip.Prefix {
	out := make([]netip.Prefix, n)
	for i := range out {
		out[i] = netip.PrefixFrom(netip.AddrFrom4([4]byte{198, 19 - byte(i>>16), byte(i >> 8), byte(i)}), 32)
	}
	return out
}

func validConfig() Config {
	c := Default()
	c.Interfaces.IPv6, c.Interfaces.IPv4 = "veth6", "veth4"
	return c
}

// TestLimits: -check (Validate) refuses what the datapath cannot hold, in
// the config's terms, and accepts what it can (issue 7: 65,536 EAMT entries
// passed -check and the daemon then named an internal map).
func TestLimits(t *testing.T) {
	c := validConfig()
	c.EAMT = eamts(MaxEAMT)
	c.Interfaces.Capture4 = prefixes4(MaxPrefixList)
	c.Interfaces.Deny4 = prefixes4(MaxPrefixList)
	if err := c.Validate(); err != nil {
		t.Fatalf("at the limits: %.300v", err)
	}
	c.EAMT = eamts(MaxEAMT + 1)
	c.Interfaces.Capture4 = prefixes4(MaxPrefixList + 1)
	c.Interfaces.Deny4 = prefixes4(MaxPrefixList + 1)
	err := c.Validate()
	want := []string{
		"eamt: 65537 entries, at most 65536",
		"interfaces.capture4: 65537 prefixes, at most 65536",
		"interfaces.deny4: 65537 prefixes, at most 65536",
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Errorf("got\n%v\nwant\n%s", err, strings.Join(want, "\n"))
	}
}

// TestValidateReportsAll: every error is reported, also when another one
// is (issue 7: datapath.frames = -1 was not).
func TestValidateReportsAll(t *testing.T) {
	c := validConfig()
	c.Datapath.RingSize = 1000
	c.Datapath.Frames = -1
	want := "datapath.ring_size: 1000 is not a power of two between 64 and 16384\ndatapath.frames: -1 is not positive"
	if err := c.Validate(); err == nil || err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
	c = validConfig()
	c.Datapath.Frames = -1
	want = "datapath.frames: -1 is not positive"
	if err := c.Validate(); err == nil || err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
}

// TestInterfaceNameNUL: a NUL (or any control character) in an interface
// name is refused (issue 7).
func TestInterfaceNameNUL(t *testing.T) {
	for _, name := range []string{"eth\x000", "eth0\x00", "eth\t0", "eth\x7f"} {
		c := validConfig()
		c.Interfaces.IPv6 = name
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "is not a valid interface name") {
			t.Errorf("%q: %v", name, err)
		}
	}
	c := validConfig()
	c.Interfaces.IPv6 = "veth-6.10@x"
	if err := c.Validate(); err != nil {
		t.Errorf("a valid name refused: %v", err)
	}
}

// TestEAMInsideWKP: an EAM entry whose IPv6 prefix overlaps 64:ff9b::/96 is
// refused (RFC 6052 section 3.1); 64:ff9b:1::/48 (RFC 8215) is fine.
func TestEAMInsideWKP(t *testing.T) {
	for _, p6 := range []string{"64:ff9b::c000:200/120", "64:ff9b::/96", "64:ff9b::/64"} {
		c := validConfig()
		c.EAMT = []EAM{{IPv6: netip.MustParsePrefix(p6), IPv4: netip.MustParsePrefix("192.0.2.0/24")}}
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), "eamt[0].ipv6: "+p6+" overlaps the Well-Known Prefix") {
			t.Errorf("%s: %v", p6, err)
		}
	}
	c := validConfig()
	c.EAMT = []EAM{{IPv6: netip.MustParsePrefix("64:ff9b:1::c000:200/120"), IPv4: netip.MustParsePrefix("192.0.2.0/24")}}
	if err := c.Validate(); err != nil {
		t.Errorf("64:ff9b:1::/48 refused: %v", err)
	}
}

// TestMartianConfig: IPv4 addresses xlatd never lets out (0/8, 127/8,
// 224/3; RFC 1812 section 5.3.7) are refused as ICMP error sources and as
// EAM targets that could only ever be dropped (issue 7: martian addresses).
func TestMartianConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"ipv4_address loopback", func(c *Config) { c.Translate.IPv4Address = netip.MustParseAddr("127.0.0.1") },
			"translate.ipv4_address: 127.0.0.1 cannot be the source of ICMP errors"},
		{"ipv4_address this network", func(c *Config) { c.Translate.IPv4Address = netip.MustParseAddr("0.1.2.3") },
			"translate.ipv4_address: 0.1.2.3 cannot be the source of ICMP errors"},
		{"ipv4_address class E", func(c *Config) { c.Translate.IPv4Address = netip.MustParseAddr("240.0.0.1") },
			"translate.ipv4_address: 240.0.0.1 cannot be the source of ICMP errors"},
		{"rfc6791_v4 loopback", func(c *Config) { c.Translate.RFC6791v4 = netip.MustParsePrefix("127.0.0.0/30") },
			"translate.rfc6791_v4: 127.0.0.0/30 overlaps 127.0.0.0/8, addresses xlatd never sends (RFC 1812 section 5.3.7)"},
		{"eamt multicast", func(c *Config) {
			c.EAMT = []EAM{{IPv6: netip.MustParsePrefix("2001:db8:6::/120"), IPv4: netip.MustParsePrefix("224.0.1.0/24")}}
		}, "eamt[0].ipv4: 224.0.1.0/24 lies inside 224.0.0.0/3, addresses xlatd never translates (RFC 1812 section 5.3.7)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := validConfig()
			tc.mod(&c)
			if err := c.Validate(); err == nil || err.Error() != tc.want {
				t.Errorf("got\n%v\nwant\n%s", err, tc.want)
			}
		})
	}
	c := validConfig()
	c.EAMT = []EAM{{IPv6: netip.MustParsePrefix("2001:db8::/96"), IPv4: netip.MustParsePrefix("0.0.0.0/0")}}
	c.Translate.Pool6 = netip.Prefix{}
	if err := c.Validate(); err != nil {
		t.Errorf("an EAM of all IPv4 space (martians are dropped per packet): %v", err)
	}
}
