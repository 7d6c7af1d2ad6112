// Package port connects the benchmark generator and sink of bench/gen to
// real interfaces: AF_XDP through xlatd's own afxdp package (TX for the
// generator; RX for the sink behind a catch-all XDP program), AF_PACKET as
// the sink's fallback (and a slow generator fallback), and OS threads
// placed in a network namespace and pinned to a CPU.
package port
