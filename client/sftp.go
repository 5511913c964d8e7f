package client

import (
	"context"
	"fmt"

	"github.com/pkg/sftp"
)

// SFTP starts the "sftp" subsystem (RFC 4254, Section 6.5) on a new
// session and returns a github.com/pkg/sftp client speaking SFTP version 3
// (draft-ietf-secsh-filexfer-02) over it. ctx bounds the channel open,
// the subsystem request and the SFTP version exchange. Closing the
// returned client closes the session.
func (c *Client) SFTP(ctx context.Context, opts ...sftp.ClientOption) (*sftp.Client, error) {
	s, err := c.NewSession(ctx)
	if err != nil {
		return nil, err
	}
	in, err := s.StdinPipe()
	if err != nil {
		s.Close()
		return nil, err
	}
	out, err := s.StdoutPipe()
	if err != nil {
		s.Close()
		return nil, err
	}
	if err := s.Subsystem(ctx, "sftp"); err != nil {
		s.Close()
		return nil, err
	}
	// NewClientPipe blocks on the version exchange; ctx ends it by
	// closing the channel.
	stop := context.AfterFunc(ctx, func() { s.Close() })
	sc, err := sftp.NewClientPipe(out, &sftpWriter{in: in, s: s}, opts...)
	if !stop() && err == nil {
		sc.Close()
		err = ctx.Err()
	}
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("client: sftp: %w", err)
	}
	return sc, nil
}

// sftpWriter closes the whole session when pkg/sftp closes its writer.
type sftpWriter struct {
	in interface {
		Write([]byte) (int, error)
		Close() error
	}
	s *Session
}

func (w *sftpWriter) Write(p []byte) (int, error) { return w.in.Write(p) }

func (w *sftpWriter) Close() error {
	w.in.Close()
	return w.s.Close()
}
