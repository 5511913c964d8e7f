package gssapi

import "time"

// Per-message calls (RFC 2743, Section 2.3; RFC 4121, Section 4.2).

// keyFor returns the key a received token was made with, as its
// AcceptorSubkey flag says (RFC 4121, Section 4.2.2).
func (c *Context) keyFor(tokFlags byte) (*perMessageKey, error) {
	wantAcc := byte(0)
	if c.initiator {
		wantAcc = tokFlagSentByAcceptor
	}
	if tokFlags&tokFlagSentByAcceptor != wantAcc {
		return nil, newError(StatusBadSig, 0, "token direction flag is wrong (reflected token?)")
	}
	i, key := 0, c.sessionKey
	if c.initSubkey.KeyType != 0 {
		key = c.initSubkey
	}
	if tokFlags&tokFlagAcceptorSubkey != 0 {
		if !c.haveAccKey {
			return nil, newError(StatusDefectiveToken, 0, "token uses an acceptor subkey the context does not have")
		}
		i, key = 1, c.accSubkey
	}
	if c.recvKeys[i] == nil {
		k, err := newPerMessageKey(key)
		if err != nil {
			return nil, err
		}
		c.recvKeys[i] = k
	}
	return c.recvKeys[i], nil
}

func (c *Context) sendFlags() byte {
	var f byte
	if !c.initiator {
		f |= tokFlagSentByAcceptor
	}
	if c.haveAccKey {
		f |= tokFlagAcceptorSubkey
	}
	return f
}

func (c *Context) ready() error {
	switch c.state {
	case stateEstablished:
	case stateDeleted, stateFailed:
		return newError(StatusNoContext, 0, "context %v", c.state)
	default:
		return newError(StatusNoContext, 0, "context not established")
	}
	if time.Now().After(c.expiry) {
		return newError(StatusContextExpired, krbAPErrTktExpired, "context expired at %v", c.expiry)
	}
	return nil
}

// supplementary turns the replay window's verdict into an error; a nil
// result means the token is in order.
func supplementary(s Status) error {
	if s == 0 {
		return nil
	}
	return &Error{Major: s, Msg: "per-message token " + s.String()}
}

// GetMIC returns a MIC token over msg (GSS_GetMIC, RFC 2743, Section
// 2.3.1; RFC 4121, Section 4.2.6.1). The quality of protection is
// always the default.
func (c *Context) GetMIC(msg []byte) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.ready(); err != nil {
		return nil, err
	}
	tok, err := makeMIC(c.sendKey, c.sendFlags(), c.sendSeq, msg)
	if err != nil {
		return nil, err
	}
	c.sendSeq++
	return tok, nil
}

// VerifyMIC checks a MIC token over msg (GSS_VerifyMIC, RFC 2743,
// Section 2.3.2). Errors: ErrBadSig, ErrDefectiveToken, ErrNoContext,
// ErrContextExpired; or, for an authentic token out of order, an *Error
// with only supplementary bits (ErrDuplicateToken, ErrOldToken,
// ErrUnseqToken, ErrGapToken).
func (c *Context) VerifyMIC(msg, tok []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.ready(); err != nil {
		return err
	}
	h, err := parseTokenHeader(tok, tokMIC)
	if err != nil {
		return err
	}
	k, err := c.keyFor(h.Flags)
	if err != nil {
		return err
	}
	if err := verifyMICToken(k, tok, msg); err != nil {
		return err
	}
	return supplementary(c.recv.check(h.Seq))
}

// Wrap protects msg (GSS_Wrap, RFC 2743, Section 2.3.3; RFC 4121,
// Section 4.2.6.2): encrypted and integrity-protected if conf, else
// integrity-protected only.
func (c *Context) Wrap(msg []byte, conf bool) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.ready(); err != nil {
		return nil, err
	}
	tok, err := makeWrap(c.sendKey, c.sendFlags(), c.sendSeq, msg, conf)
	if err != nil {
		return nil, err
	}
	c.sendSeq++
	return tok, nil
}

// Unwrap verifies and opens a Wrap token (GSS_Unwrap, RFC 2743, Section
// 2.3.4) and reports whether it was encrypted. Errors are those of
// VerifyMIC; with a supplementary-only error msg is still valid.
func (c *Context) Unwrap(tok []byte) (msg []byte, conf bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.ready(); err != nil {
		return nil, false, err
	}
	h, err := parseTokenHeader(tok, tokWrap)
	if err != nil {
		return nil, false, err
	}
	k, err := c.keyFor(h.Flags)
	if err != nil {
		return nil, false, err
	}
	msg, conf, err = unwrapToken(k, h, tok)
	if err != nil {
		return nil, false, err
	}
	return msg, conf, supplementary(c.recv.check(h.Seq))
}

// WrapSizeLimit returns the largest message whose Wrap token fits in
// maxToken bytes (GSS_Wrap_size_limit, RFC 2743, Section 2.2.7), or 0.
func (c *Context) WrapSizeLimit(conf bool, maxToken int) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.ready(); err != nil {
		return 0, err
	}
	n := maxToken - wrapOverhead(c.sendKey, conf)
	if n < 0 {
		n = 0
	}
	return n, nil
}

// Encrypt is Wrap with confidentiality, like python-gssapi's
// SecurityContext.encrypt.
func (c *Context) Encrypt(msg []byte) ([]byte, error) { return c.Wrap(msg, true) }

// Decrypt is Unwrap that also fails with ErrFailure when the token was
// not encrypted, like python-gssapi's SecurityContext.decrypt.
func (c *Context) Decrypt(tok []byte) ([]byte, error) {
	msg, conf, err := c.Unwrap(tok)
	if err != nil {
		return msg, err
	}
	if !conf {
		return nil, newError(StatusFailure, 0, "token is not encrypted")
	}
	return msg, nil
}
