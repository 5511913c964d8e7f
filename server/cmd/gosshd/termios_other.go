//go:build !linux

package main

import (
	"errors"
	"os"

	"github.com/sshstack/sshstack/wire"
)

// applyModes is not implemented outside Linux: the pty keeps its default
// modes.
func applyModes(*os.File, []wire.TerminalMode) error { return nil }

// sendBreak is not implemented outside Linux: a break is refused.
func sendBreak(*os.File) error { return errors.ErrUnsupported }

// growPipe leaves the pipe as it is outside Linux.
func growPipe(*os.File) {}
