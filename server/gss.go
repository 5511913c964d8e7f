package server

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/sshstack/sshstack/kex/gsskex"
	"github.com/sshstack/sshstack/userauth"
)

// gssFamilies returns the GSS-API key exchange families offered.
func (s *Server) gssFamilies() []string {
	if s.GSSKexFamilies != nil {
		return s.GSSKexFamilies
	}
	return gsskex.DefaultFamilies()
}

// gssStart creates the connection's GSS-API state: the holder of the
// key exchange's acceptor context, which "gssapi-keyex" uses (RFC 4462,
// Section 4), and the session that keeps a delegated credential.
func (c *serverConn) gssStart(s *Server) {
	c.gssHolder = &gsskex.ContextHolder{}
	if s.GSSKeyExchange {
		c.gss = s.GSSAPI.NewSession(c.gssHolder.Context)
	} else {
		c.gss = s.GSSAPI.NewSession(nil)
	}
}

// gssEnd removes the stored delegated credential unless the server keeps
// them (OpenSSH GSSAPICleanupCredentials).
func (c *serverConn) gssEnd(s *Server) {
	if s.GSSKeepCredentials {
		return
	}
	if err := c.gss.Cleanup(); err != nil {
		c.log.Error(err.Error())
	}
}

// gssStore writes the credential the client delegated, if a GSS-API
// method was a factor of res, to a new krb5cc_<uid>_<random> file of
// mode 0600 owned by the user, and returns its path or "" (docs/security.md#g7).
func (s *Server) gssStore(c *serverConn, res *userauth.Result) string {
	if c.gss.Delegated() == nil {
		return ""
	}
	uid, gid, own := os.Getuid(), os.Getgid(), false
	if s.GSSCCacheOwner != nil {
		if u, g, ok := s.GSSCCacheOwner(res.User); ok {
			uid, gid, own = u, g, true
		}
	}
	dir := s.GSSCCacheDir
	if dir == "" {
		dir = os.TempDir()
	}
	// The name is reserved by an empty 0600 file; StoreDelegated
	// replaces it atomically.
	f, err := os.CreateTemp(dir, "krb5cc_"+strconv.Itoa(uid)+"_")
	if err != nil {
		c.log.Error(fmt.Sprintf("server: storing delegated credential: %v", err))
		return ""
	}
	reserved := f.Name()
	f.Close()
	path, err := c.gss.StoreDelegated(res, filepath.Clean(reserved))
	if err != nil || path == "" {
		os.Remove(reserved)
		if err != nil {
			c.log.Error(err.Error(), "user", res.User)
		}
		return ""
	}
	if own {
		if err := os.Chown(path, uid, gid); err != nil {
			c.log.Error(fmt.Sprintf("server: chown delegated credential: %v", err), "user", res.User)
			c.gss.Cleanup()
			return ""
		}
	}
	return path
}
