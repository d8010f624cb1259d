// Package apperr is the application's error vocabulary: every domain error
// carries a code, and the web layer maps codes to HTTP statuses, pages and
// the JSON error envelope in one place.
package apperr

import (
	"errors"
	"fmt"
	"time"
)

// Code says what kind of failure an error is, independent of transport.
type Code string

// The codes a domain package may use.
const (
	Invalid          Code = "invalid"            // bad input; Fields says which
	Malformed        Code = "malformed"          // input that could not be read at all
	NotFound         Code = "not_found"          // no such thing, or not this caller's to see
	Conflict         Code = "conflict"           // the state forbids it (duplicate, stale, wrong status)
	Unauthenticated  Code = "unauthenticated"    // no valid credentials
	Forbidden        Code = "forbidden"          // credentials, but not allowed
	Locked           Code = "locked"             // temporarily refused after too many attempts
	TooLarge         Code = "too_large"          // over a size limit
	Unsupported      Code = "unsupported"        // unsupported media type
	MethodNotAllowed Code = "method_not_allowed" // the address exists, not for this method
	RateLimited      Code = "rate_limited"       // slow down
	Unavailable      Code = "unavailable"        // a dependency is down
	Internal         Code = "internal"           // a bug or an outage; details only in the log
)

// FieldError is one problem with one input field.
type FieldError struct {
	Field string
	Issue string
}

// Error is a domain error.
type Error struct {
	Code Code
	// APICode is the contract's error code (EMAIL_ALREADY_REGISTERED, ...);
	// empty means the default for Code.
	APICode string
	// Message is safe to show to the caller.
	Message string
	Fields  []FieldError
	// RetryAfter, when set, tells the caller when trying again can succeed
	// (a lock that ends, a rate limit that resets).
	RetryAfter time.Duration
	// Err is the cause, for logs only.
	Err error
}

func (e *Error) Error() string {
	msg := string(e.Code) + ": " + e.Message
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// New makes an error of code with a message safe to show.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WithAPI sets the contract's error code.
func (e *Error) WithAPI(apiCode string) *Error {
	e.APICode = apiCode
	return e
}

// WithRetryAfter says when trying again can succeed.
func (e *Error) WithRetryAfter(d time.Duration) *Error {
	e.RetryAfter = d
	return e
}

// Validation is an Invalid error with one FieldError per problem.
func Validation(fields ...FieldError) *Error {
	return &Error{Code: Invalid, Message: "some fields are not valid", Fields: fields}
}

// As finds the domain error in err's chain.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// CodeOf is err's code; Internal for anything that is not a domain error.
func CodeOf(err error) Code {
	if e, ok := As(err); ok {
		return e.Code
	}
	return Internal
}

// Fields collects field problems and turns them into a Validation error.
type Fields []FieldError

// Add records a problem with field.
func (f *Fields) Add(field, format string, args ...any) {
	*f = append(*f, FieldError{Field: field, Issue: fmt.Sprintf(format, args...)})
}

// Has reports whether field already has a problem.
func (f Fields) Has(field string) bool {
	for _, e := range f {
		if e.Field == field {
			return true
		}
	}
	return false
}

// Err is nil when no problem was recorded.
func (f Fields) Err() error {
	if len(f) == 0 {
		return nil
	}
	return Validation(f...)
}
