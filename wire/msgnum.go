package wire

import "strconv"

// A MsgNum is an SSH message number, the first byte of every payload
// (RFC 4250, Section 4.1).
type MsgNum byte

// Message numbers. Numbers 30-49 belong to the negotiated key exchange
// method and 60-79 to the user authentication method in use, so several
// constants share a value; see Context.
const (
	// RFC 4253 transport layer generic (1-19).
	MsgDisconnect     MsgNum = 1
	MsgIgnore         MsgNum = 2
	MsgUnimplemented  MsgNum = 3
	MsgDebug          MsgNum = 4
	MsgServiceRequest MsgNum = 5
	MsgServiceAccept  MsgNum = 6
	MsgExtInfo        MsgNum = 7 // RFC 8308
	MsgNewCompress    MsgNum = 8 // RFC 8308

	// RFC 4253 algorithm negotiation (20-29).
	MsgKexInit MsgNum = 20
	MsgNewKeys MsgNum = 21

	// Key exchange method specific (30-49).
	MsgKexDHInit          MsgNum = 30 // RFC 4253, Section 8
	MsgKexDHReply         MsgNum = 31
	MsgKexECDHInit        MsgNum = 30 // RFC 5656, Section 7.1; also hybrid KEM and curve25519
	MsgKexECDHReply       MsgNum = 31
	MsgKexDHGexRequestOld MsgNum = 30 // RFC 4419
	MsgKexDHGexGroup      MsgNum = 31
	MsgKexDHGexInit       MsgNum = 32
	MsgKexDHGexReply      MsgNum = 33
	MsgKexDHGexRequest    MsgNum = 34
	MsgKexGSSInit         MsgNum = 30 // RFC 4462, Section 2.5
	MsgKexGSSContinue     MsgNum = 31
	MsgKexGSSComplete     MsgNum = 32
	MsgKexGSSHostKey      MsgNum = 33
	MsgKexGSSError        MsgNum = 34
	MsgKexGSSGroupReq     MsgNum = 40
	MsgKexGSSGroup        MsgNum = 41

	// RFC 4252 user authentication generic (50-59).
	MsgUserauthRequest MsgNum = 50
	MsgUserauthFailure MsgNum = 51
	MsgUserauthSuccess MsgNum = 52
	MsgUserauthBanner  MsgNum = 53

	// User authentication method specific (60-79).
	MsgUserauthPKOK                   MsgNum = 60 // RFC 4252, Section 7
	MsgUserauthPasswdChangeReq        MsgNum = 60 // RFC 4252, Section 8
	MsgUserauthInfoRequest            MsgNum = 60 // RFC 4256, Section 3.2
	MsgUserauthInfoResponse           MsgNum = 61
	MsgUserauthGSSAPIResponse         MsgNum = 60 // RFC 4462, Section 3.3
	MsgUserauthGSSAPIToken            MsgNum = 61
	MsgUserauthGSSAPIExchangeComplete MsgNum = 63
	MsgUserauthGSSAPIError            MsgNum = 64
	MsgUserauthGSSAPIErrtok           MsgNum = 65
	MsgUserauthGSSAPIMIC              MsgNum = 66

	// RFC 4254 connection protocol (80-127).
	MsgGlobalRequest           MsgNum = 80
	MsgRequestSuccess          MsgNum = 81
	MsgRequestFailure          MsgNum = 82
	MsgChannelOpen             MsgNum = 90
	MsgChannelOpenConfirmation MsgNum = 91
	MsgChannelOpenFailure      MsgNum = 92
	MsgChannelWindowAdjust     MsgNum = 93
	MsgChannelData             MsgNum = 94
	MsgChannelExtendedData     MsgNum = 95
	MsgChannelEOF              MsgNum = 96
	MsgChannelClose            MsgNum = 97
	MsgChannelRequest          MsgNum = 98
	MsgChannelSuccess          MsgNum = 99
	MsgChannelFailure          MsgNum = 100

	// OpenSSH PROTOCOL, Section 1.9 "transport: ping facility" (local
	// extension range 192-255).
	MsgPing MsgNum = 192
	MsgPong MsgNum = 193
)

// A Context says which key exchange or user authentication method is in
// progress, which decides the meaning of message numbers 30-49 and 60-79.
type Context uint8

