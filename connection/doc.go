// Package connection will implement the SSH connection protocol
// (RFC 4254): a channel multiplexer over a wire.Transport with flow
// control, session requests, port and stream-local forwarding and global
// requests, usable on either side. Not implemented yet.
package connection
