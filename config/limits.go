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
