package wire

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
)

// parseAs adapts a typed parser to one that returns a Message.
func parseAs[T any, PT interface {
	*T
	Message
}](f func([]byte) (T, error)) func([]byte) (Message, error) {
	return func(p []byte) (Message, error) {
		m, err := f(p)
		if err != nil {
			return nil, err
		}
		return PT(&m), nil
	}
}

// parsers holds the parser of every message number whose meaning does not
// depend on the method in progress.
var parsers = map[MsgNum]func([]byte) (Message, error){
	MsgDisconnect:              parseAs(ParseDisconnect),
	MsgIgnore:                  parseAs(ParseIgnore),
	MsgUnimplemented:           parseAs(ParseUnimplemented),
	MsgDebug:                   parseAs(ParseDebug),
	MsgServiceRequest:          parseAs(ParseServiceRequest),
	MsgServiceAccept:           parseAs(ParseServiceAccept),
	MsgExtInfo:                 parseAs(ParseExtInfo),
	MsgNewCompress:             parseAs(ParseNewCompress),
	MsgKexInit:                 parseAs(ParseKexInit),
	MsgNewKeys:                 parseAs(ParseNewKeys),
	MsgUserauthRequest:         parseAs(ParseUserauthRequest),
	MsgUserauthFailure:         parseAs(ParseUserauthFailure),
	MsgUserauthSuccess:         parseAs(ParseUserauthSuccess),
	MsgUserauthBanner:          parseAs(ParseUserauthBanner),
	MsgGlobalRequest:           parseAs(ParseGlobalRequest),
	MsgRequestSuccess:          parseAs(ParseRequestSuccess),
	MsgRequestFailure:          parseAs(ParseRequestFailure),
	MsgChannelOpen:             parseAs(ParseChannelOpen),
	MsgChannelOpenConfirmation: parseAs(ParseChannelOpenConfirmation),
	MsgChannelOpenFailure:      parseAs(ParseChannelOpenFailure),
	MsgChannelWindowAdjust:     parseAs(ParseChannelWindowAdjust),
	MsgChannelData:             parseAs(ParseChannelData),
	MsgChannelExtendedData:     parseAs(ParseChannelExtendedData),
	MsgChannelEOF:              parseAs(ParseChannelEOF),
	MsgChannelClose:            parseAs(ParseChannelClose),
	MsgChannelRequest:          parseAs(ParseChannelRequest),
	MsgChannelSuccess:          parseAs(ParseChannelSuccess),
	MsgChannelFailure:          parseAs(ParseChannelFailure),
	MsgPing:                    parseAs(ParsePing),
	MsgPong:                    parseAs(ParsePong),
}

// ctxParsers holds the parsers of the method-specific numbers 30-49 and
// 60-79 by Context.
var ctxParsers = map[Context]map[MsgNum]func([]byte) (Message, error){
	ContextKexDH: {
		MsgKexDHInit:  parseAs(ParseKexDHInit),
		MsgKexDHReply: parseAs(ParseKexDHReply),
	},
	ContextKexECDH: {
		MsgKexECDHInit:  parseAs(ParseKexECDHInit),
		MsgKexECDHReply: parseAs(ParseKexECDHReply),
	},
	ContextKexDHGex: {
		MsgKexDHGexRequestOld: parseAs(ParseKexDHGexRequestOld),
		MsgKexDHGexGroup:      parseAs(ParseKexDHGexGroup),
		MsgKexDHGexInit:       parseAs(ParseKexDHGexInit),
		MsgKexDHGexReply:      parseAs(ParseKexDHGexReply),
		MsgKexDHGexRequest:    parseAs(ParseKexDHGexRequest),
	},
	ContextKexGSS: {
		MsgKexGSSInit:     parseAs(ParseKexGSSInit),
		MsgKexGSSContinue: parseAs(ParseKexGSSContinue),
		MsgKexGSSComplete: parseAs(ParseKexGSSComplete),
		MsgKexGSSHostKey:  parseAs(ParseKexGSSHostKey),
		MsgKexGSSError:    parseAs(ParseKexGSSError),
		MsgKexGSSGroupReq: parseAs(ParseKexGSSGroupReq),
		MsgKexGSSGroup:    parseAs(ParseKexGSSGroup),
	},
	ContextAuthPublicKey: {
		MsgUserauthPKOK: parseAs(ParseUserauthPKOK),
	},
	ContextAuthPassword: {
		MsgUserauthPasswdChangeReq: parseAs(ParseUserauthPasswdChangeReq),
	},
	ContextAuthKeyboardInteractive: {
		MsgUserauthInfoRequest:  parseAs(ParseUserauthInfoRequest),
		MsgUserauthInfoResponse: parseAs(ParseUserauthInfoResponse),
	},
	ContextAuthGSSAPI: {
		MsgUserauthGSSAPIResponse:         parseAs(ParseUserauthGSSAPIResponse),
		MsgUserauthGSSAPIToken:            parseAs(ParseUserauthGSSAPIToken),
		MsgUserauthGSSAPIExchangeComplete: parseAs(ParseUserauthGSSAPIExchangeComplete),
		MsgUserauthGSSAPIError:            parseAs(ParseUserauthGSSAPIError),
		MsgUserauthGSSAPIErrtok:           parseAs(ParseUserauthGSSAPIErrtok),
		MsgUserauthGSSAPIMIC:              parseAs(ParseUserauthGSSAPIMIC),
	},
}

