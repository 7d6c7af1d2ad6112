package e2e

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"
)

// pktSock is an AF_PACKET socket on one interface of one namespace: it
// sends whole Ethernet frames and captures every frame the interface
// receives (frames it sends itself are ignored).
type pktSock struct {
	fd      int
	ifindex int
	mac     [6]byte
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// openPacket opens an AF_PACKET socket on ifname in namespace ns; t.Cleanup
// closes it.
func openPacket(t *testing.T, ns, ifname string) *pktSock {
	t.Helper()
	s := &pktSock{fd: -1}
	err := inNS(ns, func() error {
		ifi, err := net.InterfaceByName(ifname)
		if err != nil {
			return err
		}
		s.ifindex = ifi.Index
		copy(s.mac[:], ifi.HardwareAddr)
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
		if err != nil {
			return err
		}
		s.fd = fd
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20)
		return unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifi.Index})
	})
	if err != nil {
		if s.fd >= 0 {
			unix.Close(s.fd)
		}
		t.Fatalf("AF_PACKET on %s/%s: %v", ns, ifname, err)
	}
	t.Cleanup(func() { unix.Close(s.fd) })
	return s
}

// send transmits one Ethernet frame.
func (s *pktSock) send(frame []byte) error {
	return unix.Sendto(s.fd, frame, 0, &unix.SockaddrLinklayer{Ifindex: s.ifindex, Halen: 6})
}

// sendIP wraps an IP packet in an Ethernet header to dst and sends it.
func (s *pktSock) sendIP(dst [6]byte, ip []byte) error {
	f := make([]byte, 14+len(ip))
	copy(f[0:], dst[:])
	copy(f[6:], s.mac[:])
	et := uint16(0x0800)
	if len(ip) > 0 && ip[0]>>4 == 6 {
		et = 0x86DD
	}
	binary.BigEndian.PutUint16(f[12:], et)
	copy(f[14:], ip)
	return s.send(f)
}

// drain discards every frame already queued.
func (s *pktSock) drain() {
	buf := make([]byte, 1)
	for {
		if _, _, err := unix.Recvfrom(s.fd, buf, unix.MSG_DONTWAIT); err != nil {
			return
		}
	}
}

// recvIP returns the IP packet (Ethernet header removed) of the first
// received frame for which match returns true, or nil at the deadline.
func (s *pktSock) recvIP(deadline time.Time, match func(ip []byte) bool) []byte {
	buf := make([]byte, 16384)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return nil
		}
		pfd := []unix.PollFd{{Fd: int32(s.fd), Events: unix.POLLIN}}
		n, err := unix.Poll(pfd, int(left/time.Millisecond)+1)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n == 0 {
			continue
		}
		m, from, err := unix.Recvfrom(s.fd, buf, unix.MSG_DONTWAIT)
		if err != nil || m < 14 {
			continue
		}
		if ll, ok := from.(*unix.SockaddrLinklayer); ok && ll.Pkttype == unix.PACKET_OUTGOING {
			continue
		}
		et := binary.BigEndian.Uint16(buf[12:])
		if et != 0x0800 && et != 0x86DD {
			continue
		}
		ip := buf[14:m]
		if match(ip) {
			return append([]byte(nil), ip...)
		}
	}
}

// addrMatch returns a matcher of IP version, source and destination, as
// Jool's graybox expecter does.
func addrMatch(src, dst netip.Addr) func([]byte) bool {
	return func(ip []byte) bool {
		s, d, ok := ipAddrs(ip)
		return ok && s == src && d == dst
	}
}

// ipAddrs returns the source and destination of an IPv4 or IPv6 packet.
func ipAddrs(ip []byte) (src, dst netip.Addr, ok bool) {
	if len(ip) >= 20 && ip[0]>>4 == 4 {
		return netip.AddrFrom4([4]byte(ip[12:16])), netip.AddrFrom4([4]byte(ip[16:20])), true
	}
	if len(ip) >= 40 && ip[0]>>4 == 6 {
		return netip.AddrFrom16([16]byte(ip[8:24])), netip.AddrFrom16([16]byte(ip[24:40])), true
	}
	return netip.Addr{}, netip.Addr{}, false
}

func mustMAC(t *testing.T, s string) [6]byte {
	t.Helper()
	hw, err := net.ParseMAC(s)
	if err != nil || len(hw) != 6 {
		t.Fatalf("bad MAC %q: %v", s, err)
	}
	return [6]byte(hw)
}

// dropIngress keeps the kernel of namespace ns from seeing what arrives on
// ifname (a tcx ingress program that drops everything) while AF_PACKET
// sockets still capture it: packet taps run before tc ingress. This is what
// Jool's graybox expecter does by dropping matched packets, so the receiving
// host does not answer them (port unreachable, RST) into later exchanges.
func dropIngress(t *testing.T, ns, ifname string) {
	t.Helper()
	var l link.Link
	err := inNS(ns, func() error {
		ifi, err := net.InterfaceByName(ifname)
		if err != nil {
			return err
		}
		prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
			Type:    ebpf.SchedCLS,
			License: "GPL",
			Instructions: asm.Instructions{
				asm.Mov.Imm(asm.R0, 2), // TC_ACT_SHOT
				asm.Return(),
			},
		})
		if err != nil {
			return fmt.Errorf("load tc program: %w", err)
		}
		defer prog.Close()
		l, err = link.AttachTCX(link.TCXOptions{Interface: ifi.Index, Program: prog, Attach: ebpf.AttachTCXIngress})
		return err
	})
	if err != nil {
		t.Fatalf("tcx drop on %s/%s: %v", ns, ifname, err)
	}
	t.Cleanup(func() { l.Close() })
}
