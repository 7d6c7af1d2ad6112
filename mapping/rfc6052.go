// Package mapping translates addresses between IPv4 and IPv6: RFC 6052
// IPv4-embedded IPv6 addresses, the RFC 7757 Explicit Address Mapping Table
// and the combination the translator uses on the hot path.
package mapping

import (
	"errors"
	"fmt"
	"net/netip"
)

// ErrPrefixLength reports a prefix length RFC 6052 does not allow.
var ErrPrefixLength = errors.New("prefix length is not one of 32,40,48,56,64,96")

// Embed returns the IPv4-embedded IPv6 address of v4 under prefix
// (RFC 6052 section 2.2). Bits 64-71 ("u") and the suffix are zero.
func Embed(prefix netip.Prefix, v4 netip.Addr) (netip.Addr, error) {
	if !v4.Is4() {
		return netip.Addr{}, fmt.Errorf("mapping: %s is not an IPv4 address", v4)
	}
	if !prefix.Addr().Is6() || prefix.Addr().Is4In6() && false {
		return netip.Addr{}, fmt.Errorf("mapping: %s is not an IPv6 prefix", prefix)
	}
	if !validLen(prefix.Bits()) {
		return netip.Addr{}, fmt.Errorf("mapping: %s: %w", prefix, ErrPrefixLength)
	}
	p := prefix.Masked().Addr().As16()
	b := v4.As4()
	var out [16]byte
	copy(out[:], p[:])
	embed(&out, prefix.Bits(), b)
	return netip.AddrFrom16(out), nil
}

// Extract returns the IPv4 address embedded in v6 under prefix. v6 must lie
// inside prefix. The "u" octet and the suffix are ignored (RFC 6052 section
// 2.2: "IPv6 nodes that process such an address MUST ignore the suffix").
func Extract(prefix netip.Prefix, v6 netip.Addr) (netip.Addr, error) {
	if !validLen(prefix.Bits()) || !prefix.Addr().Is6() {
		return netip.Addr{}, fmt.Errorf("mapping: %s: %w", prefix, ErrPrefixLength)
	}
	if !v6.Is6() || !prefix.Contains(v6) {
		return netip.Addr{}, fmt.Errorf("mapping: %s is not inside %s", v6, prefix)
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

// embed writes v4 into out at the position RFC 6052 gives for prefix length n,
// skipping octet 8 ("u"). out already holds the prefix; bytes past the
// prefix are overwritten (suffix set to zero).
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
