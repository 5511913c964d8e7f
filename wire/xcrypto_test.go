package wire_test

import (
	"bytes"
	"math/big"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/sshstack/sshstack/wire"
)

// Mirrors of RFC message layouts in x/crypto/ssh's reflection codec
// (ssh.Marshal), used as an independent encoder to cross-check ours. They
// are written here from the RFCs, not copied from x/crypto.
type (
	xDisconnect struct {
		Reason      uint32 `sshtype:"1"`
		Description string
		Language    string
	}
	xKexInit struct {
		Cookie                               [16]byte `sshtype:"20"`
		Kex, HostKey, CipherCS, CipherSC     []string
		MACCS, MACSC, CompCS, CompSC, LangCS []string
		LangSC                               []string
		FirstFollows                         bool
		Reserved                             uint32
	}
	xKexDHInit struct {
		E *big.Int `sshtype:"30"`
	}
	xKexDHReply struct {
		HostKey   []byte `sshtype:"31"`
		F         *big.Int
		Signature []byte
	}
	xServiceRequest struct {
		Service string `sshtype:"5"`
	}
	xExtInfo struct {
		N    uint32 `sshtype:"7"`
		Rest []byte `ssh:"rest"`
	}
	xUserauthRequest struct {
		User, Service, Method string `sshtype:"50"`
		Rest                  []byte `ssh:"rest"`
	}
	xUserauthFailure struct {
		Methods []string `sshtype:"51"`
		Partial bool
	}
	xGlobalRequest struct {
		Name      string `sshtype:"80"`
		WantReply bool
		Data      []byte `ssh:"rest"`
	}
	xChannelOpen struct {
		Type                      string `sshtype:"90"`
		Sender, Window, MaxPacket uint32
		Extra                     []byte `ssh:"rest"`
	}
	xChannelOpenFailure struct {
		Recipient, Reason     uint32 `sshtype:"92"`
		Description, Language string
	}
	xWindowAdjust struct {
		Recipient, Bytes uint32 `sshtype:"93"`
	}
	xChannelData struct {
		Recipient uint32 `sshtype:"94"`
		Data      []byte
	}
	xChannelRequest struct {
		Recipient uint32 `sshtype:"98"`
		Type      string
		WantReply bool
		Extra     []byte `ssh:"rest"`
	}
	xPtyRequest struct {
		Term                      string
		Cols, Rows, Width, Height uint32
		Modes                     string
	}
	xDirectTCPIP struct {
		Host     string
		Port     uint32
		OrigAddr string
		OrigPort uint32
	}
	xExitSignal struct {
		Signal            string
		Core              bool
		Message, Language string
	}
	xPasswordBody struct {
		Change   bool
		Password string
	}
	xPublicKeyBody struct {
		HasSig    bool
		Algorithm string
		PublicKey []byte
		Signature []byte
	}
)

