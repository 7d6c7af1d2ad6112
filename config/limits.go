package config

import "net/netip"

// Limits of the datapath, checked by Validate in the config's own terms so
// that `xlatd -check` refuses what the daemon could not hold
// (docs/CONFIG.md, "Limits"). The XDP program's prefix tries hold
// afxdp.MaxPrefixes entries each; dataplane's TestConfigLimitsFitPrograms
// checks that a configuration at every limit fits, with room left for the
// box's own addresses (which go into the deny tries too).
const (
	MaxEAMT       = 65536 // [[eamt]] entries
	MaxPrefixList = 65536 // entries of interfaces.capture4 and of interfaces.deny4
	MaxQueues     = 1024  // interfaces.queues (the XDP program's socket map, afxdp.MaxQueues)
)

// wkp is the Well-Known Prefix of RFC 6052 section 2.1.
var wkp = netip.MustParsePrefix("64:ff9b::/96")

func (c *Config) validateLimits(add func(error)) {
	if n := len(c.EAMT); n > MaxEAMT {
		add(keyErr("eamt", "%d entries, at most %d", n, MaxEAMT))
	}
	if n := len(c.Interfaces.Capture4); n > MaxPrefixList {
		add(keyErr("interfaces.capture4", "%d prefixes, at most %d", n, MaxPrefixList))
	}
	if n := len(c.Interfaces.Deny4); n > MaxPrefixList {
		add(keyErr("interfaces.deny4", "%d prefixes, at most %d", n, MaxPrefixList))
	}
}

// martian4 are the IPv4 blocks no packet xlatd sends may carry, in either
// direction (batch's martian4: RFC 1812 section 5.3.7, RFC 7915 section
// 4.1): "this network", loopback, and multicast, class E and the limited
// broadcast address.
var martian4 = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("224.0.0.0/3"),
}

// martianOverlap returns the martian block p overlaps (inside: that p lies
// inside), or the zero Prefix.
func martianOverlap(p netip.Prefix, inside bool) netip.Prefix {
	for _, m := range martian4 {
		if inside && m.Bits() <= p.Bits() && m.Contains(p.Addr()) || !inside && m.Overlaps(p) {
			return m
		}
	}
	return netip.Prefix{}
}
