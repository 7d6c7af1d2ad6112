package mapping

import "net/netip"

// Result says why an address did or did not translate.
type Result uint8

const (
	OK           Result = iota
	NoMatch             // neither the EAMT nor pool6 covers the address
	NonGlobalWKP        // 64:ff9b::/96 with a non-global IPv4 address (RFC 6052 section 3.1)
)

// EAM is one RFC 7757 explicit address mapping.
type EAM struct {
	IPv6 netip.Prefix
	IPv4 netip.Prefix
}

// Table is the immutable address-translation state the hot path reads:
// the EAMT, consulted first (RFC 7757 section 3.2), then pool6.
// A Table is built once and replaced whole on reconfiguration.
type Table struct {
	pool6  netip.Prefix // invalid when there is no pool6
	pool6b [16]byte
	wkp    bool
	eams   []EAM
}

// NewTable validates and builds a Table. pool6 may be the zero Prefix.
func NewTable(pool6 netip.Prefix, eams []EAM) (*Table, error) {
	t := &Table{eams: append([]EAM(nil), eams...)}
	if pool6.IsValid() {
		if !pool6.Addr().Is6() || !validLen(pool6.Bits()) {
			return nil, ErrPrefixLength
		}
		t.pool6 = pool6.Masked()
		t.pool6b = t.pool6.Addr().As16()
		t.wkp = t.pool6 == netip.MustParsePrefix("64:ff9b::/96")
	}
	return t, nil
}

// Pool6 returns the RFC 6052 prefix, or the zero Prefix.
func (t *Table) Pool6() netip.Prefix { return t.pool6 }

// To4 translates an IPv6 address to IPv4 (EAMT first, then pool6).
func (t *Table) To4(v6 *[16]byte, out *[4]byte) Result {
	a := netip.AddrFrom16(*v6)
	for _, e := range t.eams {
		if e.IPv6.Contains(a) {
			*out = xlate6to4(e, v6)
			return OK
		}
	}
	if t.pool6.IsValid() && t.pool6.Contains(a) {
		v4 := extract(v6, t.pool6.Bits())
		if t.wkp && !isGlobal4(v4) {
			return NonGlobalWKP
		}
		*out = v4
		return OK
	}
	return NoMatch
}

// To6 translates an IPv4 address to IPv6 (EAMT first, then pool6).
func (t *Table) To6(v4 *[4]byte, out *[16]byte) Result {
	a := netip.AddrFrom4(*v4)
	for _, e := range t.eams {
		if e.IPv4.Contains(a) {
			*out = xlate4to6(e, v4)
			return OK
		}
	}
	if t.pool6.IsValid() {
		if t.wkp && !isGlobal4(*v4) {
			return NonGlobalWKP
		}
		*out = t.pool6b
		embed(out, t.pool6.Bits(), *v4)
		return OK
	}
	return NoMatch
}

// Placeholder for the suffix copy; replaced by the real EAMT.
func xlate6to4(e EAM, v6 *[16]byte) [4]byte {
	b := e.IPv4.Masked().Addr().As4()
	return b
}

func xlate4to6(e EAM, v4 *[4]byte) [16]byte {
	return e.IPv6.Masked().Addr().As16()
}

func isGlobal4(v4 [4]byte) bool {
	a := netip.AddrFrom4(v4)
	return a.IsGlobalUnicast() && !a.IsPrivate()
}

// HasPool6 reports whether the table has an RFC 6052 prefix.
func (t *Table) HasPool6() bool { return t.pool6.IsValid() }

// EAMs returns the table's explicit mappings (do not modify).
func (t *Table) EAMs() []EAM { return t.eams }

// To4Pool6 translates with pool6 only (no EAMT).
func (t *Table) To4Pool6(v6 *[16]byte, out *[4]byte) Result {
	a := netip.AddrFrom16(*v6)
	if t.pool6.IsValid() && t.pool6.Contains(a) {
		v4 := extract(v6, t.pool6.Bits())
		if t.wkp && !isGlobal4(v4) {
			return NonGlobalWKP
		}
		*out = v4
		return OK
	}
	return NoMatch
}

// To6Pool6 translates with pool6 only (no EAMT).
func (t *Table) To6Pool6(v4 *[4]byte, out *[16]byte) Result {
	if !t.pool6.IsValid() {
		return NoMatch
	}
	if t.wkp && !isGlobal4(*v4) {
		return NonGlobalWKP
	}
	*out = t.pool6b
	embed(out, t.pool6.Bits(), *v4)
	return OK
}

// InEAMT4 reports whether an EAM's IPv4 prefix covers v4 (RFC 7757 hairpinning).
func (t *Table) InEAMT4(v4 *[4]byte) bool {
	a := netip.AddrFrom4(*v4)
	for _, e := range t.eams {
		if e.IPv4.Contains(a) {
			return true
		}
	}
	return false
}

// InEAMT6 reports whether an EAM's IPv6 prefix covers v6.
func (t *Table) InEAMT6(v6 *[16]byte) bool {
	a := netip.AddrFrom16(*v6)
	for _, e := range t.eams {
		if e.IPv6.Contains(a) {
			return true
		}
	}
	return false
}
