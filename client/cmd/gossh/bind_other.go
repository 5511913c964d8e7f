//go:build !linux

package main

import "fmt"

// bindToDevice is BindInterface, which gossh has on Linux only.
func bindToDevice(fd int, iface string) error {
	return fmt.Errorf("BindInterface %s is not supported by gossh on this system", iface)
}
