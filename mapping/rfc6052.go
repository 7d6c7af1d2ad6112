// Package mapping translates addresses between IPv4 and IPv6: RFC 6052
// IPv4-embedded IPv6 addresses, the RFC 7757 Explicit Address Mapping Table
// and the combination the translator uses on the hot path.
//
// The public face is Embed and Extract (net/netip values, for the control
// plane and tests) and Table (byte arrays, for the data plane: no
// allocation, no lock, read-only after NewTable).
package mapping

import (
	"errors"
	"fmt"
	"net/netip"
)

// ErrPrefixLength reports a prefix length RFC 6052 does not allow.
// Errors from this package that carry the offending length wrap it, so
// errors.Is(err, ErrPrefixLength) holds while err.Error() reads
// "prefix length 33 is not one of 32,40,48,56,64,96".
var ErrPrefixLength = errors.New("prefix length is not one of 32,40,48,56,64,96")

// ErrNotIPv6Prefix reports an RFC 6052 prefix that is not a usable IPv6
// prefix: invalid, IPv4, or overlapping ::ffff:0:0/96 (IPv4-mapped
// addresses never appear on the wire, RFC 4291 section 2.5.5.2, and a
// prefix such as ::/64 would embed some IPv4 addresses as IPv4-mapped ones).
var ErrNotIPv6Prefix = errors.New("not an IPv6 prefix")

// ErrReservedBits reports a /96 prefix whose bits 64-71 are not zero.
var ErrReservedBits = errors.New(`bits 64-71 (the RFC 6052 "u" octet) must be zero`)

// mappedPrefix is the IPv4-mapped range (RFC 4291 section 2.5.5.2).
var mappedPrefix = netip.MustParsePrefix("::ffff:0:0/96")

// ErrNotInPrefix reports an address outside the prefix it is extracted from.
var ErrNotInPrefix = errors.New("address is not inside the prefix")

// ErrAddress reports an address of the wrong kind: not IPv4 for Embed; not
// IPv6, IPv4-mapped or carrying a zone for Extract.
var ErrAddress = errors.New("unusable address")

// prefixLengthError carries the offending length and wraps ErrPrefixLength.
type prefixLengthError int

func (e prefixLengthError) Error() string {
	return fmt.Sprintf("prefix length %d is not one of 32,40,48,56,64,96", int(e))
}

func (e prefixLengthError) Unwrap() error { return ErrPrefixLength }

// ValidatePrefix checks that p can be an RFC 6052 prefix (pool6): an IPv6
// prefix (clear of the IPv4-mapped range) of length 32, 40, 48, 56, 64 or 96 and, for
// /96, zero bits 64-71. RFC 6052 section 2.2:
//
//	Bits 64 to 71 of the address are reserved for compatibility with the
//	host identifier format defined in the IPv6 addressing architecture
//	[RFC4291].  These bits MUST be set to zero.  When using a /96
//	Network-Specific Prefix, the administrators MUST ensure that the bits
//	64 to 71 are set to zero.
//
// Bits beyond the prefix length are ignored (Embed and Table mask them off).
// The error names the problem without the prefix's config key, e.g.
// "prefix length 33 is not one of 32,40,48,56,64,96".
func ValidatePrefix(p netip.Prefix) error {
	if !p.IsValid() || !p.Addr().Is6() {
		return fmt.Errorf("%s is %w", p, ErrNotIPv6Prefix)
	}
	n := p.Bits()
	if !validLen(n) {
		return prefixLengthError(n)
	}
	if p.Overlaps(mappedPrefix) {
		return fmt.Errorf("%s overlaps the IPv4-mapped range ::ffff:0:0/96: %w", p, ErrNotIPv6Prefix)
	}
	if n == 96 && p.Addr().As16()[8] != 0 {
		return fmt.Errorf("%s: %w", p, ErrReservedBits)
	}
	return nil
}

// Embed returns the IPv4-embedded IPv6 address of v4 under prefix
// (RFC 6052 section 2.2). Bits 64-71 ("u") and the suffix are zero:
//
//	The suffix bits are reserved for future extensions and SHOULD be set
//	to zero.
//
// Bits of prefix beyond its length are ignored. v4 must be a plain IPv4
// address (an IPv4-mapped IPv6 address is refused rather than unmapped, so
// that a caller's mix-up shows).
func Embed(prefix netip.Prefix, v4 netip.Addr) (netip.Addr, error) {
	if !v4.Is4() {
		return netip.Addr{}, fmt.Errorf("mapping: %s is not an IPv4 address: %w", v4, ErrAddress)
	}
	if err := ValidatePrefix(prefix); err != nil {
		return netip.Addr{}, fmt.Errorf("mapping: %w", err)
	}
	out := prefix.Masked().Addr().As16()
	embed(&out, prefix.Bits(), v4.As4())
	return netip.AddrFrom16(out), nil
}

