package checksum

// sum64 adds buf, as big-endian 16-bit words, to the 64-bit accumulator s.
// Placeholder: replaced by the unrolled fast path.
func sum64(buf []byte, s uint64) uint64 {
	n := len(buf)
	i := 0
	for ; i+1 < n; i += 2 {
		s += uint64(buf[i])<<8 | uint64(buf[i+1])
	}
	if i < n {
		s += uint64(buf[i]) << 8
	}
	return s
}
