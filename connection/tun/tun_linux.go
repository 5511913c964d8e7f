package tun

import (
	"bytes"
	"fmt"
	"os"
	"syscall"
	"unsafe"

	"github.com/sshstack/sshstack/wire"
)

// From linux/if_tun.h.
const (
	iffTun    = 0x0001
	iffTap    = 0x0002
	iffNoPI   = 0x1000
	tunSetIff = 0x400454ca // _IOW('T', 202, int)
)

// ifreq is struct ifreq with the ifr_flags member of its union.
type ifreq struct {
	name  [syscall.IFNAMSIZ]byte
	flags uint16
	_     [22]byte
}

// open opens /dev/net/tun and attaches it with TUNSETIFF. The file is
// handed to package os only once attached: a tun file polls as an error
// until then, which would upset the runtime poller.
func open(mode, unit uint32) (*Device, error) {
	fd, err := syscall.Open("/dev/net/tun", syscall.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("tun: open /dev/net/tun: %w", err)
	}
	var req ifreq
	base := "tun"
	req.flags = iffTun | iffNoPI
	if mode == wire.TunModeEthernet {
		base = "tap"
		req.flags = iffTap | iffNoPI
	}
	if unit != wire.TunUnitAny {
		name := fmt.Sprintf("%s%d", base, unit)
		if len(name) >= len(req.name) {
			syscall.Close(fd)
			return nil, fmt.Errorf("tun: unit %d: name too long", unit)
		}
		copy(req.name[:], name)
	} // else the kernel picks "tun%d"
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), tunSetIff, uintptr(unsafe.Pointer(&req))); errno != 0 {
		syscall.Close(fd)
		return nil, fmt.Errorf("tun: TUNSETIFF %s: %w", base, errno)
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("tun: %w", err)
	}
	name, _, _ := bytes.Cut(req.name[:], []byte{0})
	return &Device{f: os.NewFile(uintptr(fd), "/dev/net/tun"), name: string(name), mode: mode}, nil
}
