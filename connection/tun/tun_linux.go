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

// open opens /dev/net/tun and attaches it with TUNSETIFF.
func open(mode, unit uint32) (*Device, error) {
	f, err := os.OpenFile("/dev/net/tun", os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("tun: %w", err)
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
			f.Close()
			return nil, fmt.Errorf("tun: unit %d: name too long", unit)
		}
		copy(req.name[:], name)
	} // else the kernel picks "tun%d"
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("tun: %w", err)
	}
	var errno syscall.Errno
	if err := rc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, tunSetIff, uintptr(unsafe.Pointer(&req)))
	}); err != nil {
		f.Close()
		return nil, fmt.Errorf("tun: %w", err)
	}
	if errno != 0 {
		f.Close()
		return nil, fmt.Errorf("tun: TUNSETIFF %s: %w", base, errno)
	}
	name, _, _ := bytes.Cut(req.name[:], []byte{0})
	return &Device{f: f, name: string(name), mode: mode}, nil
}
