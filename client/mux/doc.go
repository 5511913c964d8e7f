// Package mux shares a client.Client through a control socket, speaking
// OpenSSH's connection multiplexing protocol (PROTOCOL.mux, version 4),
// so that OpenSSH's ssh -S and gossh interoperate as masters and mux
// clients (ControlMaster, ControlPath, ssh -O).
//
// A Master serves a control socket made by Listen (mode 0600, created
// in a private directory and linked into place; peers of another uid
// are refused by SO_PEERCRED): alive checks, sessions and stdio forwards
// whose descriptors arrive by SCM_RIGHTS, -L, -R and -D forwards
// (package client/forward) that live with the master, stop-listening,
// terminate and proxy mode (MUX_C_PROXY, relayed channel by channel).
// Dial gives a Conn, a mux client of any master: Check, Terminate,
// StopListening, Forward, CancelForward, Session (passing our stdio
// descriptors and returning the remote exit status), StdioForward and
// Proxy (a wire.Transport for package connection).
//
// Parse and AppendPacket are the message codec; Parse bounds every
// length (MaxPacket, MaxEnv) and fails with a *wire.DecodeError.
// Descriptor passing and peer credentials are Linux-only for now.
package mux
