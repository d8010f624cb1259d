// Package devenv starts what a developer's machine lacks: a private
// PostgreSQL cluster under .data/ and the local OpenID Connect provider.
// It is used by `ciam dev` (make run), `ciam pg` and the tests, never by
// `ciam serve` in production.
package devenv

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Postgres is a private cluster in a folder of the project.
type Postgres struct {
	// Dir is the cluster's data folder.
	Dir  string
	Port int
	// Log receives progress lines.
	Log io.Writer

	bin   string // folder with initdb and pg_ctl
	runAs string // the unprivileged user the server runs as when we are root
}

// Database is the database the project uses in the cluster.
const Database = "ciam"

// URL is the connection URL of the project's database in the cluster.
func (p *Postgres) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p.Port, Database)
}

func (p *Postgres) logf(format string, args ...any) {
	if p.Log != nil {
		fmt.Fprintf(p.Log, "postgres: "+format+"\n", args...)
	}
}

// Start initialises the cluster on first use, starts it unless it is
// running, and creates the project's database. It reports whether it
// started the server (and so should stop it).
func (p *Postgres) Start(ctx context.Context, mayInstall bool) (started bool, err error) {
	if err := p.findBinaries(ctx, mayInstall); err != nil {
		return false, err
	}
	if os.Geteuid() == 0 {
		// initdb and postgres refuse to run as root.
		p.runAs = "postgres"
		if _, err := user.Lookup(p.runAs); err != nil {
			if err := p.cmd(ctx, "", "useradd", "--system", "--home-dir", "/var/lib/postgresql", "--shell", "/bin/sh", "postgres").Run(); err != nil {
				return false, fmt.Errorf("postgres: no user postgres to run the server as, and creating it failed: %w", err)
			}
		}
		if err := p.prepareDirForUser(ctx); err != nil {
			return false, err
		}
	}
	if _, err := os.Stat(filepath.Join(p.Dir, "PG_VERSION")); err != nil {
		p.logf("creating a private cluster in %s", p.Dir)
		if err := os.MkdirAll(p.Dir, 0o700); err != nil {
			return false, fmt.Errorf("postgres: %w", err)
		}
		if err := p.chown(ctx, p.Dir); err != nil {
			return false, err
		}
		out, err := p.cmd(ctx, p.runAs, filepath.Join(p.bin, "initdb"), "-D", p.Dir, "-U", "postgres",
			"--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-instructions").CombinedOutput()
		if err != nil {
			return false, fmt.Errorf("postgres: initdb: %w\n%s", err, out)
		}
	}
	if p.running(ctx) {
		p.logf("already running on port %d", p.Port)
	} else {
		if ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p.Port)); err != nil {
			return false, fmt.Errorf("postgres: port %d is taken by another program; stop it or set DEV_PG_PORT", p.Port)
		} else {
			ln.Close()
		}
		p.logf("starting on 127.0.0.1:%d", p.Port)
		opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off", p.Port)
		out, err := p.cmd(ctx, p.runAs, filepath.Join(p.bin, "pg_ctl"), "-D", p.Dir, "-l", filepath.Join(p.Dir, "server.log"),
			"-o", opts, "-w", "-t", "60", "start").CombinedOutput()
		if err != nil {
			log, _ := os.ReadFile(filepath.Join(p.Dir, "server.log"))
			return false, fmt.Errorf("postgres: pg_ctl start: %w\n%s\n%s", err, out, tail(log, 2000))
		}
		started = true
	}
	if err := p.createDatabase(ctx); err != nil {
		return started, err
	}
	return started, nil
}

// Stop stops the cluster.
func (p *Postgres) Stop(ctx context.Context) error {
	if p.bin == "" {
		if err := p.findBinaries(ctx, false); err != nil {
			return err
		}
	}
	if os.Geteuid() == 0 {
		p.runAs = "postgres"
	}
	if !p.running(ctx) {
		return nil
	}
	p.logf("stopping")
	out, err := p.cmd(ctx, p.runAs, filepath.Join(p.bin, "pg_ctl"), "-D", p.Dir, "-m", "fast", "-w", "stop").CombinedOutput()
	if err != nil {
		return fmt.Errorf("postgres: pg_ctl stop: %w\n%s", err, out)
	}
	return nil
}

