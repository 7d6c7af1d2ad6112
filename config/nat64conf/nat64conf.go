// Package nat64conf holds the types of the [nat64] configuration table
// (../../shared/CONTRACT.md): a leaf package, so that package nat64 reads
// them without importing config, which builds batch.Config (holding a
// *nat64.Plan). Package config names them through aliases (config.NAT64,
// config.Static, ...) and validates them.
package nat64conf

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Limits of the stateful NAT64 keys.
const (
	// MaxPool4Addresses bounds the IPv4 addresses of nat64.pool4, so that
	// the port-block tables stay a few megabytes.
	MaxPool4Addresses = 1 << 16
	// MaxSessions bounds nat64.max_sessions (session indices are 32-bit).
	MaxSessions = 1 << 28
	// MinSubscriberPrefixLength is the shortest nat64.subscriber_prefix_length.
	MinSubscriberPrefixLength = 32
	// MaxPool4Blocks bounds the port blocks of pool4 (addresses x ports /
	// port_block_size): the NAT64 state keeps 8 bytes for each.
	MaxPool4Blocks = 1 << 24
)

// Pool4Addresses is the number of IPv4 addresses in nat64.pool4.
func (n *NAT64) Pool4Addresses() int {
	t := 0
	for _, p := range n.Pool4 {
		if p.IsValid() && p.Addr().Is4() {
			t += 1 << (32 - p.Bits())
		}
	}
	return t
}

// DeterministicPorts is the size of the port range every subscriber gets in
// deterministic mode: max_blocks_per_subscriber blocks of port_block_size.
func (n *NAT64) DeterministicPorts() int { return n.PortBlockSize * n.MaxBlocksPerSubscriber }

// SubscriberCount is the number of subscribers nat64.subscribers holds at
// nat64.subscriber_prefix_length (saturated at 1<<62).
func (n *NAT64) SubscriberCount() uint64 {
	var t uint64
	for _, p := range n.Subscribers {
		d := n.SubscriberPrefixLength - p.Bits()
		if d < 0 {
			d = 0
		}
		if d >= 62 || t+1<<d > 1<<62 {
			return 1 << 62
		}
		t += 1 << d
	}
	return t
}

// NAT64 is the [nat64] table. It is validated in full although this build
// does not translate in NAT64 mode.
type NAT64 struct {
	Pool4                  []netip.Prefix `toml:"pool4"`
	Ports                  PortRange      `toml:"ports"`
	PortBlockSize          int            `toml:"port_block_size"`
	MaxBlocksPerSubscriber int            `toml:"max_blocks_per_subscriber"`
	Deterministic          bool           `toml:"deterministic"`
	// SubscriberPrefixLength is the IPv6 prefix length that makes one
	// subscriber (RFC 6888 REQ-2/4: quotas and paired pooling apply to it).
	SubscriberPrefixLength   int            `toml:"subscriber_prefix_length"`
	Subscribers              []netip.Prefix `toml:"subscribers"`                 // where subscribers come from; [] = any (not deterministic)
	MaxSessionsPerSubscriber int            `toml:"max_sessions_per_subscriber"` // 0 = port quota only
	MaxSessions              int            `toml:"max_sessions"`                // 0 = sized from pool4 and ports
	Filtering                string         `toml:"filtering"`                   // endpoint-independent | address-dependent
	PortReuseDelay           Duration       `toml:"port_reuse_delay"`            // RFC 6888 REQ-8
	Timeouts                 Timeouts       `toml:"timeouts"`
	Static                   []Static       `toml:"static"`
}

// Static is one [[nat64.static]] BIB entry.
type Static struct {
	Protocol string     `toml:"protocol"` // tcp | udp | icmp
	IPv6     netip.Addr `toml:"ipv6"`
	Port6    int        `toml:"port6"` // ICMP: the query identifier
	IPv4     netip.Addr `toml:"ipv4"`
	Port4    int        `toml:"port4"`
}

// Timeouts is [nat64.timeouts].
type Timeouts struct {
	UDP            Duration `toml:"udp"`
	TCPEstablished Duration `toml:"tcp_established"`
	TCPTransitory  Duration `toml:"tcp_transitory"`
	TCPIncomingSYN Duration `toml:"tcp_incoming_syn"` // RFC 6146 3.5.2.2: an unsolicited IPv4 SYN is held this long
	ICMP           Duration `toml:"icmp"`
	Fragment       Duration `toml:"fragment"` // fragments waiting for their first fragment
}

// Default is the [nat64] table of CONTRACT.md: Jool's defaults where the
// RFCs leave a choice.
func Default() NAT64 {
	return NAT64{
		Ports:                  PortRange{1024, 65535},
		PortBlockSize:          128,
		MaxBlocksPerSubscriber: 8,
		SubscriberPrefixLength: 128,
		Filtering:              "endpoint-independent",
		PortReuseDelay:         Duration(120 * time.Second),
		Timeouts: Timeouts{
			UDP:            Duration(5 * time.Minute),
			TCPEstablished: Duration(2*time.Hour + 4*time.Minute),
			TCPTransitory:  Duration(4 * time.Minute),
			TCPIncomingSYN: Duration(6 * time.Second),
			ICMP:           Duration(60 * time.Second),
			Fragment:       Duration(2 * time.Second),
		},
	}
}

// PortRange is "lo-hi" (or a single port).
type PortRange struct{ Lo, Hi uint16 }

// UnmarshalText parses "1024-65535".
func (p *PortRange) UnmarshalText(b []byte) error {
	s := string(b)
	lo, hi, found := strings.Cut(s, "-")
	if !found {
		hi = lo
	}
	l, err1 := strconv.ParseUint(strings.TrimSpace(lo), 10, 16)
	h, err2 := strconv.ParseUint(strings.TrimSpace(hi), 10, 16)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("%q is not a port range like \"1024-65535\"", s)
	}
	p.Lo, p.Hi = uint16(l), uint16(h)
	return nil
}

// MarshalText formats the range as "lo-hi".
func (p PortRange) MarshalText() ([]byte, error) {
	return []byte(fmt.Sprintf("%d-%d", p.Lo, p.Hi)), nil
}

// Size is the number of ports in the range.
func (p PortRange) Size() int { return int(p.Hi) - int(p.Lo) + 1 }

// Duration is a time.Duration written as a Go duration string ("2h4m").
type Duration time.Duration

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration like \"5m\" or \"2h4m\"", string(b))
	}
	*d = Duration(v)
	return nil
}

// MarshalText formats the duration.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }
