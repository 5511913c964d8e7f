package main

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// cpuProfileEnv names a hidden, undocumented-in-usage switch for
// performance work (docs/performance.md): when set to a path, gossh
// writes a CPU profile of its whole run there, for go tool pprof.
const cpuProfileEnv = "GOSSH_CPUPROFILE"

// startCPUProfile starts the CPU profile cpuProfileEnv asks for and
// returns the function that stops and writes it; without the variable
// both do nothing. The variable is removed from the environment so that
// the processes gossh starts do not overwrite the profile.
func startCPUProfile() (stop func()) {
	path := os.Getenv(cpuProfileEnv)
	if path == "" {
		return func() {}
	}
	os.Unsetenv(cpuProfileEnv)
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "gossh: %s: %v\n", cpuProfileEnv, err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintf(os.Stderr, "gossh: %s: %v\n", cpuProfileEnv, err)
		f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