// ParseMessage decodes any payload this package knows, choosing the
// parser by the message number and, for the method-specific numbers 30-49
// and 60-79, by ctx. It returns a pointer to the message type, for
// example *KexInit. A method-specific number with ContextNone, a number
// that ctx does not define, and a number this package does not know give
// a *DecodeError that wraps ErrUnexpectedMessage. The message aliases p.
func ParseMessage(p []byte, ctx Context) (Message, error) {
	if len(p) == 0 {
		return nil, &DecodeError{Detail: "empty payload", Err: ErrTruncated}
	}
	n := MsgNum(p[0])
	var parse func([]byte) (Message, error)
	if n >= 30 && n <= 49 || n >= 60 && n <= 79 {
		if ctx == ContextNone {
			return nil, &DecodeError{Msg: n.String(), Detail: "method-specific number needs a context", Err: ErrUnexpectedMessage}
		}
		parse = ctxParsers[ctx][n]
	} else {
		parse = parsers[n]
	}
	if parse == nil {
		return nil, &DecodeError{Msg: n.Name(ctx), Detail: "unknown message in context " + ctx.String(), Err: ErrUnexpectedMessage}
	}
	return parse(p)
}

// A Field is one named field of a described message. Value is safe to
// print: peer text is sanitised and secrets are redacted.
type Field struct {
	Name  string
	Value string
}

// A Description is a human-readable rendering of one payload for
// protocol traces (see Describe).
type Description struct {
	Num    MsgNum
	Name   string  // message name in its context, e.g. "KEXDH_INIT"
	Fields []Field // in wire order; field names follow the RFC
	Err    error   // non-nil if the payload did not decode
}

// Describe decodes p with ParseMessage and renders it field by field for
// a protocol trace. It never fails: a payload that does not decode gives
// a Description with Err set and its length.
//
// Secrets never appear in a Description: passwords, keyboard-interactive
// responses, GSS tokens and MICs, X11 cookies and environment values are
// shown as "[redacted, N bytes]", and channel data, IGNORE and PING
// payloads as "[N bytes]". Public keys, signatures and large integers are
// shown as their length and a SHA-256 prefix. Peer text passes through
// Sanitize.
func Describe(p []byte, ctx Context) Description {
	if len(p) == 0 {
		return Description{Name: "EMPTY", Err: &DecodeError{Detail: "empty payload", Err: ErrTruncated}}
	}
	d := Description{Num: MsgNum(p[0]), Name: MsgNum(p[0]).Name(ctx)}
	m, err := ParseMessage(p, ctx)
	if err != nil {
		d.Err = err
		d.add("payload", dataValue(len(p)))
		return d
	}
	d.describe(m)
	return d
}

