package main

import "syscall"

// bindToDevice is BindInterface: SO_BINDTODEVICE.
func bindToDevice(fd int, iface string) error {
	return syscall.SetsockoptString(fd, syscall.SOL_SOCKET, syscall.SO_BINDTODEVICE, iface)
}
