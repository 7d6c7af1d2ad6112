package config

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/xlatd/xlatd/config/nat64conf"
)

// Limits of the stateful NAT64 keys (nat64conf holds them).
const (
	MaxPool4Addresses         = nat64conf.MaxPool4Addresses
	MaxSessions               = nat64conf.MaxSessions
	MinSubscriberPrefixLength = nat64conf.MinSubscriberPrefixLength
	MaxPool4Blocks            = nat64conf.MaxPool4Blocks
)

// validateNAT64State checks the keys of stateful NAT64 beyond pool4, ports,
// blocks and the RFC minimum timeouts (validate.go).
func (c *Config) validateNAT64State(add func(error)) {
	n := &c.NAT64
	if a := n.Pool4Addresses(); a > MaxPool4Addresses {
		add(keyErr("nat64.pool4", "%d addresses is more than %d", a, MaxPool4Addresses))
	}
	for i, p := range n.Pool4 {
		for j := 0; j < i; j++ {
			if q := n.Pool4[j]; p.IsValid() && q.IsValid() && p.Overlaps(q) {
				add(keyErr(fmt.Sprintf("nat64.pool4[%d]", i), "%s overlaps nat64.pool4[%d] %s", p, j, q))
			}
		}
	}
	spl := n.SubscriberPrefixLength
	if spl < MinSubscriberPrefixLength || spl > 128 {
		add(keyErr("nat64.subscriber_prefix_length", "%d is not between %d and 128", spl, MinSubscriberPrefixLength))
	}
	for i, p := range n.Subscribers {
		k := fmt.Sprintf("nat64.subscribers[%d]", i)
		if err := prefix6(k, p); err != nil {
			add(err)
			continue
		}
		if p.Bits() > spl {
			add(keyErr(k, "%s is longer than nat64.subscriber_prefix_length %d", p, spl))
		}
		for j := 0; j < i; j++ {
			if q := n.Subscribers[j]; q.IsValid() && p.Overlaps(q) {
				add(keyErr(k, "%s overlaps nat64.subscribers[%d] %s", p, j, q))
			}
		}
	}
	if n.MaxSessionsPerSubscriber < 0 {
		add(keyErr("nat64.max_sessions_per_subscriber", "%d is negative (0 means only the port quota)", n.MaxSessionsPerSubscriber))
	}
	if n.MaxSessions < 0 || n.MaxSessions > MaxSessions {
		add(keyErr("nat64.max_sessions", "%d is not between 0 (sized from pool4 and ports) and %d", n.MaxSessions, MaxSessions))
	}
	switch n.Filtering {
	case "endpoint-independent", "address-dependent":
	default:
		add(keyErr("nat64.filtering", "must be endpoint-independent or address-dependent, not %q", n.Filtering))
	}
	if d := time.Duration(n.PortReuseDelay); d < 0 || d > time.Hour {
		add(keyErr("nat64.port_reuse_delay", "%s is not between 0s and 1h", d))
	}
	if d := time.Duration(n.Timeouts.TCPIncomingSYN); d < 6*time.Second || d > time.Minute {
		add(keyErr("nat64.timeouts.tcp_incoming_syn", "%s is not between 6s (RFC 6146 section 3.5.2.2) and 1m", d))
	}
	if d := time.Duration(n.Timeouts.Fragment); d < 2*time.Second || d > time.Minute {
		add(keyErr("nat64.timeouts.fragment", "%s is not between 2s (RFC 6146 section 4) and 1m", d))
	}
	portsOK := n.Ports.Lo != 0 && n.Ports.Lo <= n.Ports.Hi && n.PortBlockSize >= 1 && n.PortBlockSize <= n.Ports.Size() && n.MaxBlocksPerSubscriber >= 1
	if blocks := n.Pool4Addresses() * (n.Ports.Size() / max(n.PortBlockSize, 1)); portsOK && blocks > MaxPool4Blocks {
		add(keyErr("nat64.port_block_size", "%d gives %d port blocks in pool4, more than %d: use larger blocks", n.PortBlockSize, blocks, MaxPool4Blocks))
	}
	if portsOK && n.MaxBlocksPerSubscriber > n.Ports.Size()/n.PortBlockSize {
		add(keyErr("nat64.max_blocks_per_subscriber", "%d blocks of %d ports is more than nat64.ports holds (%d)", n.MaxBlocksPerSubscriber, n.PortBlockSize, n.Ports.Size()))
		portsOK = false
	}
	if n.Deterministic {
		if len(n.Subscribers) == 0 {
			add(keyErr("nat64.subscribers", "required when nat64.deterministic = true"))
		} else if portsOK && spl >= MinSubscriberPrefixLength && spl <= 128 {
			ranges := uint64(n.Pool4Addresses()) * uint64(n.Ports.Size()/n.DeterministicPorts())
			if s := n.SubscriberCount(); s > ranges {
				add(keyErr("nat64.subscribers", "%d subscribers (/%d) but pool4 holds only %d ranges of %d ports (nat64.port_block_size x nat64.max_blocks_per_subscriber)", s, spl, ranges, n.DeterministicPorts()))
			}
		}
	}
	c.validateStatic(add)
	switch c.Log.MappingsFormat {
	case "json", "text":
	default:
		add(keyErr("log.mappings_format", "must be json or text, not %q", c.Log.MappingsFormat))
	}
	if l := c.Log.IPFIX; l != "" {
		host, port, err := net.SplitHostPort(l)
		if err != nil || host == "" {
			add(keyErr("log.ipfix", "%q is not host:port (\"\" turns IPFIX off)", l))
		} else if p, err := strconv.ParseUint(port, 10, 16); err != nil || p == 0 {
			add(keyErr("log.ipfix", "%q: port %q is not a number 1-65535", l, port))
		}
	}
}

