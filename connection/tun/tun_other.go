//go:build !linux

package tun

func open(mode, unit uint32) (*Device, error) { return nil, ErrUnsupported }
