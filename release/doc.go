// Package release builds and checks releases of the sshstack modules
// (docs/releasing.md): it reads the workspace, orders the modules by
// their requirements, rewrites each go.mod as it is tagged (sibling
// requirements at the release version, no sibling replace), and writes a
// file-system module proxy (`go help goproxy`) that serves the working
// tree as that version, so that modules can be built and tested outside
// the workspace, as a user gets them, before any tag is pushed.
//
// Command release (release/cmd/release, run by `make release`) checks a
// release with it; TestConsumers uses the same proxy to build programs
// that import single layers.
package release