func (p *Postgres) running(ctx context.Context) bool {
	if _, err := os.Stat(filepath.Join(p.Dir, "postmaster.pid")); err != nil {
		return false
	}
	return p.cmd(ctx, p.runAs, filepath.Join(p.bin, "pg_ctl"), "-D", p.Dir, "status").Run() == nil
}

func (p *Postgres) createDatabase(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p.Port))
	if err != nil {
		return fmt.Errorf("postgres: connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", Database).Scan(&exists); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+Database); err != nil {
			return fmt.Errorf("postgres: create database: %w", err)
		}
	}
	return nil
}

// findBinaries looks for initdb and pg_ctl on PATH, then in Debian's
// versioned folders, and installs PostgreSQL from the OS packages when
// allowed and possible.
func (p *Postgres) findBinaries(ctx context.Context, mayInstall bool) error {
	if dir := pgBinDir(); dir != "" {
		p.bin = dir
		return nil
	}
	if !mayInstall {
		return errors.New("postgres: initdb and pg_ctl not found; install PostgreSQL (apt-get install postgresql) or set DATABASE_URL")
	}
	if os.Geteuid() != 0 {
		return errors.New("postgres: PostgreSQL is not installed and installing it needs root: run `sudo apt-get install -y postgresql`, or set DATABASE_URL")
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		return errors.New("postgres: PostgreSQL is not installed and there is no apt-get to install it with; install it or set DATABASE_URL")
	}
	p.logf("PostgreSQL is not installed: installing it from the OS packages")
	for _, args := range [][]string{{"update"}, {"install", "-y", "--no-install-recommends", "postgresql"}} {
		c := p.cmd(ctx, "", "apt-get", args...)
		c.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if out, err := c.CombinedOutput(); err != nil {
			return fmt.Errorf("postgres: apt-get %s: %w\n%s", args[0], err, tail(out, 2000))
		}
	}
	if dir := pgBinDir(); dir != "" {
		p.bin = dir
		return nil
	}
	return errors.New("postgres: installed PostgreSQL, but still cannot find initdb")
}

func pgBinDir() string {
	if path, err := exec.LookPath("initdb"); err == nil {
		if _, err := exec.LookPath("pg_ctl"); err == nil {
			return filepath.Dir(path)
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d
		}
	}
	return ""
}

func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// prepareDirForUser makes sure the unprivileged user can reach the data
// folder; when the project lives somewhere it cannot (under /root), the
// cluster moves to a folder of its own outside.
func (p *Postgres) prepareDirForUser(ctx context.Context) error {
	parent := filepath.Dir(p.Dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	if p.cmd(ctx, p.runAs, "test", "-x", parent).Run() == nil {
		return nil
	}
	sum := sha256.Sum256([]byte(p.Dir))
	alt := filepath.Join("/var/tmp", "ciam-pg-"+hex.EncodeToString(sum[:6]))
	p.logf("user %s cannot reach %s; keeping the cluster in %s instead", p.runAs, parent, alt)
	p.Dir = alt
	return nil
}

func (p *Postgres) chown(ctx context.Context, dir string) error {
	if p.runAs == "" {
		return nil
	}
	if out, err := p.cmd(ctx, "", "chown", "-R", p.runAs+":", dir).CombinedOutput(); err != nil {
		return fmt.Errorf("postgres: chown %s: %w\n%s", dir, err, out)
	}
	return nil
}

// cmd runs name as runAs when set (we are root), else as ourselves.
func (p *Postgres) cmd(ctx context.Context, runAs, name string, args ...string) *exec.Cmd {
	if runAs != "" {
		if _, err := exec.LookPath("runuser"); err == nil {
			return exec.CommandContext(ctx, "runuser", append([]string{"-u", runAs, "--", name}, args...)...)
		}
		quoted := make([]string, 0, len(args)+1)
		for _, a := range append([]string{name}, args...) {
			quoted = append(quoted, "'"+strings.ReplaceAll(a, "'", `'\''`)+"'")
		}
		return exec.CommandContext(ctx, "su", "-s", "/bin/sh", runAs, "-c", strings.Join(quoted, " "))
	}
	return exec.CommandContext(ctx, name, args...)
}

func tail(b []byte, n int) string {
	b = bytes.TrimSpace(b)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// WaitTCP waits until something accepts connections at url's host.
func waitFor(ctx context.Context, timeout time.Duration, ok func() bool) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if ok() {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(200 * time.Millisecond):
		}
	}
	return ok()
}
