package afxdp

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Test network helpers: every test makes its own namespaces (unique names
// with the pid), veth pairs on documentation addresses, and removes them in
// t.Cleanup. Sockets and XDP links are created on an OS thread locked into
// the namespace (inNS); once created, their descriptors work from anywhere.

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipping: needs root (network namespaces, XDP, AF_XDP)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("skipping: iproute2 'ip' not found")
	}
}

var nsSeq atomic.Int32

func newNS(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("xafx-%d-%d", os.Getpid(), nsSeq.Add(1))
	run(t, "ip", "netns", "add", name)
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			t.Logf("ip netns del %s: %v: %s", name, err, out)
		}
	})
	return name
}

func run(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// inNS runs fn on an OS thread switched into netns ns, and switches back.
func inNS(t *testing.T, ns string, fn func()) {
	t.Helper()
	runtime.LockOSThread()
	orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		runtime.UnlockOSThread()
		t.Fatal(err)
	}
	target, err := unix.Open("/run/netns/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		unix.Close(orig)
		runtime.UnlockOSThread()
		t.Fatal(err)
	}
	defer func() {
		if err := unix.Setns(orig, unix.CLONE_NEWNET); err != nil {
			// Leave the thread locked: the runtime discards it.
			t.Errorf("restore netns: %v", err)
		} else {
			runtime.UnlockOSThread()
		}
		unix.Close(orig)
		unix.Close(target)
	}()
	if err := unix.Setns(target, unix.CLONE_NEWNET); err != nil {
		t.Fatalf("setns %s: %v", ns, err)
	}
	fn()
}

// veth is one veth pair between namespaces A (the xlatd box) and B (a peer).
type veth struct {
	nsA, nsB   string
	ifA, ifB   string
	idxA, idxB int
	macA, macB net.HardwareAddr
	ip4A, ip4B string
	ip6A, ip6B string
}

// newVeth creates ifA in nsA and ifB in nsB, up, with the given
// addresses (CIDR-less; /24 and /64 are added).
func newVeth(t *testing.T, nsA, ifA, nsB, ifB, ip4A, ip4B, ip6A, ip6B string) *veth {
	t.Helper()
	run(t, "ip", "-n", nsA, "link", "add", ifA, "type", "veth", "peer", "name", ifB, "netns", nsB)
	run(t, "ip", "-n", nsA, "addr", "add", ip4A+"/24", "dev", ifA)
	run(t, "ip", "-n", nsB, "addr", "add", ip4B+"/24", "dev", ifB)
	run(t, "ip", "-n", nsA, "addr", "add", ip6A+"/64", "dev", ifA, "nodad")
	run(t, "ip", "-n", nsB, "addr", "add", ip6B+"/64", "dev", ifB, "nodad")
	run(t, "ip", "-n", nsA, "link", "set", ifA, "up")
	run(t, "ip", "-n", nsB, "link", "set", ifB, "up")
	v := &veth{nsA: nsA, nsB: nsB, ifA: ifA, ifB: ifB, ip4A: ip4A, ip4B: ip4B, ip6A: ip6A, ip6B: ip6B}
	inNS(t, nsA, func() {
		ifc, err := net.InterfaceByName(ifA)
		if err != nil {
			t.Fatal(err)
		}
		v.idxA, v.macA = ifc.Index, ifc.HardwareAddr
	})
	inNS(t, nsB, func() {
		ifc, err := net.InterfaceByName(ifB)
		if err != nil {
			t.Fatal(err)
		}
		v.idxB, v.macB = ifc.Index, ifc.HardwareAddr
	})
	return v
}

// packetSock opens an AF_PACKET socket bound to ifindex in ns.
func packetSock(t *testing.T, ns string, ifindex int) int {
	t.Helper()
	var fd int
	inNS(t, ns, func() {
		var err error
		fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
		if err != nil {
			t.Fatal(err)
		}
		if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifindex}); err != nil {
			unix.Close(fd)
			t.Fatal(err)
		}
	})
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func sendFrame(t *testing.T, fd, ifindex int, frame []byte) {
	t.Helper()
	if err := unix.Sendto(fd, frame, 0, &unix.SockaddrLinklayer{Ifindex: ifindex}); err != nil {
		t.Fatalf("AF_PACKET send: %v", err)
	}
}

