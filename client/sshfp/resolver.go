package sshfp

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// MaxMessage bounds a DNS message read from the network: the largest a
// TCP length prefix can announce (RFC 1035, Section 4.2.2).
const MaxMessage = 65535

// udpPayload is the EDNS(0) payload size we advertise (RFC 6891,
// Section 6.2.5; the DNS flag day 2020 value).
const udpPayload = 1232

// DefaultTimeout and DefaultAttempts are glibc's resolver defaults
// (resolv.conf "options timeout:5 attempts:2").
const (
	DefaultTimeout  = 5 * time.Second
	DefaultAttempts = 2
)

// maxChain bounds the CNAME chain followed inside one answer.
const maxChain = 8

// A Resolver asks nameservers for SSHFP records. The zero value asks
// 127.0.0.1:53 and [::1]:53, as glibc does without a resolv.conf.
type Resolver struct {
	// Servers are "host:port" addresses, tried in order.
	Servers []string
	// Timeout bounds each attempt (DefaultTimeout if 0); the context
	// bounds the whole Lookup.
	Timeout time.Duration
	// Attempts is how many rounds over Servers (DefaultAttempts if 0).
	Attempts int
	// TrustAD believes the AD bit of answers (Answer.Secure); without
	// it no answer is secure. Set it only when the path to the servers
	// is trusted (a validating resolver on the same host), as glibc's
	// "options trust-ad".
	TrustAD bool
}

// An Answer is the SSHFP records of a name.
type Answer struct {
	Records []Record
	// Secure is true when the resolver set the AD bit (RFC 4035,
	// Section 3.2.3) and the Resolver trusts it.
	Secure bool
}

// Errors of Lookup.
var (
	// ErrMalformed is wrapped by the error for a response that does
	// not parse.
	ErrMalformed = errors.New("sshfp: malformed DNS response")
	// errStray is a datagram that answers some other question; it is
	// ignored.
	errStray = errors.New("sshfp: response to another query")
	// errTruncated is a UDP answer with TC set; Lookup retries over TCP.
	errTruncated = errors.New("sshfp: truncated response")
)

// An RCodeError is a response with an error RCODE other than NXDOMAIN
// (RFC 1035, Section 4.1.1), SERVFAIL for example.
type RCodeError struct {
	Server string
	RCode  dnsmessage.RCode
}

func (e *RCodeError) Error() string {
	return fmt.Sprintf("sshfp: %s answered %v", e.Server, e.RCode)
}

// ReadResolvConf reads the nameserver lines (at most three, as glibc)
// and the options timeout:N, attempts:N and trust-ad of a resolv.conf
// file. A file that does not exist gives the zero Resolver's defaults.
func ReadResolvConf(path string) (*Resolver, error) {
	r := &Resolver{}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return r, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sshfp: %w", err)
	}
	defer f.Close()
	return parseResolvConf(io.LimitReader(f, 1<<20), r)
}

