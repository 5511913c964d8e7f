package userauth

import (
	"context"
	"errors"
	"fmt"

	"github.com/sshstack/sshstack/wire"
)

// errNoCallback denies a request whose method has no callback for it.
var errNoCallback = errors.New("userauth: method not configured")

// builtinHandlers returns the Handlers of the built-in methods whose
// callbacks are set.
func (s *server) builtinHandlers() map[string]Handler {
	cfg := s.cfg
	h := make(map[string]Handler)
	if cfg.NoneCallback != nil {
		h[wire.MethodNone] = HandlerFunc(func(ctx context.Context, c *ServerConn, _ *wire.UserauthRequest) (*Permissions, error) {
			return cfg.NoneCallback(ctx, c.meta)
		})
	}
	if cfg.PasswordCallback != nil {
		h[wire.MethodPassword] = HandlerFunc(cfg.password)
	}
	if cfg.KeyboardInteractiveCallback != nil {
		h[wire.MethodKeyboardInteractive] = HandlerFunc(cfg.keyboardInteractive)
	}
	if cfg.PublicKeyCallback != nil || cfg.CertChecker != nil {
		h[wire.MethodPublicKey] = HandlerFunc(s.publicKey)
	}
	if cfg.HostbasedCallback != nil {
		h[wire.MethodHostbased] = HandlerFunc(s.hostbased)
	}
	return h
}

// password is the server side of RFC 4252, Section 8.
func (cfg *ServerConfig) password(ctx context.Context, c *ServerConn, req *wire.UserauthRequest) (*Permissions, error) {
	if len(req.Password) > MaxPasswordLen || len(req.NewPassword) > MaxPasswordLen {
		return nil, ErrPasswordTooLong
	}
	if req.ChangePassword {
		if cfg.ChangePasswordCallback == nil {
			return nil, errNoCallback
		}
		return cfg.ChangePasswordCallback(ctx, c.meta, req.Password, req.NewPassword)
	}
	perms, err := cfg.PasswordCallback(ctx, c.meta, req.Password)
	var change *ChangePasswordError
	if errors.As(err, &change) {
		if err := c.Write(&wire.UserauthPasswdChangeReq{Prompt: change.Prompt}); err != nil {
			return nil, err
		}
		return nil, ErrPostponed
	}
	return perms, err
}

// keyboardInteractive is the server side of RFC 4256, Section 3.
func (cfg *ServerConfig) keyboardInteractive(ctx context.Context, c *ServerConn, _ *wire.UserauthRequest) (*Permissions, error) {
	var askErr error // the first failure of ask; it denies whatever the callback returns
	ask := func(ctx context.Context, ch Challenge) ([]string, error) {
		if askErr != nil {
			return nil, askErr
		}
		answers, err := c.ask(ctx, ch)
		if err != nil {
			askErr = err
		}
		return answers, err
	}
	perms, err := cfg.KeyboardInteractiveCallback(ctx, c.meta, ask)
	if askErr != nil {
		return nil, askErr
	}
	return perms, err
}

// ask sends one INFO_REQUEST and reads its INFO_RESPONSE.
func (c *ServerConn) ask(ctx context.Context, ch Challenge) ([]string, error) {
	if len(ch.Prompts) > wire.MaxPrompts {
		return nil, fmt.Errorf("userauth: %d prompts: %w", len(ch.Prompts), wire.ErrTooLarge)
	}
	if err := c.Write(&wire.UserauthInfoRequest{Name: ch.Name, Instruction: ch.Instruction, Prompts: ch.Prompts}); err != nil {
		return nil, err
	}
	p, err := c.Next(ctx)
	if err != nil {
		return nil, err
	}
	if wire.MsgNum(p[0]) != wire.MsgUserauthInfoResponse {
		return nil, c.protocol(p)
	}
	m, err := wire.ParseUserauthInfoResponse(p)
	if err != nil {
		return nil, c.Fail(err)
	}
	// RFC 4256, Section 3.4: a count mismatch is a failure.
	if len(m.Responses) != len(ch.Prompts) {
		return nil, fmt.Errorf("userauth: %d responses to %d prompts", len(m.Responses), len(ch.Prompts))
	}
	for _, r := range m.Responses {
		if len(r) > MaxPasswordLen {
			return nil, ErrPasswordTooLong
		}
	}
	return m.Responses, nil
}