// recvMarked reads frames from an AF_PACKET socket until one contains
// marker, or the deadline passes.
func recvMarked(fd int, marker []byte, timeout time.Duration) ([]byte, bool) {
	buf := make([]byte, 4096)
	end := time.Now().Add(timeout)
	for time.Now().Before(end) {
		tv := unix.NsecToTimeval(int64(100 * time.Millisecond))
		unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil || n <= 0 {
			continue
		}
		if bytes.Contains(buf[:n], marker) {
			return append([]byte(nil), buf[:n]...), true
		}
	}
	return nil, false
}

// Frame builders (UDP checksum 0 for IPv4; computed for IPv6).

func sum16(b []byte, s uint32) uint32 {
	for len(b) >= 2 {
		s += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint32(b[0]) << 8
	}
	return s
}

func fold(s uint32) uint16 {
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return uint16(s)
}

func udp4Frame(dst, src net.HardwareAddr, sip, dip string, sport, dport uint16, payload []byte) []byte {
	f := make([]byte, 14+20+8+len(payload))
	copy(f[0:], dst)
	copy(f[6:], src)
	binary.BigEndian.PutUint16(f[12:], 0x0800)
	ip := f[14:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(20+8+len(payload)))
	ip[8] = 64
	ip[9] = unix.IPPROTO_UDP
	copy(ip[12:], net.ParseIP(sip).To4())
	copy(ip[16:], net.ParseIP(dip).To4())
	binary.BigEndian.PutUint16(ip[10:], ^fold(sum16(ip[:20], 0)))
	u := ip[20:]
	binary.BigEndian.PutUint16(u[0:], sport)
	binary.BigEndian.PutUint16(u[2:], dport)
	binary.BigEndian.PutUint16(u[4:], uint16(8+len(payload)))
	copy(u[8:], payload)
	return f
}

func udp6Frame(dst, src net.HardwareAddr, sip, dip string, sport, dport uint16, payload []byte) []byte {
	f := make([]byte, 14+40+8+len(payload))
	copy(f[0:], dst)
	copy(f[6:], src)
	binary.BigEndian.PutUint16(f[12:], 0x86dd)
	ip := f[14:]
	ip[0] = 0x60
	binary.BigEndian.PutUint16(ip[4:], uint16(8+len(payload)))
	ip[6] = unix.IPPROTO_UDP
	ip[7] = 64
	copy(ip[8:], net.ParseIP(sip).To16())
	copy(ip[24:], net.ParseIP(dip).To16())
	u := ip[40:]
	binary.BigEndian.PutUint16(u[0:], sport)
	binary.BigEndian.PutUint16(u[2:], dport)
	binary.BigEndian.PutUint16(u[4:], uint16(8+len(payload)))
	copy(u[8:], payload)
	s := sum16(ip[8:40], 0)
	s += uint32(8 + len(payload))
	s += unix.IPPROTO_UDP
	s = sum16(u, s)
	c := ^fold(s)
	if c == 0 {
		c = 0xffff
	}
	binary.BigEndian.PutUint16(u[6:], c)
	return f
}

// receiveN collects descriptors from s until n arrived or timeout.
func receiveN(s *Socket, n int, timeout time.Duration) []Desc {
	var got []Desc
	buf := make([]Desc, 64)
	end := time.Now().Add(timeout)
	for len(got) < n && time.Now().Before(end) {
		k := s.Receive(buf)
		if k == 0 {
			s.WakeupFill()
			s.Wait(20 * time.Millisecond)
			continue
		}
		got = append(got, buf[:k]...)
	}
	return got
}

// fillAll gives the first n chunks of u to s's fill ring.
func fillAll(t *testing.T, s *Socket, first, n int) {
	t.Helper()
	addrs := make([]uint64, n)
	for i := range addrs {
		addrs[i] = uint64((first + i) * s.UMEM().FrameSize())
	}
	if k := s.Fill(addrs); k != n {
		t.Fatalf("Fill took %d of %d", k, n)
	}
}

// ping runs ping from namespace ns, bounded.
func ping(ns, addr string) error {
	out, err := exec.Command("ip", "netns", "exec", ns, "ping", "-c", "2", "-i", "0.2", "-W", "2", addr).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ping %s from %s: %v\n%s", addr, ns, err, out)
	}
	return nil
}