func parseResolvConf(rd io.Reader, r *Resolver) (*Resolver, error) {
	sc := bufio.NewScanner(rd)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || f[0][0] == '#' || f[0][0] == ';' {
			continue
		}
		switch f[0] {
		case "nameserver":
			if len(f) > 1 && len(r.Servers) < 3 && net.ParseIP(strings.SplitN(f[1], "%", 2)[0]) != nil {
				r.Servers = append(r.Servers, net.JoinHostPort(f[1], "53"))
			}
		case "options":
			for _, o := range f[1:] {
				name, val, _ := strings.Cut(o, ":")
				n, _ := strconv.Atoi(val)
				switch name {
				case "trust-ad":
					r.TrustAD = true
				case "timeout":
					if n > 0 {
						r.Timeout = time.Duration(min(n, 30)) * time.Second
					}
				case "attempts":
					if n > 0 {
						r.Attempts = min(n, 5)
					}
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("sshfp: reading resolv.conf: %w", err)
	}
	return r, nil
}

// Lookup asks for the SSHFP records of name, an absolute domain name
// (no search list is applied, as ssh's getrrsetbyname). A name that
// does not exist, or has no SSHFP records, is an Answer with none. The
// error is the last server's when none answered: a net.Error on
// timeout, *RCodeError, ErrMalformed, or ctx's error.
func (r *Resolver) Lookup(ctx context.Context, name string) (*Answer, error) {
	if !strings.HasSuffix(name, ".") {
		name += "."
	}
	qname, err := dnsmessage.NewName(name)
	if err != nil {
		return nil, fmt.Errorf("sshfp: name %q: %w", name, err)
	}
	servers := r.Servers
	if len(servers) == 0 {
		servers = []string{"127.0.0.1:53", "[::1]:53"}
	}
	attempts := r.Attempts
	if attempts <= 0 {
		attempts = DefaultAttempts
	}
	var last error
	for range attempts {
		for _, s := range servers {
			a, err := r.exchange(ctx, s, qname)
			if err == nil {
				return a, nil
			}
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			last = err
		}
	}
	return nil, last
}

// query builds the question: SSHFP IN name, recursion desired, and an
// EDNS(0) OPT record; with TrustAD the AD bit (RFC 6840, Section 5.7)
// and DO bit ask the resolver to say whether it validated.
func (r *Resolver) query(id uint16, qname dnsmessage.Name) ([]byte, error) {
	b := dnsmessage.NewBuilder(make([]byte, 0, 64), dnsmessage.Header{ID: id, RecursionDesired: true, AuthenticData: r.TrustAD})
	b.EnableCompression()
	if err := b.StartQuestions(); err != nil {
		return nil, err
	}
	if err := b.Question(dnsmessage.Question{Name: qname, Type: Type, Class: dnsmessage.ClassINET}); err != nil {
		return nil, err
	}
	if err := b.StartAdditionals(); err != nil {
		return nil, err
	}
	var opt dnsmessage.ResourceHeader
	if err := opt.SetEDNS0(udpPayload, dnsmessage.RCodeSuccess, r.TrustAD); err != nil {
		return nil, err
	}
	if err := b.OPTResource(opt, dnsmessage.OPTResource{}); err != nil {
		return nil, err
	}
	return b.Finish()
}

// exchange asks one server over UDP, then over TCP if the answer was
// truncated.
func (r *Resolver) exchange(ctx context.Context, server string, qname dnsmessage.Name) (*Answer, error) {
	var idb [2]byte
	if _, err := rand.Read(idb[:]); err != nil {
		return nil, err
	}
	id := binary.BigEndian.Uint16(idb[:])
	q, err := r.query(id, qname)
	if err != nil {
		return nil, fmt.Errorf("sshfp: building query: %w", err)
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	msg, err := exchangeUDP(ctx, server, q, id, qname)
	if errors.Is(err, errTruncated) {
		msg, err = exchangeTCP(ctx, server, q)
	}
	if err != nil {
		return nil, err
	}
	a, rcode, err := parseResponse(msg, id, qname, r.TrustAD)
	if err != nil {
		return nil, err
	}
	if rcode != dnsmessage.RCodeSuccess && rcode != dnsmessage.RCodeNameError {
		return nil, &RCodeError{server, rcode}
	}
	return a, nil
}

// dialCtx dials network and ties the connection's deadline to ctx.
func dialCtx(ctx context.Context, network, server string) (net.Conn, func(), error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, network, server)
	if err != nil {
		return nil, nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Now()) })
	return c, func() { stop(); c.Close() }, nil
}

// exchangeUDP sends q and returns the first datagram that answers it.
// The socket is connected, so datagrams from other addresses never
// arrive; those for another ID or question are skipped.
func exchangeUDP(ctx context.Context, server string, q []byte, id uint16, qname dnsmessage.Name) ([]byte, error) {
	c, done, err := dialCtx(ctx, "udp", server)
	if err != nil {
		return nil, err
	}
	defer done()
	if _, err := c.Write(q); err != nil {
		return nil, ctxErr(ctx, err)
	}
	buf := make([]byte, MaxMessage)
	for {
		n, err := c.Read(buf)
		if err != nil {
			return nil, ctxErr(ctx, err)
		}
		msg := buf[:n]
		_, _, err = parseResponse(msg, id, qname, false)
		if errors.Is(err, errStray) {
			continue
		}
		if errors.Is(err, errTruncated) {
			return nil, err
		}
		return msg, nil // parsed again by exchange, with its error
	}
}

