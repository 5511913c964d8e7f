package userauth

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/sshstack/sshstack/wire"
)

// Caps that keep a hostile server from holding a source in a loop.
const (
	// maxInfoRounds caps the INFO_REQUEST rounds of one
	// keyboard-interactive attempt.
	maxInfoRounds = 64
	// maxPasswordChanges caps the PASSWD_CHANGEREQ rounds of one
	// password attempt.
	maxPasswordChanges = 3
)

// NoneAuth is the "none" method (RFC 4252, Section 5.2): it succeeds only
// on a server that needs no authentication for the user, and otherwise
// learns which methods can continue (paramiko's NoneAuth).
type NoneAuth struct{}

var _ Method = NoneAuth{}

func (NoneAuth) Name() string   { return wire.MethodNone }
func (NoneAuth) String() string { return "none" }

// Authenticate sends the "none" request and waits for the answer.
func (NoneAuth) Authenticate(ctx context.Context, c *ClientConn) error {
	if err := c.Request(&wire.UserauthRequest{Method: wire.MethodNone}); err != nil {
		return err
	}
	return waitAnswer(ctx, c)
}

// waitAnswer reads until the server answers; a method-specific message is
// a protocol error for methods that define none.
func waitAnswer(ctx context.Context, c *ClientConn) error {
	p, err := c.Next(ctx)
	if err != nil {
		return err
	}
	return c.protocol(p, c.method)
}

// Password is the "password" method (RFC 4252, Section 8) with a lazy
// getter (paramiko's Password): the password is asked for only when the
// server offers the method.
type Password struct {
	// Get returns the password, for example by prompting the user. It
	// runs at most once per attempt.
	Get func(ctx context.Context) (string, error)

	// Change chooses a new password when the server answers with
	// SSH_MSG_USERAUTH_PASSWD_CHANGEREQ; prompt is peer text (sanitise
	// before display). nil means the attempt fails with
	// ErrPasswordChange.
	Change func(ctx context.Context, prompt string) (string, error)
}

var _ Method = (*Password)(nil)

// StaticPassword returns a Password source for a known password.
func StaticPassword(password string) *Password {
	return &Password{Get: func(context.Context) (string, error) { return password, nil }}
}

func (p *Password) Name() string   { return wire.MethodPassword }
func (p *Password) String() string { return "password" }

// Authenticate asks for the password, sends it and handles the password
// change flow of RFC 4252, Section 8.
func (p *Password) Authenticate(ctx context.Context, c *ClientConn) error {
	if p.Get == nil {
		return errors.New("userauth: password source without a getter")
	}
	pw, err := p.Get(ctx)
	if err != nil {
		return fmt.Errorf("userauth: getting password: %w", err)
	}
	if !utf8.ValidString(pw) {
		return fmt.Errorf("userauth: password is not UTF-8: %w", wire.ErrInvalid)
	}
	if err := c.Request(&wire.UserauthRequest{Method: wire.MethodPassword, Password: pw}); err != nil {
		return err
	}
	for round := 0; ; round++ {
		msg, err := c.Next(ctx)
		if err != nil {
			return err
		}
		m, err := wire.ParseUserauthPasswdChangeReq(msg)
		if err != nil {
			return c.malformed(err)
		}
		if p.Change == nil {
			return fmt.Errorf("userauth: %w: %s", ErrPasswordChange, wire.Sanitize(m.Prompt))
		}
		if round >= maxPasswordChanges {
			return fmt.Errorf("userauth: %w: too many rounds", ErrPasswordChange)
		}
		np, err := p.Change(ctx, m.Prompt)
		if err != nil {
			return fmt.Errorf("userauth: choosing a new password: %w", err)
		}
		if !utf8.ValidString(np) {
			return fmt.Errorf("userauth: new password is not UTF-8: %w", wire.ErrInvalid)
		}
		c.outstanding = false // PASSWD_CHANGEREQ answered the request
		req := &wire.UserauthRequest{Method: wire.MethodPassword, ChangePassword: true, Password: pw, NewPassword: np}
		if err := c.Request(req); err != nil {
			return err
		}
	}
}

// A Challenge is one SSH_MSG_USERAUTH_INFO_REQUEST (RFC 4256,
// Section 3.2). Name, Instruction and the prompt texts are peer text:
// sanitise them before display.
type Challenge struct {
	Name        string
	Instruction string
	Prompts     []wire.Prompt
}

// KeyboardInteractive is the "keyboard-interactive" method (RFC 4256):
// Respond answers each round of prompts, honouring each prompt's echo
// flag when it asks a human.
type KeyboardInteractive struct {
	// Submethods is the RFC 4256, Section 3.1 hint, normally empty.
	Submethods string

	// Respond returns one answer per prompt, in order. A round may have
	// no prompts (an instruction only); Respond is still called.
	Respond func(ctx context.Context, ch Challenge) ([]string, error)
}

var _ Method = (*KeyboardInteractive)(nil)

func (k *KeyboardInteractive) Name() string   { return wire.MethodKeyboardInteractive }
func (k *KeyboardInteractive) String() string { return "keyboard-interactive" }

// Authenticate runs the RFC 4256, Section 3 exchange.
func (k *KeyboardInteractive) Authenticate(ctx context.Context, c *ClientConn) error {
	if k.Respond == nil {
		return errors.New("userauth: keyboard-interactive source without a responder")
	}
	if err := c.Request(&wire.UserauthRequest{Method: wire.MethodKeyboardInteractive, Submethods: k.Submethods}); err != nil {
		return err
	}
	for round := 0; ; round++ {
		msg, err := c.Next(ctx)
		if err != nil {
			return err
		}
		if wire.MsgNum(msg[0]) != wire.MsgUserauthInfoRequest {
			return c.protocol(msg, c.method)
		}
		m, err := wire.ParseUserauthInfoRequest(msg)
		if err != nil {
			return c.malformed(err)
		}
		if round >= maxInfoRounds {
			return fmt.Errorf("userauth: keyboard-interactive: more than %d rounds", maxInfoRounds)
		}
		answers, err := k.Respond(ctx, Challenge{Name: m.Name, Instruction: m.Instruction, Prompts: m.Prompts})
		if err != nil {
			return fmt.Errorf("userauth: keyboard-interactive: %w", err)
		}
		if len(answers) != len(m.Prompts) {
			return fmt.Errorf("userauth: keyboard-interactive: %d answers to %d prompts", len(answers), len(m.Prompts))
		}
		for _, a := range answers {
			if !utf8.ValidString(a) {
				return fmt.Errorf("userauth: keyboard-interactive answer is not UTF-8: %w", wire.ErrInvalid)
			}
		}
		if err := c.Write(&wire.UserauthInfoResponse{Responses: answers}); err != nil {
			return err
		}
	}
}
