package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xlatd/xlatd/mapping"
)

// Validate checks every key of c and returns all problems found (an Errors),
// or nil. It never looks at the system; see CheckInterfaces.
func (c *Config) Validate() error {
	var errs Errors
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	c.validateInterfaces(add)
	c.validateTranslate(add)
	c.validateEAMT(add)
	c.validateNAT64(add)
	c.validateRest(add)
	c.validateLimits(add)
	if len(errs) == 0 {
		if _, err := c.Table(); err != nil {
			add(err)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

func validIfName(s string) bool {
	if s == "" || len(s) > 15 || s == "." || s == ".." {
		return false
	}
	// Linux (dev_valid_name) refuses '/', ':' and white space; a NUL
	// byte would end the name early in every C string the kernel sees.
	for _, r := range s {
		if r < ' ' || r == 0x7f || r == '/' || r == ':' || r == ' ' {
			return false
		}
	}
	return true
}

func (c *Config) validateInterfaces(add func(error)) {
	i := &c.Interfaces
	for _, k := range []struct{ key, val string }{{"interfaces.ipv6", i.IPv6}, {"interfaces.ipv4", i.IPv4}} {
		switch {
		case k.val == "":
			add(keyErr(k.key, "required: the name of an interface"))
		case !validIfName(k.val):
			add(keyErr(k.key, "%q is not a valid interface name", k.val))
		}
	}
	if i.Queues < 0 || i.Queues > MaxQueues {
		add(keyErr("interfaces.queues", "%d is not between 0 (all) and %d", i.Queues, MaxQueues))
	}
	switch i.XDPMode {
	case "auto", "native", "generic":
	default:
		add(keyErr("interfaces.xdp_mode", "must be auto, native or generic, not %q", i.XDPMode))
	}
	switch i.ZeroCopy {
	case "auto", "on", "off":
	default:
		add(keyErr("interfaces.zerocopy", "must be auto, on or off, not %q", i.ZeroCopy))
	}
	for n, p := range i.Capture4 {
		add(prefix4(fmt.Sprintf("interfaces.capture4[%d]", n), p))
	}
	for n, p := range i.Deny4 {
		add(prefix4(fmt.Sprintf("interfaces.deny4[%d]", n), p))
	}
}

// prefix4 checks a required IPv4 prefix without host bits.
func prefix4(key string, p netip.Prefix) error {
	switch {
	case !p.IsValid():
		return keyErr(key, "required: an IPv4 prefix such as 192.0.2.0/24")
	case !p.Addr().Is4():
		return keyErr(key, "%s is not an IPv4 prefix", p)
	case p.Masked() != p:
		return keyErr(key, "%s has bits set beyond the prefix length (did you mean %s?)", p, p.Masked())
	}
	return nil
}

// prefix6 checks a required IPv6 prefix without host bits.
func prefix6(key string, p netip.Prefix) error {
	switch {
	case !p.IsValid():
		return keyErr(key, "required: an IPv6 prefix such as 2001:db8::/96")
	case !p.Addr().Is6() || p.Addr().Is4In6():
		return keyErr(key, "%s is not an IPv6 prefix", p)
	case p.Masked() != p:
		return keyErr(key, "%s has bits set beyond the prefix length (did you mean %s?)", p, p.Masked())
	}
	return nil
}

func (c *Config) validateTranslate(add func(error)) {
	t := &c.Translate
	switch t.Mode {
	case "siit":
	case "nat64":
		if !t.Pool6.IsValid() {
			add(keyErr("translate.pool6", "required when translate.mode = \"nat64\" (IPv6 hosts reach IPv4 through it)"))
		}
	default:
		add(keyErr("translate.mode", "must be siit or nat64, not %q", t.Mode))
	}
	if t.Pool6.IsValid() {
		if err := prefix6("translate.pool6", t.Pool6); err != nil {
			add(err)
		} else if b := t.Pool6.Bits(); b != 32 && b != 40 && b != 48 && b != 56 && b != 64 && b != 96 {
			add(keyErr("translate.pool6", "prefix length %d is not one of 32,40,48,56,64,96", b))
		} else if a := t.Pool6.Addr().As16(); b == 96 && a[8] != 0 {
			add(keyErr("translate.pool6", "%s: bits 64-71 (the RFC 6052 \"u\" octet) must be zero", t.Pool6))
		}
	} else if len(c.EAMT) == 0 && t.Mode == "siit" {
		add(keyErr("translate.pool6", "empty and no [[eamt]] entries: nothing to translate"))
	}
	if a := t.IPv4Address; a.IsValid() {
		if !a.Is4() {
			add(keyErr("translate.ipv4_address", "%s is not an IPv4 address", a))
		} else if martianOverlap(netip.PrefixFrom(a, 32), true).IsValid() {
			add(keyErr("translate.ipv4_address", "%s cannot be the source of ICMP errors", a))
		}
	}
	if a := t.IPv6Address; a.IsValid() {
		if !a.Is6() || a.Is4In6() {
			add(keyErr("translate.ipv6_address", "%s is not an IPv6 address", a))
		} else if a.IsUnspecified() || a.IsMulticast() {
			add(keyErr("translate.ipv6_address", "%s cannot be the source of ICMP errors", a))
		}
	}
	if t.LowestIPv6MTU < 1280 || t.LowestIPv6MTU > 65535 {
		add(keyErr("translate.lowest_ipv6_mtu", "%d is not between 1280 and 65535", t.LowestIPv6MTU))
	}
	if t.TOS < 0 || t.TOS > 255 {
		add(keyErr("translate.tos", "%d is not between 0 and 255", t.TOS))
	}
	if t.RFC6791v4.IsValid() {
		if err := prefix4("translate.rfc6791_v4", t.RFC6791v4); err != nil {
			add(err)
		} else if m := martianOverlap(t.RFC6791v4, false); m.IsValid() {
			add(keyErr("translate.rfc6791_v4", "%s overlaps %s, addresses xlatd never sends (RFC 1812 section 5.3.7)", t.RFC6791v4, m))
		}
	}
	if t.RFC6791v6.IsValid() {
		add(prefix6("translate.rfc6791_v6", t.RFC6791v6))
	}
	if t.ICMPErrorsPerSecond < 0 {
		add(keyErr("translate.icmp_errors_per_second", "%d is negative (0 means unlimited)", t.ICMPErrorsPerSecond))
	}
}

func (c *Config) validateEAMT(add func(error)) {
	seen6 := map[netip.Prefix]int{}
	seen4 := map[netip.Prefix]int{}
	for n, e := range c.EAMT {
		k := fmt.Sprintf("eamt[%d]", n)
		err6 := prefix6(k+".ipv6", e.IPv6)
		err4 := prefix4(k+".ipv4", e.IPv4)
		add(err6)
		add(err4)
		if err6 != nil || err4 != nil {
			continue
		}
		// RFC 7757 section 3.2 copies the IPv4 suffix right after the IPv6
		// prefix: the IPv6 suffix must have room for it (a longer one is
		// allowed, as in Jool).
		if s6, s4 := 128-e.IPv6.Bits(), 32-e.IPv4.Bits(); s4 > s6 {
			add(keyErr(k, "ipv4 %s leaves %d suffix bits but ipv6 %s only %d (RFC 7757 section 3.2)", e.IPv4, s4, e.IPv6, s6))
			continue
		}
		// RFC 6052 section 3.1: an address under the Well-Known Prefix
		// stands for the IPv4 address it embeds, everywhere; an EAM there
		// would give it another meaning, or a non-global IPv4 address,
		// which "MUST NOT" be represented with it. RFC 7757 leaves the
		// choice of EAM prefixes to the operator; the local-use prefix
		// 64:ff9b:1::/48 (RFC 8215) is the place for such mappings.
		// An EAM whose IPv4 side is all martian could only ever drop.
		// (One that merely overlaps them, like 0.0.0.0/0, is fine: the
		// martians are refused packet by packet.)
		if m := martianOverlap(e.IPv4, true); m.IsValid() {
			add(keyErr(k+".ipv4", "%s lies inside %s, addresses xlatd never translates (RFC 1812 section 5.3.7)", e.IPv4, m))
			continue
		}
		if e.IPv6.Overlaps(wkp) {
			add(keyErr(k+".ipv6", "%s overlaps the Well-Known Prefix 64:ff9b::/96, whose addresses mean the IPv4 address they embed (RFC 6052 section 3.1); use 64:ff9b:1::/48 (RFC 8215) or a prefix of your own", e.IPv6))
			continue
		}
		if m, ok := seen6[e.IPv6]; ok {
			add(keyErr(k+".ipv6", "%s is already mapped by eamt[%d]", e.IPv6, m))
		}
		if m, ok := seen4[e.IPv4]; ok {
			add(keyErr(k+".ipv4", "%s is already mapped by eamt[%d]", e.IPv4, m))
		}
		seen6[e.IPv6], seen4[e.IPv4] = n, n
	}
}

func (c *Config) validateNAT64(add func(error)) {
	n := &c.NAT64
	if c.Translate.Mode == "nat64" && len(n.Pool4) == 0 {
		add(keyErr("nat64.pool4", "required when translate.mode = \"nat64\""))
	}
	for i, p := range n.Pool4 {
		add(prefix4(fmt.Sprintf("nat64.pool4[%d]", i), p))
		if c.Translate.Mode != "nat64" || !p.IsValid() {
			continue
		}
		for j, e := range c.EAMT {
			if e.IPv4.IsValid() && e.IPv4.Overlaps(p) {
				add(keyErr(fmt.Sprintf("nat64.pool4[%d]", i), "%s overlaps eamt[%d].ipv4 %s (an IPv4 address is either NAT64 state or an explicit mapping)", p, j, e.IPv4))
			}
		}
		for j, d := range c.Interfaces.Deny4 {
			if d.IsValid() && d.Overlaps(p) {
				add(keyErr(fmt.Sprintf("nat64.pool4[%d]", i), "%s overlaps interfaces.deny4[%d] %s (replies to pool4 would never reach xlatd)", p, j, d))
			}
		}
	}
	if n.Ports.Lo == 0 || n.Ports.Lo > n.Ports.Hi {
		add(keyErr("nat64.ports", "%d-%d is not a range of ports 1-65535 with low <= high", n.Ports.Lo, n.Ports.Hi))
	} else if n.PortBlockSize > n.Ports.Size() {
		add(keyErr("nat64.port_block_size", "%d is larger than nat64.ports (%d ports)", n.PortBlockSize, n.Ports.Size()))
	}
	if n.PortBlockSize < 1 {
		add(keyErr("nat64.port_block_size", "%d is not positive", n.PortBlockSize))
	}
	if n.MaxBlocksPerSubscriber < 1 {
		add(keyErr("nat64.max_blocks_per_subscriber", "%d is not positive", n.MaxBlocksPerSubscriber))
	}
	// Minimums of RFC 4787 (REQ-5), RFC 5382 (REQ-5) and RFC 5508; Jool
	// enforces the same.
	for _, t := range []struct {
		key string
		d   Duration
		min time.Duration
		rfc string
	}{
		{"nat64.timeouts.udp", n.Timeouts.UDP, 2 * time.Minute, "RFC 4787"},
		{"nat64.timeouts.tcp_established", n.Timeouts.TCPEstablished, 2*time.Hour + 4*time.Minute, "RFC 5382"},
		{"nat64.timeouts.tcp_transitory", n.Timeouts.TCPTransitory, 4 * time.Minute, "RFC 5382"},
		{"nat64.timeouts.icmp", n.Timeouts.ICMP, time.Second, "RFC 5508"},
	} {
		if time.Duration(t.d) < t.min {
			add(keyErr(t.key, "%s is shorter than the minimum %s (%s)", time.Duration(t.d), t.min, t.rfc))
		}
	}
	c.validateNAT64State(add) // nat64.go
}

func (c *Config) validateRest(add func(error)) {
	if c.Log.Mappings == "" {
		add(keyErr("log.mappings", "must be stderr, off or a file path"))
	}
	if l := c.Metrics.Listen; l != "" {
		host, port, err := net.SplitHostPort(l)
		if err != nil {
			add(keyErr("metrics.listen", "%q is not host:port (\"\" turns metrics off)", l))
		} else if p, err := strconv.ParseUint(port, 10, 16); err != nil || (p == 0 && port != "0") {
			add(keyErr("metrics.listen", "%q: port %q is not a number 0-65535", l, port))
		} else if host != "" && host != "localhost" {
			if _, err := netip.ParseAddr(host); err != nil {
				add(keyErr("metrics.listen", "%q: host %q is not an IP address or localhost", l, host))
			}
		}
	}
	d := &c.Datapath
	ringOK := d.RingSize >= 64 && d.RingSize <= 16384 && d.RingSize&(d.RingSize-1) == 0
	if !ringOK {
		add(keyErr("datapath.ring_size", "%d is not a power of two between 64 and 16384", d.RingSize))
	}
	if d.Frames < 1 {
		add(keyErr("datapath.frames", "%d is not positive", d.Frames))
	} else if ringOK && d.Frames < 4*d.RingSize {
		add(keyErr("datapath.frames", "%d is less than 4 x datapath.ring_size (%d)", d.Frames, 4*d.RingSize))
	}
	if d.Frames > 1<<20 {
		add(keyErr("datapath.frames", "%d is more than %d", d.Frames, 1<<20))
	}
	if d.NAPIBusyPoll < 0 || d.NAPIBusyPoll > 65535 {
		add(keyErr("datapath.napi_busy_poll", "%d is not between 0 (off) and 65535", d.NAPIBusyPoll))
	}
	if d.FrameSize != 2048 && d.FrameSize != 4096 {
		add(keyErr("datapath.frame_size", "%d is not 2048 or 4096", d.FrameSize))
	}
	if d.Batch < 1 || d.Batch > 64 {
		add(keyErr("datapath.batch", "%d is not between 1 and 64", d.Batch))
	}
	for i, cpu := range d.CPUs {
		if cpu < 0 || cpu >= MaxCPU {
			add(keyErr("datapath.cpus", "CPU %d is not between 0 and %d", cpu, MaxCPU-1))
		} else if slices.Contains(d.CPUs[:i], cpu) {
			add(keyErr("datapath.cpus", "CPU %d is listed twice", cpu))
		}
	}
	if s := c.Control.Socket; s != "" && !filepath.IsAbs(s) {
		add(keyErr("control.socket", "%q is not an absolute path (\"\" turns the control socket off)", s))
	}
}

// MaxCPU bounds the CPU numbers datapath.cpus takes (CPU_SETSIZE).
const MaxCPU = 1024

// CheckInterfaces checks that the configured interfaces exist, with lookup
// (net.InterfaceByName when nil). Missing interfaces are reported as
// "interfaces.ipv6: interface "eth9" does not exist".
func (c *Config) CheckInterfaces(lookup func(name string) error) error {
	if lookup == nil {
		lookup = func(name string) error {
			_, err := net.InterfaceByName(name)
			return err
		}
	}
	var errs Errors
	for _, k := range []struct{ key, val string }{{"interfaces.ipv6", c.Interfaces.IPv6}, {"interfaces.ipv4", c.Interfaces.IPv4}} {
		if k.val == "" || (k.key == "interfaces.ipv4" && c.Interfaces.OneArmed()) {
			continue
		}
		if err := lookup(k.val); err != nil {
			errs = append(errs, keyErr(k.key, "interface %q does not exist", k.val))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// Table builds the address-mapping table (pool6 and EAMT).
func (c *Config) Table() (*mapping.Table, error) {
	eams := make([]mapping.EAM, len(c.EAMT))
	for i, e := range c.EAMT {
		eams[i] = mapping.EAM{IPv6: e.IPv6, IPv4: e.IPv4}
	}
	t, err := mapping.NewTable(c.Translate.Pool6, eams)
	var ee *mapping.EAMError
	if errors.As(err, &ee) {
		return nil, keyErr(fmt.Sprintf("eamt[%d]", ee.Index), "%s", strings.TrimPrefix(ee.Error(), fmt.Sprintf("entry %d ", ee.Index)))
	}
	if err != nil {
		return nil, fmt.Errorf("eamt: %w", err)
	}
	return t, nil
}