// String renders d on one line: the name, then name=value pairs; values
// that are empty or contain spaces or quotes are quoted.
func (d Description) String() string {
	var sb strings.Builder
	sb.WriteString(d.Name)
	for _, f := range d.Fields {
		sb.WriteByte(' ')
		sb.WriteString(f.Name)
		sb.WriteByte('=')
		if f.Value == "" || strings.ContainsAny(f.Value, " \t\n\"=") {
			sb.WriteString(strconv.Quote(f.Value))
		} else {
			sb.WriteString(f.Value)
		}
	}
	if d.Err != nil {
		sb.WriteString(" error=")
		sb.WriteString(strconv.Quote(d.Err.Error()))
	}
	return sb.String()
}

// LogValue renders d as a slog group: "type", then one attribute per
// field, then "error" if the payload did not decode.
func (d Description) LogValue() slog.Value {
	attrs := make([]slog.Attr, 0, len(d.Fields)+2)
	attrs = append(attrs, slog.String("type", d.Name))
	for _, f := range d.Fields {
		attrs = append(attrs, slog.String(f.Name, f.Value))
	}
	if d.Err != nil {
		attrs = append(attrs, slog.String("error", d.Err.Error()))
	}
	return slog.GroupValue(attrs...)
}

var _ slog.LogValuer = Description{}

func (d *Description) add(name, value string) {
	d.Fields = append(d.Fields, Field{Name: name, Value: value})
}

// Longer peer text is cut in a Description, so that a hostile 200 KiB
// TERM or banner cannot flood a trace.
const (
	maxTextValue  = 256
	maxNamesValue = 4096
)

// clip cuts s to max bytes and notes the full length.
func clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	return s[:max] + "…[" + strconv.Itoa(len(s)) + " bytes]"
}

func (d *Description) text(name, s string)       { d.add(name, Sanitize(clip(s, maxTextValue))) }
func (d *Description) u32(name string, v uint32) { d.add(name, strconv.FormatUint(uint64(v), 10)) }
func (d *Description) boolean(name string, v bool) {
	d.add(name, strconv.FormatBool(v))
}
func (d *Description) names(name string, l []string) {
	d.add(name, clip(strings.Join(l, ","), maxNamesValue))
}
func (d *Description) secret(name string, n int) {
	d.add(name, "[redacted, "+strconv.Itoa(n)+" bytes]")
}
func (d *Description) data(name string, b []byte) { d.add(name, dataValue(len(b))) }
func (d *Description) blob(name string, b []byte) { d.add(name, blobValue(b)) }

// mpint shows small integers in decimal and large ones as a blob.
func (d *Description) mpint(name string, mag []byte) {
	if len(mag) <= 8 {
		var v uint64
		for _, c := range mag {
			v = v<<8 | uint64(c)
		}
		d.add(name, strconv.FormatUint(v, 10))
		return
	}
	d.add(name, blobValue(mag))
}

func dataValue(n int) string { return "[" + strconv.Itoa(n) + " bytes]" }

// blobValue renders a key, signature or large number as its length and
// the first 4 bytes of its SHA-256, prefixed by the algorithm name when b
// starts with one (a public key or signature blob, RFC 4253, Section 6.6).
func blobValue(b []byte) string {
	sum := sha256.Sum256(b)
	s := "[" + strconv.Itoa(len(b)) + " bytes sha256:" + hex.EncodeToString(sum[:4]) + "]"
	r := Reader{b: b}
	if alg := r.StringBytes(); !r.Failed() && ValidName(string(alg)) {
		s = string(alg) + " " + s
	}
	return s
}

// oidValue renders a DER-encoded OBJECT IDENTIFIER in dotted decimal, or
// as hex if it is not one (RFC 4462, Section 3.1 encodes mechanisms this
// way).
func oidValue(der []byte) string {
	fallback := "[" + hex.EncodeToString(der) + "]"
	if len(der) < 3 || der[0] != 0x06 || int(der[1]) != len(der)-2 || der[1] > 0x7f {
		return fallback
	}
	var sb strings.Builder
	var v uint64
	first := true
	for i, c := range der[2:] {
		if v > 1<<56 {
			return fallback
		}
		v = v<<7 | uint64(c&0x7f)
		if c&0x80 != 0 {
			if i == len(der)-3 {
				return fallback
			}
			continue
		}
		if first {
			a := min(v/40, 2)
			fmt.Fprintf(&sb, "%d.%d", a, v-40*a)
			first = false
		} else {
			fmt.Fprintf(&sb, ".%d", v)
		}
		v = 0
	}
	return sb.String()
}