// Contexts for the method-specific message number ranges.
const (
	ContextNone                    Context = iota // no method known; 30-49 and 60-79 are ambiguous
	ContextKexDH                                  // diffie-hellman-group*: KEXDH_INIT, KEXDH_REPLY
	ContextKexECDH                                // ecdh-*, curve25519-*, hybrid KEMs: KEX_ECDH_INIT, KEX_ECDH_REPLY
	ContextKexDHGex                               // diffie-hellman-group-exchange-*
	ContextKexGSS                                 // gss-* (RFC 4462, RFC 8732)
	ContextAuthPublicKey                          // publickey: PK_OK
	ContextAuthPassword                           // password: PASSWD_CHANGEREQ
	ContextAuthKeyboardInteractive                // keyboard-interactive: INFO_REQUEST, INFO_RESPONSE
	ContextAuthGSSAPI                             // gssapi-with-mic: GSSAPI_*
)

var contextNames = [...]string{
	ContextNone:                    "none",
	ContextKexDH:                   "kex-dh",
	ContextKexECDH:                 "kex-ecdh",
	ContextKexDHGex:                "kex-dh-gex",
	ContextKexGSS:                  "kex-gss",
	ContextAuthPublicKey:           "auth-publickey",
	ContextAuthPassword:            "auth-password",
	ContextAuthKeyboardInteractive: "auth-keyboard-interactive",
	ContextAuthGSSAPI:              "auth-gssapi",
}

func (c Context) String() string {
	if int(c) < len(contextNames) {
		return contextNames[c]
	}
	return "Context(" + strconv.Itoa(int(c)) + ")"
}

var msgNames = map[MsgNum]string{
	MsgDisconnect:              "DISCONNECT",
	MsgIgnore:                  "IGNORE",
	MsgUnimplemented:           "UNIMPLEMENTED",
	MsgDebug:                   "DEBUG",
	MsgServiceRequest:          "SERVICE_REQUEST",
	MsgServiceAccept:           "SERVICE_ACCEPT",
	MsgExtInfo:                 "EXT_INFO",
	MsgNewCompress:             "NEWCOMPRESS",
	MsgKexInit:                 "KEXINIT",
	MsgNewKeys:                 "NEWKEYS",
	MsgUserauthRequest:         "USERAUTH_REQUEST",
	MsgUserauthFailure:         "USERAUTH_FAILURE",
	MsgUserauthSuccess:         "USERAUTH_SUCCESS",
	MsgUserauthBanner:          "USERAUTH_BANNER",
	MsgGlobalRequest:           "GLOBAL_REQUEST",
	MsgRequestSuccess:          "REQUEST_SUCCESS",
	MsgRequestFailure:          "REQUEST_FAILURE",
	MsgChannelOpen:             "CHANNEL_OPEN",
	MsgChannelOpenConfirmation: "CHANNEL_OPEN_CONFIRMATION",
	MsgChannelOpenFailure:      "CHANNEL_OPEN_FAILURE",
	MsgChannelWindowAdjust:     "CHANNEL_WINDOW_ADJUST",
	MsgChannelData:             "CHANNEL_DATA",
	MsgChannelExtendedData:     "CHANNEL_EXTENDED_DATA",
	MsgChannelEOF:              "CHANNEL_EOF",
	MsgChannelClose:            "CHANNEL_CLOSE",
	MsgChannelRequest:          "CHANNEL_REQUEST",
	MsgChannelSuccess:          "CHANNEL_SUCCESS",
	MsgChannelFailure:          "CHANNEL_FAILURE",
	MsgPing:                    "PING",
	MsgPong:                    "PONG",
}