// Extract returns the IPv4 address embedded in v6 under prefix. v6 must lie
// inside prefix. The "u" octet and the suffix are ignored, not checked:
// RFC 6052 section 2.2 reserves the suffix "for future extensions", so an
// address with a non-zero suffix is still the same IPv4 address. Zoned and
// IPv4-mapped addresses are refused.
func Extract(prefix netip.Prefix, v6 netip.Addr) (netip.Addr, error) {
	if err := ValidatePrefix(prefix); err != nil {
		return netip.Addr{}, fmt.Errorf("mapping: %w", err)
	}
	switch {
	case !v6.Is6():
		return netip.Addr{}, fmt.Errorf("mapping: %s is not an IPv6 address: %w", v6, ErrAddress)
	case v6.Is4In6():
		return netip.Addr{}, fmt.Errorf("mapping: %s is an IPv4-mapped address: %w", v6, ErrAddress)
	case v6.Zone() != "":
		return netip.Addr{}, fmt.Errorf("mapping: %s carries a zone: %w", v6, ErrAddress)
	case !prefix.Contains(v6):
		return netip.Addr{}, fmt.Errorf("mapping: %s is not inside %s: %w", v6, prefix.Masked(), ErrNotInPrefix)
	}
	a := v6.As16()
	return netip.AddrFrom4(extract(&a, prefix.Bits())), nil
}

func validLen(n int) bool {
	switch n {
	case 32, 40, 48, 56, 64, 96:
		return true
	}
	return false
}

// embed writes v4 into out at the position RFC 6052 section 2.2 gives for
// prefix length n, skipping octet 8 ("u"); after the RFC's Figure 1:
//
//	+--+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+
//	|PL| 0-------------32--40--48--56--64--72--80--88--96--104---------|
//	+--+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+
//	|32|     prefix    |v4(32)         | u | suffix                    |
//	|40|     prefix        |v4(24)     | u |(8)| suffix                |
//	|48|     prefix            |v4(16) | u | (16)  | suffix            |
//	|56|     prefix                |(8)| u |  v4(24)   | suffix        |
//	|64|     prefix                    | u |   v4(32)      | suffix    |
//	|96|     prefix                                    |    v4(32)     |
//	+--+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+
//
// out already holds the prefix; bytes past it are overwritten, so "u" and
// the suffix end up zero. n must be valid.
func embed(out *[16]byte, n int, v4 [4]byte) {
	switch n {
	case 32:
		out[4], out[5], out[6], out[7] = v4[0], v4[1], v4[2], v4[3]
		out[8] = 0
		clear(out[9:])
	case 40:
		out[5], out[6], out[7] = v4[0], v4[1], v4[2]
		out[8] = 0
		out[9] = v4[3]
		clear(out[10:])
	case 48:
		out[6], out[7] = v4[0], v4[1]
		out[8] = 0
		out[9], out[10] = v4[2], v4[3]
		clear(out[11:])
	case 56:
		out[7] = v4[0]
		out[8] = 0
		out[9], out[10], out[11] = v4[1], v4[2], v4[3]
		clear(out[12:])
	case 64:
		out[8] = 0
		out[9], out[10], out[11], out[12] = v4[0], v4[1], v4[2], v4[3]
		clear(out[13:])
	case 96:
		out[12], out[13], out[14], out[15] = v4[0], v4[1], v4[2], v4[3]
	}
}

// extract reads the IPv4 address embedded under prefix length n, ignoring
// "u" and the suffix. n must be valid.
func extract(a *[16]byte, n int) (v4 [4]byte) {
	switch n {
	case 32:
		v4 = [4]byte{a[4], a[5], a[6], a[7]}
	case 40:
		v4 = [4]byte{a[5], a[6], a[7], a[9]}
	case 48:
		v4 = [4]byte{a[6], a[7], a[9], a[10]}
	case 56:
		v4 = [4]byte{a[7], a[9], a[10], a[11]}
	case 64:
		v4 = [4]byte{a[9], a[10], a[11], a[12]}
	case 96:
		v4 = [4]byte{a[12], a[13], a[14], a[15]}
	}
	return v4
}