// describe adds the fields of m.
func (d *Description) describe(m Message) {
	switch m := m.(type) {
	case *Disconnect:
		d.add("reason_code", m.Reason.String())
		d.text("description", m.Description)
		d.text("language_tag", m.Language)
	case *Ignore:
		d.data("data", m.Data)
	case *Unimplemented:
		d.u32("packet_sequence_number", m.SeqNum)
	case *Debug:
		d.boolean("always_display", m.AlwaysDisplay)
		d.text("message", m.Message)
		d.text("language_tag", m.Language)
	case *ServiceRequest:
		d.text("service_name", m.Service)
	case *ServiceAccept:
		d.text("service_name", m.Service)
	case *ExtInfo:
		d.u32("nr_extensions", uint32(len(m.Extensions)))
		for _, e := range m.Extensions {
			if ValidName(e.Name) {
				d.add(e.Name, extValue(e.Value))
			} else {
				d.text("extension_name", e.Name)
				d.add("extension_value", extValue(e.Value))
			}
		}
	case *NewCompress, *NewKeys, *RequestFailure, *UserauthSuccess, *UserauthGSSAPIExchangeComplete:
	case *KexInit:
		d.add("cookie", hex.EncodeToString(m.Cookie[:4])+"…")
		d.names("kex_algorithms", m.KexAlgorithms)
		d.names("server_host_key_algorithms", m.ServerHostKeyAlgorithms)
		d.names("encryption_algorithms_client_to_server", m.CiphersClientServer)
		d.names("encryption_algorithms_server_to_client", m.CiphersServerClient)
		d.names("mac_algorithms_client_to_server", m.MACsClientServer)
		d.names("mac_algorithms_server_to_client", m.MACsServerClient)
		d.names("compression_algorithms_client_to_server", m.CompressionClientServer)
		d.names("compression_algorithms_server_to_client", m.CompressionServerClient)
		d.names("languages_client_to_server", m.LanguagesClientServer)
		d.names("languages_server_to_client", m.LanguagesServerClient)
		d.boolean("first_kex_packet_follows", m.FirstKexPacketFollows)
		if m.Reserved != 0 {
			d.u32("reserved", m.Reserved)
		}
	case *Ping:
		d.data("data", m.Data)
	case *Pong:
		d.data("data", m.Data)

	case *KexDHInit:
		d.mpint("e", m.E)
	case *KexDHReply:
		d.blob("K_S", m.HostKey)
		d.mpint("f", m.F)
		d.blob("signature", m.Signature)
	case *KexECDHInit:
		d.blob("Q_C", m.ClientPublic)
	case *KexECDHReply:
		d.blob("K_S", m.HostKey)
		d.blob("Q_S", m.ServerPublic)
		d.blob("signature", m.Signature)
	case *KexDHGexRequestOld:
		d.u32("n", m.N)
	case *KexDHGexRequest:
		d.u32("min", m.Min)
		d.u32("n", m.N)
		d.u32("max", m.Max)
	case *KexDHGexGroup:
		d.mpint("p", m.P)
		d.mpint("g", m.G)
	case *KexDHGexInit:
		d.mpint("e", m.E)
	case *KexDHGexReply:
		d.blob("K_S", m.HostKey)
		d.mpint("f", m.F)
		d.blob("signature", m.Signature)
	case *KexGSSInit:
		d.secret("output_token", len(m.Token))
		d.blob("e", m.E)
	case *KexGSSContinue:
		d.secret("output_token", len(m.Token))
	case *KexGSSComplete:
		d.blob("f", m.F)
		d.secret("per_msg_token", len(m.MIC))
		d.boolean("has_output_token", m.HasToken)
		if m.HasToken {
			d.secret("output_token", len(m.Token))
		}
	case *KexGSSHostKey:
		d.blob("K_S", m.HostKey)
	case *KexGSSError:
		d.u32("major_status", m.Major)
		d.u32("minor_status", m.Minor)
		d.text("message", m.Message)
		d.text("language_tag", m.Language)
	case *KexGSSGroupReq:
		d.u32("min", m.Min)
		d.u32("n", m.N)
		d.u32("max", m.Max)
	case *KexGSSGroup:
		d.mpint("p", m.P)
		d.mpint("g", m.G)

	case *UserauthRequest:
		d.describeUserauthRequest(m)
	case *UserauthFailure:
		d.names("authentications_that_can_continue", m.Methods)
		d.boolean("partial_success", m.PartialSuccess)
	case *UserauthBanner:
		d.text("message", m.Message)
		d.text("language_tag", m.Language)
	case *UserauthPKOK:
		d.text("public_key_algorithm_name", m.Algorithm)
		d.blob("public_key_blob", m.PublicKey)
	case *UserauthPasswdChangeReq:
		d.text("prompt", m.Prompt)
		d.text("language_tag", m.Language)
	case *UserauthInfoRequest:
		d.text("name", m.Name)
		d.text("instruction", m.Instruction)
		d.text("language_tag", m.Language)
		d.u32("num_prompts", uint32(len(m.Prompts)))
		for i, p := range m.Prompts {
			d.text("prompt["+strconv.Itoa(i)+"]", p.Text)
			d.boolean("echo["+strconv.Itoa(i)+"]", p.Echo)
		}
	case *UserauthInfoResponse:
		d.u32("num_responses", uint32(len(m.Responses)))
		for i, r := range m.Responses {
			d.secret("response["+strconv.Itoa(i)+"]", len(r))
		}
	case *UserauthGSSAPIResponse:
		d.add("mechanism_oid", oidValue(m.Mechanism))
	case *UserauthGSSAPIToken:
		d.secret("token", len(m.Token))
	case *UserauthGSSAPIError:
		d.u32("major_status", m.Major)
		d.u32("minor_status", m.Minor)
		d.text("message", m.Message)
		d.text("language_tag", m.Language)
	case *UserauthGSSAPIErrtok:
		d.secret("error_token", len(m.Token))
	case *UserauthGSSAPIMIC:
		d.secret("mic", len(m.MIC))

	case *GlobalRequest:
		d.text("request_name", m.Name)
		d.boolean("want_reply", m.WantReply)
		d.describeGlobalData(m.Name, m.Data)
	case *RequestSuccess:
		if len(m.Data) > 0 {
			d.data("response_specific_data", m.Data)
		}
	case *ChannelOpen:
		d.text("channel_type", m.Type)
		d.u32("sender_channel", m.Sender)
		d.u32("initial_window_size", m.InitialWindow)
		d.u32("maximum_packet_size", m.MaxPacket)
		d.describeOpenData(m.Type, m.Extra)
	case *ChannelOpenConfirmation:
		d.u32("recipient_channel", m.Recipient)
		d.u32("sender_channel", m.Sender)
		d.u32("initial_window_size", m.InitialWindow)
		d.u32("maximum_packet_size", m.MaxPacket)
		if len(m.Extra) > 0 {
			d.data("channel_type_specific_data", m.Extra)
		}
	case *ChannelOpenFailure:
		d.u32("recipient_channel", m.Recipient)
		d.add("reason_code", m.Reason.String())
		d.text("description", m.Description)
		d.text("language_tag", m.Language)
	case *ChannelWindowAdjust:
		d.u32("recipient_channel", m.Recipient)
		d.u32("bytes_to_add", m.Bytes)
	case *ChannelData:
		d.u32("recipient_channel", m.Recipient)
		d.data("data", m.Data)
	case *ChannelExtendedData:
		d.u32("recipient_channel", m.Recipient)
		d.u32("data_type_code", m.DataType)
		d.data("data", m.Data)
	case *ChannelEOF:
		d.u32("recipient_channel", m.Recipient)
	case *ChannelClose:
		d.u32("recipient_channel", m.Recipient)
	case *ChannelSuccess:
		d.u32("recipient_channel", m.Recipient)
	case *ChannelFailure:
		d.u32("recipient_channel", m.Recipient)
	case *ChannelRequest:
		d.u32("recipient_channel", m.Recipient)
		d.text("request_type", m.Type)
		d.boolean("want_reply", m.WantReply)
		d.describeRequestData(m.Type, m.Extra)
	default:
		d.add("message", fmt.Sprintf("%T", m))
	}
}

