package main

import (
	"os"
	"syscall"
)

// detachStdio points stdin, stdout and stderr at /dev/null, as ssh's
// background master does once its parent has gone on (stdfd_devnull).
func detachStdio() {
	dn, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return
	}
	defer dn.Close()
	for fd := 0; fd <= 2; fd++ {
		syscall.Dup3(int(dn.Fd()), fd, 0)
	}
}
