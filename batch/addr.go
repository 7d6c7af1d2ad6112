package batch

import "github.com/xlatd/xlatd/mapping"

// martian4 reports whether an IPv4 address with first octet o is one no
// translated packet may carry: "this network" 0/8, loopback 127/8,
// multicast, reserved and broadcast 224/3 (RFC 7915 section 4.1: "If the
// translator gets an illegal source address (e.g., 0.0.0.0, 127.0.0.1,
// etc.), the translator SHOULD silently drop the packet"). o-1 wraps 0 to
// 255, so one comparison covers 0/8 and 224/3.
func martian4(o uint8) bool { return o-1 >= 223 || o == 127 }

// mapReason converts a failed mapping.Result to a drop reason.
func mapReason(r mapping.Result) Reason {
	if r == mapping.NonGlobalWKP {
		return ReasonNonGlobalWKP
	}
	return ReasonNoMapping4
}

// mapReason6 converts a failed mapping.Result of To4 into a drop reason.
func mapReason6(r mapping.Result) Reason {
	if r == mapping.NonGlobalWKP {
		return ReasonNonGlobalWKP
	}
	return ReasonNoMapping6
}