// extValue renders an EXT_INFO value as text when it is printable ASCII,
// else as its length.
func extValue(v []byte) string {
	if len(v) > maxNamesValue {
		return dataValue(len(v))
	}
	for _, c := range v {
		if c < 0x21 || c > 0x7e {
			return dataValue(len(v))
		}
	}
	return string(v)
}

func (d *Description) describeUserauthRequest(m *UserauthRequest) {
	d.text("user_name", m.User)
	d.text("service_name", m.Service)
	d.text("method_name", m.Method)
	switch m.Method {
	case MethodPassword:
		d.boolean("change_password", m.ChangePassword)
		d.secret("password", len(m.Password))
		if m.ChangePassword {
			d.secret("new_password", len(m.NewPassword))
		}
	case MethodPublicKey:
		d.boolean("has_signature", m.HasSignature)
		d.text("public_key_algorithm_name", m.Algorithm)
		d.blob("public_key_blob", m.PublicKey)
		if m.HasSignature {
			d.blob("signature", m.Signature)
		}
	case MethodHostbased:
		d.text("public_key_algorithm_name", m.Algorithm)
		d.blob("public_key_blob", m.PublicKey)
		d.text("client_host_name", m.ClientHost)
		d.text("client_user_name", m.ClientUser)
		d.blob("signature", m.Signature)
	case MethodKeyboardInteractive:
		d.text("language_tag", m.Language)
		d.text("submethods", m.Submethods)
	case MethodGSSAPIWithMIC:
		oids := make([]string, len(m.Mechanisms))
		for i, o := range m.Mechanisms {
			oids[i] = oidValue(o)
		}
		d.u32("n", uint32(len(m.Mechanisms)))
		d.add("mechanism_oids", strings.Join(oids, ","))
	case MethodGSSAPIKeyex:
		d.secret("mic", len(m.MIC))
	case MethodNone:
	default:
		if len(m.Rest) > 0 {
			d.data("method_specific_fields", m.Rest)
		}
	}
}