func (c *Config) validateStatic(add func(error)) {
	n := &c.NAT64
	type key4 struct {
		proto string
		a     netip.Addr
		p     int
	}
	seen6, seen4 := map[key4]int{}, map[key4]int{}
	for i, s := range n.Static {
		k := fmt.Sprintf("nat64.static[%d]", i)
		ok := true
		lo := 1
		switch s.Protocol {
		case "tcp", "udp":
		case "icmp":
			lo = 0
		default:
			add(keyErr(k+".protocol", "must be tcp, udp or icmp, not %q", s.Protocol))
			ok = false
		}
		if !s.IPv6.IsValid() || !s.IPv6.Is6() || s.IPv6.Is4In6() || s.IPv6.IsMulticast() || s.IPv6.IsUnspecified() {
			add(keyErr(k+".ipv6", "required: a unicast IPv6 address"))
			ok = false
		}
		if !s.IPv4.IsValid() || !s.IPv4.Is4() {
			add(keyErr(k+".ipv4", "required: an IPv4 address of nat64.pool4"))
			ok = false
		} else {
			in := false
			for _, p := range n.Pool4 {
				in = in || (p.IsValid() && p.Contains(s.IPv4))
			}
			if !in {
				add(keyErr(k+".ipv4", "%s is not in nat64.pool4", s.IPv4))
				ok = false
			}
		}
		if s.Port6 < lo || s.Port6 > 65535 {
			add(keyErr(k+".port6", "%d is not between %d and 65535", s.Port6, lo))
			ok = false
		}
		if s.Port4 < lo || s.Port4 > 65535 {
			add(keyErr(k+".port4", "%d is not between %d and 65535", s.Port4, lo))
			ok = false
		} else if s.Port4 >= int(n.Ports.Lo) && s.Port4 <= int(n.Ports.Hi) {
			// Dynamic port blocks cover nat64.ports whole; a static entry
			// inside would make one block partly someone else's.
			add(keyErr(k+".port4", "%d is inside nat64.ports %d-%d (static entries use the ports outside it)", s.Port4, n.Ports.Lo, n.Ports.Hi))
			ok = false
		}
		if !ok {
			continue
		}
		k6, k4 := key4{s.Protocol, s.IPv6, s.Port6}, key4{s.Protocol, s.IPv4, s.Port4}
		if m, dup := seen6[k6]; dup {
			add(keyErr(k, "%s [%s]:%d is already mapped by nat64.static[%d]", s.Protocol, s.IPv6, s.Port6, m))
		}
		if m, dup := seen4[k4]; dup {
			add(keyErr(k, "%s %s:%d is already mapped by nat64.static[%d]", s.Protocol, s.IPv4, s.Port4, m))
		}
		seen6[k6], seen4[k4] = i, i
	}
}
