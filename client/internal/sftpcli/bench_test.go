package sftpcli

import (
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/pkg/sftp"
)

// benchOpts are the options gosftp and goscp dial with by default.
var benchOpts = []sftp.ClientOption{sftp.MaxPacket(32768), sftp.MaxConcurrentRequestsPerFile(64), sftp.UseConcurrentWrites(true)}

// BenchmarkGet fetches a 16 MiB file through OpenSSH's sftp-server run
// directly, with the Copier (pkg/sftp, 64 requests of 32 KiB in flight)
// and, as the baseline of the same run, with OpenSSH's own sftp -D; both
// pay a process start per fetch.
func BenchmarkGet(b *testing.B) {
	if _, err := os.Stat(sftpServer); err != nil {
		b.Skip("no sftp-server:", err)
	}
	dir := b.TempDir()
	src := filepath.Join(dir, "src")
	data := make([]byte, 16<<20)
	rand.Read(data)
	if err := os.WriteFile(src, data, 0o644); err != nil {
		b.Fatal(err)
	}
	dst := filepath.Join(dir, "dst")
	check := func(b *testing.B) {
		got, err := os.ReadFile(dst)
		if err != nil || !bytes.Equal(got, data) {
			b.Fatalf("copy differs: %v", err)
		}
		os.Remove(dst)
	}
	b.Run("sftpcli", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			c, err := Dial(ctx, sftpServer, nil, benchOpts...)
			cancel()
			if err != nil {
				b.Fatal(err)
			}
			if err := (&Copier{}).Copy(FS{Remote: c.Client}, src, Local, dst); err != nil {
				b.Fatal(err)
			}
			c.Close()
			b.StopTimer()
			check(b)
			b.StartTimer()
		}
	})
	b.Run("openssh-sftp", func(b *testing.B) {
		if _, err := exec.LookPath("sftp"); err != nil {
			b.Skip("no sftp:", err)
		}
		batch := filepath.Join(dir, "batch")
		os.WriteFile(batch, []byte("get "+src+" "+dst+"\n"), 0o644)
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if out, err := exec.Command("sftp", "-q", "-D", sftpServer, "-b", batch).CombinedOutput(); err != nil {
				b.Fatalf("sftp: %v\n%s", err, out)
			}
			b.StopTimer()
			check(b)
			b.StartTimer()
		}
	})
}

// BenchmarkPut is BenchmarkGet the other way.
func BenchmarkPut(b *testing.B) {
	if _, err := os.Stat(sftpServer); err != nil {
		b.Skip("no sftp-server:", err)
	}
	dir := b.TempDir()
	src := filepath.Join(dir, "src")
	data := make([]byte, 16<<20)
	rand.Read(data)
	os.WriteFile(src, data, 0o644)
	dst := filepath.Join(dir, "dst")
	b.Run("sftpcli", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			c, err := Dial(ctx, sftpServer, nil, benchOpts...)
			cancel()
			if err != nil {
				b.Fatal(err)
			}
			if err := (&Copier{}).Copy(Local, src, FS{Remote: c.Client}, dst); err != nil {
				b.Fatal(err)
			}
			c.Close()
		}
	})
	b.Run("openssh-sftp", func(b *testing.B) {
		if _, err := exec.LookPath("sftp"); err != nil {
			b.Skip("no sftp:", err)
		}
		batch := filepath.Join(dir, "batch")
		os.WriteFile(batch, []byte("put "+src+" "+dst+"\n"), 0o644)
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if out, err := exec.Command("sftp", "-q", "-D", sftpServer, "-b", batch).CombinedOutput(); err != nil {
				b.Fatalf("sftp: %v\n%s", err, out)
			}
		}
	})
}
