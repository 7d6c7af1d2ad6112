package batch

// translate46 translates an IPv4 frame to IPv6 (RFC 7915 section 4).
func (t *Translator) translate46(f *Frame) {
	t.drop(f, ReasonNoMapping4) // TODO(4to6): implement
}
