package afxdp

// The XDP program is compiled from bpf/xlatd.c by bpf2go; the generated
// xlatd_bpfel.go and xlatd_bpfel.o are committed so that building xlatd
// needs no clang. Regenerate with `go generate ./afxdp` (clang >= 11 and
// the libbpf headers, e.g. Debian's clang and libbpf-dev); the output is
// byte-for-byte reproducible with the same clang.

//go:generate go run github.com/cilium/ebpf/cmd/bpf2go -target bpfel -output-stem xlatd xlatd bpf/xlatd.c -- -O2 -g -Wall -Werror