// exchangeTCP sends q with its two-byte length (RFC 1035, Section
// 4.2.2) and reads one answer.
func exchangeTCP(ctx context.Context, server string, q []byte) ([]byte, error) {
	c, done, err := dialCtx(ctx, "tcp", server)
	if err != nil {
		return nil, err
	}
	defer done()
	if _, err := c.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(q))), q...)); err != nil {
		return nil, ctxErr(ctx, err)
	}
	var lb [2]byte
	if _, err := io.ReadFull(c, lb[:]); err != nil {
		return nil, ctxErr(ctx, err)
	}
	msg := make([]byte, binary.BigEndian.Uint16(lb[:]))
	if _, err := io.ReadFull(c, msg); err != nil {
		return nil, ctxErr(ctx, err)
	}
	return msg, nil
}

// ctxErr prefers the context's error to the deadline error it caused.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("sshfp: %w (%v)", ctx.Err(), err)
	}
	return fmt.Errorf("sshfp: %w", err)
}

// parseResponse decodes a response to query id for qname: the SSHFP
// records of qname, or of the name a CNAME chain in the answer leads to
// (at most maxChain links). A response for another ID or question is
// errStray, a UDP response with TC errTruncated. Malformed SSHFP RDATA
// is skipped (ssh: "Error parsing fingerprint from DNS"); any other
// malformation fails the whole response.
func parseResponse(msg []byte, id uint16, qname dnsmessage.Name, trustAD bool) (*Answer, dnsmessage.RCode, error) {
	if len(msg) > MaxMessage {
		return nil, 0, fmt.Errorf("%w: %d bytes", ErrMalformed, len(msg))
	}
	var p dnsmessage.Parser
	h, err := p.Start(msg)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if h.ID != id || !h.Response || h.OpCode != 0 {
		return nil, 0, errStray
	}
	qs, err := p.AllQuestions()
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(qs) != 1 || qs[0].Type != Type || qs[0].Class != dnsmessage.ClassINET || !sameName(qs[0].Name, qname) {
		return nil, 0, errStray
	}
	if h.Truncated {
		return nil, 0, errTruncated
	}
	a := &Answer{Secure: trustAD && h.AuthenticData}
	if h.RCode != dnsmessage.RCodeSuccess {
		return a, h.RCode, nil
	}
	type owned struct {
		owner dnsmessage.Name
		rec   Record
	}
	var recs []owned
	cnames := map[string]dnsmessage.Name{}
	for {
		rh, err := p.AnswerHeader()
		if errors.Is(err, dnsmessage.ErrSectionDone) {
			break
		}
		if err != nil {
			return nil, 0, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		switch {
		case rh.Class != dnsmessage.ClassINET:
			err = p.SkipAnswer()
		case rh.Type == dnsmessage.TypeCNAME:
			var cn dnsmessage.CNAMEResource
			cn, err = p.CNAMEResource()
			if err == nil && len(cnames) < maxChain {
				cnames[lower(rh.Name)] = cn.CNAME
			}
		case rh.Type == Type:
			var u dnsmessage.UnknownResource
			u, err = p.UnknownResource()
			if err == nil {
				if rec, perr := ParseRecord(u.Data); perr == nil {
					recs = append(recs, owned{rh.Name, rec})
				}
			}
		default:
			err = p.SkipAnswer()
		}
		if err != nil {
			return nil, 0, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
	}
	target := qname
	for range maxChain {
		next, ok := cnames[lower(target)]
		if !ok {
			break
		}
		target = next
	}
	for _, o := range recs {
		if sameName(o.owner, target) {
			a.Records = append(a.Records, o.rec)
		}
	}
	return a, dnsmessage.RCodeSuccess, nil
}

func lower(n dnsmessage.Name) string { return strings.ToLower(n.String()) }

func sameName(a, b dnsmessage.Name) bool { return strings.EqualFold(a.String(), b.String()) }
