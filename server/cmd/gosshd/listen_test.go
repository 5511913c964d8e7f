package main

import (
	"net"
	"testing"
)

// TestAcceptedConns: qosListener keeps each accepted TCP connection in
// acceptedConns under its two addresses until it is closed, so a
// session can find its socket (setSessionQoS).
func TestAcceptedConns(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ql := &qosListener{Listener: l, tos: 0x20}
	defer ql.Close()
	cli, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	sc, err := ql.Accept()
	if err != nil {
		t.Fatal(err)
	}
	if acceptedConns.lookup(sc.LocalAddr(), sc.RemoteAddr()) == nil {
		t.Fatal("accepted connection not registered")
	}
	sc.Close()
	sc.Close() // idempotent
	if acceptedConns.lookup(sc.LocalAddr(), sc.RemoteAddr()) != nil {
		t.Error("closed connection still registered")
	}
}