// contextual names for the method-specific ranges.
var ctxMsgNames = map[Context]map[MsgNum]string{
	ContextKexDH:   {30: "KEXDH_INIT", 31: "KEXDH_REPLY"},
	ContextKexECDH: {30: "KEX_ECDH_INIT", 31: "KEX_ECDH_REPLY"},
	ContextKexDHGex: {30: "KEX_DH_GEX_REQUEST_OLD", 31: "KEX_DH_GEX_GROUP",
		32: "KEX_DH_GEX_INIT", 33: "KEX_DH_GEX_REPLY", 34: "KEX_DH_GEX_REQUEST"},
	ContextKexGSS: {30: "KEXGSS_INIT", 31: "KEXGSS_CONTINUE", 32: "KEXGSS_COMPLETE",
		33: "KEXGSS_HOSTKEY", 34: "KEXGSS_ERROR", 40: "KEXGSS_GROUPREQ", 41: "KEXGSS_GROUP"},
	ContextAuthPublicKey:           {60: "USERAUTH_PK_OK"},
	ContextAuthPassword:            {60: "USERAUTH_PASSWD_CHANGEREQ"},
	ContextAuthKeyboardInteractive: {60: "USERAUTH_INFO_REQUEST", 61: "USERAUTH_INFO_RESPONSE"},
	ContextAuthGSSAPI: {60: "USERAUTH_GSSAPI_RESPONSE", 61: "USERAUTH_GSSAPI_TOKEN",
		63: "USERAUTH_GSSAPI_EXCHANGE_COMPLETE", 64: "USERAUTH_GSSAPI_ERROR",
		65: "USERAUTH_GSSAPI_ERRTOK", 66: "USERAUTH_GSSAPI_MIC"},
}

// String returns the RFC 4250 name without the SSH_MSG_ prefix. Numbers in
// the method-specific ranges have no single name and print as KEX_30 or
// USERAUTH_60; use Name with a Context to resolve them.
func (n MsgNum) String() string { return n.Name(ContextNone) }

// Name returns the message's name in the given context.
func (n MsgNum) Name(ctx Context) string {
	if s, ok := msgNames[n]; ok {
		return s
	}
	if s, ok := ctxMsgNames[ctx][n]; ok {
		return s
	}
	switch {
	case n >= 30 && n <= 49:
		return "KEX_" + strconv.Itoa(int(n))
	case n >= 60 && n <= 79:
		return "USERAUTH_" + strconv.Itoa(int(n))
	}
	return "MSG_" + strconv.Itoa(int(n))
}

// IsTransport reports whether n belongs to the transport layer
// (1-49, RFC 4250, Section 4.1.2).
func (n MsgNum) IsTransport() bool { return n >= 1 && n <= 49 }

// IsKex reports whether n belongs to algorithm negotiation or a key
// exchange method (20-49).
func (n MsgNum) IsKex() bool { return n >= 20 && n <= 49 }

// IsKexMethod reports whether n belongs to a key exchange method
// (30-49, RFC 4250, Section 4.1.2), whose meaning the negotiated method
// decides.
func (n MsgNum) IsKexMethod() bool { return n >= 30 && n <= 49 }

// IsUserauth reports whether n belongs to user authentication (50-79).
func (n MsgNum) IsUserauth() bool { return n >= 50 && n <= 79 }

// IsConnection reports whether n belongs to the connection protocol
// (80-127).
func (n MsgNum) IsConnection() bool { return n >= 80 && n <= 127 }

// Recognized reports whether some layer of sshstack acts on n, in the
// sense of RFC 4253, Section 11.4: a peer's message whose number is not
// recognized is answered with SSH_MSG_UNIMPLEMENTED and otherwise
// ignored. The recognized numbers are those of RFC 4250, Section 4.1
// that sshstack implements (1-7, 20-21, 50-53, 80-82, 90-100), OpenSSH's
// PING and PONG (192-193), and the two method-specific ranges (30-49 and
// 60-79), since a plug-in kex or userauth method may use any number in
// them. Everything else is unrecognized: the unassigned numbers of each
// layer's range (9-19, 22-29, 54-59, 83-89, 101-127), SSH_MSG_NEWCOMPRESS
// (8; sshstack does not negotiate RFC 8308's delay-compression), the
// range reserved for client protocols (128-191) and every other local
// extension (194-255). A recognized number can still be wrong for the
// state it arrives in; that is a protocol error, not unimplemented.
func (n MsgNum) Recognized() bool {
	switch {
	case n >= MsgDisconnect && n <= MsgExtInfo,
		n == MsgKexInit, n == MsgNewKeys, n.IsKexMethod(),
		n >= MsgUserauthRequest && n <= MsgUserauthBanner, n >= 60 && n <= 79,
		n >= MsgGlobalRequest && n <= MsgRequestFailure,
		n >= MsgChannelOpen && n <= MsgChannelFailure,
		n == MsgPing, n == MsgPong:
		return true
	}
	return false
}