func TestCrossCheckXCrypto(t *testing.T) {
	ki := caseByName("KEXINIT").msg.(*wire.KexInit)
	ptyModes := wire.AppendTerminalModes(nil, []wire.TerminalMode{{Opcode: wire.ECHO, Value: 1}})
	pty := &wire.PtyRequest{Term: "xterm", Columns: 80, Rows: 24, WidthPixels: 1, HeightPixels: 2, Modes: ptyModes}
	f := []byte{0x80, 0x01}
	pw := &wire.UserauthRequest{User: "u", Service: "ssh-connection", Method: "password", Password: "pw"}
	pk := caseByName("USERAUTH_REQUEST publickey signed").msg.(*wire.UserauthRequest)
	ext := caseByName("EXT_INFO").msg.(*wire.ExtInfo)
	tests := []struct {
		name   string
		ours   []byte
		theirs any
	}{
		{"DISCONNECT", (&wire.Disconnect{Reason: 2, Description: "bye", Language: "en"}).Append(nil), &xDisconnect{2, "bye", "en"}},
		{"KEXINIT", ki.Append(nil), &xKexInit{ki.Cookie, ki.KexAlgorithms, ki.ServerHostKeyAlgorithms, ki.CiphersClientServer,
			ki.CiphersServerClient, ki.MACsClientServer, ki.MACsServerClient, ki.CompressionClientServer, ki.CompressionServerClient,
			ki.LanguagesClientServer, ki.LanguagesServerClient, ki.FirstKexPacketFollows, ki.Reserved}},
		{"KEXDH_INIT", (&wire.KexDHInit{E: f}).Append(nil), &xKexDHInit{new(big.Int).SetBytes(f)}},
		{"KEXDH_INIT zero", (&wire.KexDHInit{E: nil}).Append(nil), &xKexDHInit{new(big.Int)}},
		{"KEXDH_REPLY", (&wire.KexDHReply{HostKey: hostKeyBlob, F: f, Signature: []byte("s")}).Append(nil),
			&xKexDHReply{hostKeyBlob, new(big.Int).SetBytes(f), []byte("s")}},
		{"SERVICE_REQUEST", (&wire.ServiceRequest{Service: "ssh-userauth"}).Append(nil), &xServiceRequest{"ssh-userauth"}},
		{"EXT_INFO", ext.Append(nil), &xExtInfo{2, wire.AppendString(wire.AppendString(wire.AppendString(wire.AppendString(nil,
			ext.Extensions[0].Name), ext.Extensions[0].Value), ext.Extensions[1].Name), ext.Extensions[1].Value)}},
		{"USERAUTH_REQUEST password", pw.Append(nil), &xUserauthRequest{"u", "ssh-connection", "password",
			ssh.Marshal(&xPasswordBody{false, "pw"})}},
		{"USERAUTH_REQUEST publickey", pk.Append(nil), &xUserauthRequest{pk.User, pk.Service, pk.Method,
			ssh.Marshal(&xPublicKeyBody{true, pk.Algorithm, pk.PublicKey, pk.Signature})}},
		{"USERAUTH_FAILURE", (&wire.UserauthFailure{Methods: []string{"publickey", "password"}, PartialSuccess: true}).Append(nil),
			&xUserauthFailure{[]string{"publickey", "password"}, true}},
		{"GLOBAL_REQUEST", (&wire.GlobalRequest{Name: "tcpip-forward", WantReply: true, Data: (&wire.TCPIPForward{BindAddress: "", BindPort: 80}).Append(nil)}).Append(nil),
			&xGlobalRequest{"tcpip-forward", true, []byte{0, 0, 0, 0, 0, 0, 0, 80}}},
		{"CHANNEL_OPEN direct-tcpip", (&wire.ChannelOpen{Type: "direct-tcpip", Sender: 1, InitialWindow: 2, MaxPacket: 3,
			Extra: (&wire.DirectTCPIP{Host: "h", Port: 22, OriginatorAddress: "o", OriginatorPort: 5}).Append(nil)}).Append(nil),
			&xChannelOpen{"direct-tcpip", 1, 2, 3, ssh.Marshal(&xDirectTCPIP{"h", 22, "o", 5})}},
		{"CHANNEL_OPEN_FAILURE", (&wire.ChannelOpenFailure{Recipient: 1, Reason: 2, Description: "d", Language: "l"}).Append(nil),
			&xChannelOpenFailure{1, 2, "d", "l"}},
		{"CHANNEL_WINDOW_ADJUST", (&wire.ChannelWindowAdjust{Recipient: 1, Bytes: 2}).Append(nil), &xWindowAdjust{1, 2}},
		{"CHANNEL_DATA", (&wire.ChannelData{Recipient: 1, Data: []byte("abc")}).Append(nil), &xChannelData{1, []byte("abc")}},
		{"CHANNEL_REQUEST pty-req", (&wire.ChannelRequest{Recipient: 1, Type: "pty-req", WantReply: true, Extra: pty.Append(nil)}).Append(nil),
			&xChannelRequest{1, "pty-req", true, ssh.Marshal(&xPtyRequest{"xterm", 80, 24, 1, 2, string(ptyModes)})}},
		{"CHANNEL_REQUEST exit-signal", (&wire.ChannelRequest{Recipient: 1, Type: "exit-signal",
			Extra: (&wire.ExitSignal{Signal: "KILL", CoreDumped: true, Message: "m", Language: "l"}).Append(nil)}).Append(nil),
			&xChannelRequest{1, "exit-signal", false, ssh.Marshal(&xExitSignal{"KILL", true, "m", "l"})}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if want := ssh.Marshal(tt.theirs); !bytes.Equal(tt.ours, want) {
				t.Errorf("encodings differ:\nours   %x\ntheirs %x", tt.ours, want)
			}
			if _, err := wire.ParseMessage(tt.ours, wire.ContextKexDH); err != nil {
				t.Errorf("our parser: %v", err)
			}
		})
	}
}
