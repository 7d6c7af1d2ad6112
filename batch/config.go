package batch

// Derived values of the configuration.

import "github.com/xlatd/xlatd/header"

// mtu6 returns the IPv6 egress MTU (unset = no limit below 65535).
func (c *Config) mtu6() int {
	if c.MTU6 <= 0 {
		return 65535
	}
	return c.MTU6
}

// mpl46 returns the largest IPv6 packet xlatd sends for an IPv4 packet
// without DF: lowest_ipv6_mtu, never above the egress MTU, never below 1280
// (RFC 7915 section 4: fragments sized for the minimum IPv6 MTU).
func (c *Config) mpl46() int {
	m := c.LowestIPv6MTU
	if m <= 0 {
		m = header.IPv6MinMTU
	}
	return max(min(m, c.mtu6()), header.IPv6MinMTU)
}

// mtu4 returns the IPv4 egress MTU (unset: 1500).
func (c *Config) mtu4() int {
	if c.MTU4 <= 0 {
		return 1500
	}
	return c.MTU4
}
