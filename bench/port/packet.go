package port

import (
	"errors"
	"fmt"
	"net"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func packetSocket(ifname string) (int, int, error) {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return -1, 0, err
	}
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
	if err != nil {
		return -1, 0, fmt.Errorf("port: AF_PACKET socket: %w", err)
	}
	sa := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifi.Index}
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		return -1, 0, fmt.Errorf("port: bind AF_PACKET to %s: %w", ifname, err)
	}
	return fd, ifi.Index, nil
}

// PacketRx is an AF_PACKET sink port (recvmmsg into fixed buffers): the
// fallback when AF_XDP is unavailable. It costs a copy and an skb per
// frame, so it tops out well below AF_XDP.
type PacketRx struct {
	fd   int
	bufs [][]byte
	iovs []unix.Iovec
	msgs []unix.Mmsghdr
}

// NewPacketRx opens an AF_PACKET socket on ifname for batches of up to
// batch frames, ignoring frames the host itself sends.
func NewPacketRx(ifname string, batch int) (*PacketRx, error) {
	fd, _, err := packetSocket(ifname)
	if err != nil {
		return nil, err
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, 1)
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 64<<20)
	tv := unix.NsecToTimeval(int64(time.Millisecond))
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		unix.Close(fd)
		return nil, err
	}
	p := &PacketRx{fd: fd, bufs: make([][]byte, batch), iovs: make([]unix.Iovec, batch), msgs: make([]unix.Mmsghdr, batch)}
	for i := range p.bufs {
		p.bufs[i] = make([]byte, 2048)
		p.iovs[i].Base = &p.bufs[i][0]
		p.iovs[i].SetLen(len(p.bufs[i]))
		p.msgs[i].Hdr.Iov = &p.iovs[i]
		p.msgs[i].Hdr.SetIovlen(1)
	}
	return p, nil
}

// Receive implements gen.RxPort.
func (p *PacketRx) Receive(out [][]byte) (int, error) {
	n := len(out)
	if n > len(p.msgs) {
		n = len(p.msgs)
	}
	r, _, e := unix.Syscall6(unix.SYS_RECVMMSG, uintptr(p.fd), uintptr(unsafe.Pointer(&p.msgs[0])), uintptr(n), unix.MSG_WAITFORONE, 0, 0)
	if e != 0 {
		if e == unix.EAGAIN || e == unix.EINTR {
			return 0, nil
		}
		return 0, e
	}
	for i := 0; i < int(r); i++ {
		out[i] = p.bufs[i][:p.msgs[i].Len]
	}
	return int(r), nil
}

// Close closes the socket.
func (p *PacketRx) Close() error { return unix.Close(p.fd) }

// PacketTx is an AF_PACKET generator port (sendmmsg, qdisc bypass): a
// slow fallback and a cross-check for the AF_XDP generator.
type PacketTx struct {
	fd    int
	bufs  [][]byte
	iovs  []unix.Iovec
	msgs  []unix.Mmsghdr
	taken int
}

// NewPacketTx opens an AF_PACKET socket on ifname whose batch buffers hold
// copies of tmpl.
func NewPacketTx(ifname string, tmpl []byte, batch int) (*PacketTx, error) {
	fd, _, err := packetSocket(ifname)
	if err != nil {
		return nil, err
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_QDISC_BYPASS, 1)
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, 16<<20)
	p := &PacketTx{fd: fd, bufs: make([][]byte, batch), iovs: make([]unix.Iovec, batch), msgs: make([]unix.Mmsghdr, batch)}
	for i := range p.bufs {
		p.bufs[i] = make([]byte, 0, 9216)
		p.iovs[i].Base = &p.bufs[i][:1][0]
		p.msgs[i].Hdr.Iov = &p.iovs[i]
		p.msgs[i].Hdr.SetIovlen(1)
	}
	if err := p.SetTemplate(tmpl); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return p, nil
}

// SetTemplate makes tmpl the frame the port sends.
func (p *PacketTx) SetTemplate(tmpl []byte) error {
	if len(tmpl) == 0 || len(tmpl) > 9216 {
		return fmt.Errorf("port: frame of %d bytes", len(tmpl))
	}
	for i := range p.bufs {
		p.bufs[i] = append(p.bufs[i][:0], tmpl...)
		p.iovs[i].SetLen(len(tmpl))
	}
	return nil
}

// Next implements gen.TxPort.
func (p *PacketTx) Next(out [][]byte) int {
	n := copy(out, p.bufs)
	p.taken = n
	return n
}

// Submit implements gen.TxPort: the frames go out now (sendmmsg copies).
func (p *PacketTx) Submit(n int) int {
	if n > p.taken {
		n = p.taken
	}
	sent := 0
	for sent < n {
		r, _, e := unix.Syscall6(unix.SYS_SENDMMSG, uintptr(p.fd), uintptr(unsafe.Pointer(&p.msgs[sent])), uintptr(n-sent), 0, 0, 0)
		if e != 0 {
			if errors.Is(e, unix.ENOBUFS) || errors.Is(e, unix.EAGAIN) || errors.Is(e, unix.EINTR) {
				break
			}
			break
		}
		if r == 0 {
			break
		}
		sent += int(r)
	}
	return sent
}

// Flush implements gen.TxPort (nothing is queued).
func (p *PacketTx) Flush() error { return nil }

// Close closes the socket.
func (p *PacketTx) Close() error { return unix.Close(p.fd) }
