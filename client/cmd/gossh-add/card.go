//go:build unix

package main

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/sshstack/sshstack/client/keyagent"
	"github.com/sshstack/sshstack/wire"
)

// The smartcard messages of draft-miller-ssh-agent, Section 4.2.6 and
// 4.4 (x/crypto/ssh/agent's client has none).
const (
	agentFailure                  = 5
	agentSuccess                  = 6
	addSmartcardKey               = 20
	removeSmartcardKey            = 21
	addSmartcardKeyConstrained    = 26
	constrainLifetime             = 1
	constrainConfirm              = 2
	maxReply                      = 256 * 1024
	smartcardReplyTimeout         = 5 * time.Minute // the agent may wait for a token
	smartcardRefusedMessageSuffix = "agent refused operation"
)

// updateCard is -s (add the keys of a PKCS#11 token) and -e (remove
// them), as ssh-add's update_card: the PIN is asked for an addition
// ("Enter passphrase for PKCS#11: "), then SSH_AGENTC_ADD_SMARTCARD_KEY
// (_CONSTRAINED with -t or -c) or SSH_AGENTC_REMOVE_SMARTCARD_KEY.
// conn must be read by no one else.
func (a *adder) updateCard(conn net.Conn) error {
	add := !a.f.deleting
	pin := ""
	if add {
		// As read_passphrase: no answer is an empty PIN.
		pin, _ = keyagent.ReadPassphrase(a.ctx, "Enter passphrase for PKCS#11: ", keyagent.AllowStdin)
	}
	msg := []byte{removeSmartcardKey}
	constrained := a.f.life > 0 || a.f.c
	if add {
		msg[0] = addSmartcardKey
		if constrained {
			msg[0] = addSmartcardKeyConstrained
		}
	}
	msg = wire.AppendString(msg, []byte(a.f.provider))
	msg = wire.AppendString(msg, []byte(pin))
	if add && a.f.life > 0 {
		msg = append(msg, constrainLifetime)
		msg = binary.BigEndian.AppendUint32(msg, uint32(a.f.life/time.Second))
	}
	if add && a.f.c {
		msg = append(msg, constrainConfirm)
	}
	verb, done := "remove", "removed"
	if add {
		verb, done = "add", "added"
	}
	ok, err := cardRoundTrip(conn, msg)
	if err != nil || !ok {
		why := smartcardRefusedMessageSuffix
		if err != nil {
			why = err.Error()
		}
		fmt.Fprintf(os.Stderr, "Could not %s card \"%s\": %s\n", verb, a.f.provider, why)
		return errReported
	}
	if !a.f.q {
		fmt.Fprintf(os.Stderr, "Card %s: %s\n", done, a.f.provider)
	}
	return nil
}

// cardRoundTrip sends one request and reports whether the agent
// answered SSH_AGENT_SUCCESS.
func cardRoundTrip(conn net.Conn, msg []byte) (bool, error) {
	conn.SetDeadline(time.Now().Add(smartcardReplyTimeout))
	defer conn.SetDeadline(time.Time{})
	frame := binary.BigEndian.AppendUint32(nil, uint32(len(msg)))
	if _, err := conn.Write(append(frame, msg...)); err != nil {
		return false, fmt.Errorf("communication with agent failed")
	}
	var hdr [4]byte
	if _, err := io.ReadFull(conn, hdr[:]); err != nil {
		return false, fmt.Errorf("communication with agent failed")
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n == 0 || n > maxReply {
		return false, fmt.Errorf("communication with agent failed")
	}
	reply := make([]byte, n)
	if _, err := io.ReadFull(conn, reply); err != nil {
		return false, fmt.Errorf("communication with agent failed")
	}
	switch reply[0] {
	case agentSuccess:
		return true, nil
	case agentFailure:
		return false, nil
	}
	return false, fmt.Errorf("unexpected agent reply %d", reply[0])
}