// malformed renders type-specific data that did not decode.
func (d *Description) malformed(name string, b []byte) {
	d.add(name, "["+strconv.Itoa(len(b))+" bytes, malformed]")
}

func (d *Description) describeGlobalData(name string, b []byte) {
	const field = "request_specific_data"
	switch name {
	case GlobalTCPIPForward, GlobalCancelTCPIPForward:
		if v, err := ParseTCPIPForward(b); err == nil {
			d.text("address_to_bind", v.BindAddress)
			d.u32("port_number_to_bind", v.BindPort)
			return
		}
	case GlobalStreamLocalForward, GlobalCancelStreamLocalForward:
		if v, err := ParseStreamLocalForward(b); err == nil {
			d.text("socket_path", v.SocketPath)
			return
		}
	case GlobalHostKeys, GlobalHostKeysProve:
		if v, err := ParseHostKeys(b); err == nil {
			d.u32("hostkeys", uint32(len(v.Keys)))
			for i, k := range v.Keys {
				d.blob("hostkey["+strconv.Itoa(i)+"]", k)
			}
			return
		}
	default:
		if len(b) > 0 {
			d.data(field, b)
		}
		return
	}
	d.malformed(field, b)
}

func (d *Description) describeOpenData(typ string, b []byte) {
	const field = "channel_type_specific_data"
	switch typ {
	case ChannelTypeDirectTCPIP:
		if v, err := ParseDirectTCPIP(b); err == nil {
			d.text("host_to_connect", v.Host)
			d.u32("port_to_connect", v.Port)
			d.text("originator_ip_address", v.OriginatorAddress)
			d.u32("originator_port", v.OriginatorPort)
			return
		}
	case ChannelTypeForwardedTCPIP:
		if v, err := ParseForwardedTCPIP(b); err == nil {
			d.text("address_that_was_connected", v.Address)
			d.u32("port_that_was_connected", v.Port)
			d.text("originator_ip_address", v.OriginatorAddress)
			d.u32("originator_port", v.OriginatorPort)
			return
		}
	case ChannelTypeX11:
		if v, err := ParseX11Open(b); err == nil {
			d.text("originator_address", v.OriginatorAddress)
			d.u32("originator_port", v.OriginatorPort)
			return
		}
	case ChannelTypeDirectStreamLocal:
		if v, err := ParseDirectStreamLocal(b); err == nil {
			d.text("socket_path", v.SocketPath)
			d.text("reserved", v.Reserved)
			d.u32("reserved_port", v.ReservedPort)
			return
		}
	case ChannelTypeForwardedStreamLocal:
		if v, err := ParseForwardedStreamLocal(b); err == nil {
			d.text("socket_path", v.SocketPath)
			d.text("reserved", v.Reserved)
			return
		}
	case ChannelTypeTun:
		if v, err := ParseTunOpen(b); err == nil {
			d.u32("tunnel_mode", v.Mode)
			d.u32("remote_unit", v.Unit)
			return
		}
	default:
		if len(b) > 0 {
			d.data(field, b)
		}
		return
	}
	d.malformed(field, b)
}

