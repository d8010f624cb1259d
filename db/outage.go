package db

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// IsUnavailable reports whether err says the database could not be reached
// or went away mid-request (an outage, a restart, a failover), rather than
// refusing what was asked: the request can succeed when tried again later.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// Class 08 is a connection exception; 57P01..57P03 are an
		// administrator's or a crash's shutdown and a server that cannot
		// take connections yet (starting up, shutting down).
		return strings.HasPrefix(pgErr.Code, "08") ||
			pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	}
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) {
		return true
	}
	if pgconn.Timeout(err) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
		return true
	}
	// A connection pgx found broken before sending anything says so in
	// words only.
	msg := err.Error()
	return strings.Contains(msg, "conn closed") || strings.Contains(msg, "the database system is shutting down") ||
		strings.Contains(msg, "the database system is starting up")
}
