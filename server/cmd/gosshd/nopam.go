//go:build !cgo || nopam

// A gosshd without PAM (CGO_ENABLED=0, or -tags nopam): it builds
// without cgo and libpam headers, checks passwords against /etc/shadow
// (UsePAM no), and refuses a configuration with UsePAM yes rather than
// silently skip the PAM stack an administrator asked for
// (docs/decisions/0015-pam-behind-a-build-tag.md).

package main

import (
	"fmt"
	"os"
)

// havePAM reports whether this gosshd was built with PAM.
const havePAM = false

func pamAuthenticate(string, string, func(pamMessage) (string, error)) error { return errNoPAM }

func pamSession([]string) int {
	fmt.Fprintln(os.Stderr, "gosshd:", errNoPAM)
	return 254
}
