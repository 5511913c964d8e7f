//go:build !linux

package main

import (
	"os"

	"github.com/sshstack/sshstack/wire"
)

// applyModes is not implemented outside Linux: the pty keeps its default
// modes.
func applyModes(*os.File, []wire.TerminalMode) error { return nil }