func (d *Description) describeRequestData(typ string, b []byte) {
	const field = "type_specific_data"
	switch typ {
	case RequestPtyReq:
		if v, err := ParsePtyRequest(b); err == nil {
			d.text("TERM", v.Term)
			d.u32("terminal_width_characters", v.Columns)
			d.u32("terminal_height_rows", v.Rows)
			d.u32("terminal_width_pixels", v.WidthPixels)
			d.u32("terminal_height_pixels", v.HeightPixels)
			d.data("encoded_terminal_modes", v.Modes)
			return
		}
	case RequestX11Req:
		if v, err := ParseX11Request(b); err == nil {
			d.boolean("single_connection", v.SingleConnection)
			d.text("x11_authentication_protocol", v.AuthProtocol)
			d.secret("x11_authentication_cookie", len(v.AuthCookie))
			d.u32("x11_screen_number", v.Screen)
			return
		}
	case RequestEnv:
		if v, err := ParseEnvRequest(b); err == nil {
			d.text("variable_name", v.Name)
			d.secret("variable_value", len(v.Value))
			return
		}
	case RequestExec:
		if v, err := ParseExecRequest(b); err == nil {
			d.text("command", v.Command)
			return
		}
	case RequestSubsystem:
		if v, err := ParseSubsystemRequest(b); err == nil {
			d.text("subsystem_name", v.Name)
			return
		}
	case RequestWindowChange:
		if v, err := ParseWindowChange(b); err == nil {
			d.u32("terminal_width_columns", v.Columns)
			d.u32("terminal_height_rows", v.Rows)
			d.u32("terminal_width_pixels", v.WidthPixels)
			d.u32("terminal_height_pixels", v.HeightPixels)
			return
		}
	case RequestXonXoff:
		if v, err := ParseXonXoff(b); err == nil {
			d.boolean("client_can_do", v.ClientCanDo)
			return
		}
	case RequestSignal:
		if v, err := ParseSignalRequest(b); err == nil {
			d.text("signal_name", v.Signal)
			return
		}
	case RequestExitStatus:
		if v, err := ParseExitStatus(b); err == nil {
			d.u32("exit_status", v.Status)
			return
		}
	case RequestExitSignal:
		if v, err := ParseExitSignal(b); err == nil {
			d.text("signal_name", v.Signal)
			d.boolean("core_dumped", v.CoreDumped)
			d.text("error_message", v.Message)
			d.text("language_tag", v.Language)
			return
		}
	case RequestBreak:
		if v, err := ParseBreakRequest(b); err == nil {
			d.u32("break_length_ms", v.Length)
			return
		}
	default:
		if len(b) > 0 {
			d.data(field, b)
		}
		return
	}
	d.malformed(field, b)
}
