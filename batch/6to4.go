package batch

// translate64 translates an IPv6 frame to IPv4 (RFC 7915 section 5).
func (t *Translator) translate64(f *Frame) {
	t.drop(f, ReasonNoMapping6) // TODO(6to4): implement
}
