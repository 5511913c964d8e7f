package xsshgss_test

import (
	"errors"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/sshstack/sshstack/gssapi"
	"github.com/sshstack/sshstack/gssapi/xsshgss"
)

var (
	_ ssh.GSSAPIClient = (*xsshgss.Client)(nil)
	_ ssh.GSSAPIServer = (*xsshgss.Server)(nil)
)

// Without an established context the adapters fail cleanly; the
// Kerberos exchange itself is tested against a real KDC in conformance.
func TestUnestablished(t *testing.T) {
	var c xsshgss.Client
	if _, err := c.GetMIC([]byte("x")); !errors.Is(err, gssapi.ErrNoContext) {
		t.Errorf("GetMIC: %v", err)
	}
	if err := c.DeleteSecContext(); err != nil {
		t.Error(err)
	}
	var s xsshgss.Server
	if err := s.VerifyMIC([]byte("x"), []byte("y")); err == nil {
		t.Error("VerifyMIC without context succeeded")
	}
	if _, _, _, err := s.AcceptSecContext([]byte("junk")); !errors.Is(err, gssapi.ErrDefectiveToken) {
		t.Errorf("AcceptSecContext(junk): %v", err)
	}
	if _, _, err := c.InitSecContext("", nil, false); !errors.Is(err, gssapi.ErrBadName) {
		t.Errorf("InitSecContext with empty target: %v", err)
	}
}
