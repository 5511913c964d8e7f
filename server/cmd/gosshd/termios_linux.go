package main

import (
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/sshstack/sshstack/wire"
)

// Terminal mode opcodes of RFC 4254, Section 8, mapped to Linux termios.
var (
	modeChars = map[byte]int{
		1: syscall.VINTR, 2: syscall.VQUIT, 3: syscall.VERASE, 4: syscall.VKILL, 5: syscall.VEOF, 6: syscall.VEOL,
		7: syscall.VEOL2, 8: syscall.VSTART, 9: syscall.VSTOP, 10: syscall.VSUSP, 12: syscall.VREPRINT,
		13: syscall.VWERASE, 14: syscall.VLNEXT, 18: syscall.VDISCARD,
	}
	modeIflag = map[byte]uint32{
		30: syscall.IGNPAR, 31: syscall.PARMRK, 32: syscall.INPCK, 33: syscall.ISTRIP, 34: syscall.INLCR,
		35: syscall.IGNCR, 36: syscall.ICRNL, 37: syscall.IUCLC, 38: syscall.IXON, 39: syscall.IXANY,
		40: syscall.IXOFF, 41: syscall.IMAXBEL, 42: 0x4000, // IUTF8
	}
	modeLflag = map[byte]uint32{
		50: syscall.ISIG, 51: syscall.ICANON, 52: syscall.XCASE, 53: syscall.ECHO, 54: syscall.ECHOE,
		55: syscall.ECHOK, 56: syscall.ECHONL, 57: syscall.NOFLSH, 58: syscall.TOSTOP, 59: syscall.IEXTEN,
		60: syscall.ECHOCTL, 61: syscall.ECHOKE, 62: syscall.PENDIN,
	}
	modeOflag = map[byte]uint32{
		70: syscall.OPOST, 71: syscall.OLCUC, 72: syscall.ONLCR, 73: syscall.OCRNL, 74: syscall.ONOCR, 75: syscall.ONLRET,
	}
	modeCflag = map[byte]uint32{90: syscall.CS7, 91: syscall.CS8, 92: syscall.PARENB, 93: syscall.PARODD}
)

// applyModes sets the client's terminal modes (RFC 4254, Section 8) on
// the pty before the session starts, as sshd does; unknown opcodes and
// speeds are ignored.
func applyModes(tty *os.File, modes []wire.TerminalMode) error {
	if len(modes) == 0 {
		return nil
	}
	var t syscall.Termios
	fd := tty.Fd()
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TCGETS, uintptr(unsafe.Pointer(&t))); e != 0 {
		return e
	}
	set := func(flags *uint32, bit uint32, on bool) {
		if on {
			*flags |= bit
		} else {
			*flags &^= bit
		}
	}
	for _, m := range modes {
		on := m.Value != 0
		switch {
		case modeChars[m.Opcode] != 0 || m.Opcode == 1:
			if i, ok := modeChars[m.Opcode]; ok {
				t.Cc[i] = uint8(m.Value)
			}
		case modeIflag[m.Opcode] != 0:
			set(&t.Iflag, modeIflag[m.Opcode], on)
		case modeLflag[m.Opcode] != 0:
			set(&t.Lflag, modeLflag[m.Opcode], on)
		case modeOflag[m.Opcode] != 0:
			set(&t.Oflag, modeOflag[m.Opcode], on)
		case m.Opcode == 90 || m.Opcode == 91:
			if on {
				t.Cflag = t.Cflag&^syscall.CSIZE | modeCflag[m.Opcode]
			}
		case modeCflag[m.Opcode] != 0:
			set(&t.Cflag, modeCflag[m.Opcode], on)
		}
	}
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TCSETS, uintptr(unsafe.Pointer(&t))); e != 0 {
		return e
	}
	return nil
}

// sendBreak sends a break on the pty master as sshd's session_break_req
// does: tcsendbreak(fd, 0), the system's default length, whatever the
// client asked for (RFC 4335 lets the server choose). Linux's pty driver
// has no line to break, so the call succeeds without effect there.
func sendBreak(f *os.File) error {
	sc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var errno syscall.Errno
	if err := sc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, unix.TCSBRK, 0)
	}); err != nil {
		return err
	}
	if errno != 0 {
		return errno
	}
	return nil
}

// stdinPipeSize is what growPipe asks for: the channel's 2 MiB window
// then crosses between gosshd and the child in a few large writes
// instead of many 64 KiB ones. 1 MiB is Linux's default /proc/sys/fs/pipe-max-size, so
// an unprivileged gosshd gets it too.
const stdinPipeSize = 1 << 20

// growPipe widens the pipe of f (F_SETPIPE_SZ); a refusal leaves the
// default size, which only costs speed. It goes through SyscallConn,
// not Fd, which would switch f to blocking mode.
func growPipe(f *os.File) {
	if rc, err := f.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) { unix.FcntlInt(fd, unix.F_SETPIPE_SZ, stdinPipeSize) })
	}
}
