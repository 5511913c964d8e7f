package gssapi

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/jcmturner/gokrb5/v8/messages"
)

// A Status is a GSS-API major status code (RFC 2743, Section 1.2.1.1):
// a calling error in bits 24-31, a routine error in bits 16-23 and
// supplementary information bits in 0-15.
type Status uint32

// Routine errors (RFC 2743, Table 1-1).
const (
	StatusBadMech             Status = 1 << 16
	StatusBadName             Status = 2 << 16
	StatusBadNameType         Status = 3 << 16
	StatusBadBindings         Status = 4 << 16
	StatusBadStatus           Status = 5 << 16
	StatusBadSig              Status = 6 << 16 // also GSS_S_BAD_MIC
	StatusNoCred              Status = 7 << 16
	StatusNoContext           Status = 8 << 16
	StatusDefectiveToken      Status = 9 << 16
	StatusDefectiveCredential Status = 10 << 16
	StatusCredentialsExpired  Status = 11 << 16
	StatusContextExpired      Status = 12 << 16
	StatusFailure             Status = 13 << 16
	StatusBadQOP              Status = 14 << 16
	StatusUnauthorized        Status = 15 << 16
	StatusUnavailable         Status = 16 << 16
	StatusDuplicateElement    Status = 17 << 16
	StatusNameNotMN           Status = 18 << 16
)

// Supplementary status bits (RFC 2743, Table 1-1). StatusContinueNeeded
// is never returned as an error; Step reports it through Established.
const (
	StatusContinueNeeded Status = 1 << 0
	StatusDuplicateToken Status = 1 << 1
	StatusOldToken       Status = 1 << 2
	StatusUnseqToken     Status = 1 << 3
	StatusGapToken       Status = 1 << 4
)

// Calling errors (RFC 2743, Section 1.2.1.1).
const (
	StatusCallInaccessibleRead  Status = 1 << 24
	StatusCallInaccessibleWrite Status = 2 << 24
	StatusCallBadStructure      Status = 3 << 24
)

// Routine returns the routine-error field of s.
func (s Status) Routine() Status { return s & 0x00ff0000 }

// Supplementary returns the supplementary bits of s.
func (s Status) Supplementary() Status { return s & 0x0000ffff }

// Calling returns the calling-error field of s.
func (s Status) Calling() Status { return s & 0xff000000 }

var routineNames = map[Status]string{
	StatusBadMech: "BAD_MECH", StatusBadName: "BAD_NAME", StatusBadNameType: "BAD_NAMETYPE",
	StatusBadBindings: "BAD_BINDINGS", StatusBadStatus: "BAD_STATUS", StatusBadSig: "BAD_SIG",
	StatusNoCred: "NO_CRED", StatusNoContext: "NO_CONTEXT", StatusDefectiveToken: "DEFECTIVE_TOKEN",
	StatusDefectiveCredential: "DEFECTIVE_CREDENTIAL", StatusCredentialsExpired: "CREDENTIALS_EXPIRED",
	StatusContextExpired: "CONTEXT_EXPIRED", StatusFailure: "FAILURE", StatusBadQOP: "BAD_QOP",
	StatusUnauthorized: "UNAUTHORIZED", StatusUnavailable: "UNAVAILABLE",
	StatusDuplicateElement: "DUPLICATE_ELEMENT", StatusNameNotMN: "NAME_NOT_MN",
}

var suppNames = []struct {
	s    Status
	name string
}{
	{StatusContinueNeeded, "CONTINUE_NEEDED"}, {StatusDuplicateToken, "DUPLICATE_TOKEN"},
	{StatusOldToken, "OLD_TOKEN"}, {StatusUnseqToken, "UNSEQ_TOKEN"}, {StatusGapToken, "GAP_TOKEN"},
}

// String returns the RFC 2743 names of the set fields, e.g.
// "DEFECTIVE_TOKEN" or "COMPLETE|DUPLICATE_TOKEN".
func (s Status) String() string {
	var parts []string
	switch s.Calling() {
	case 0:
	case StatusCallInaccessibleRead:
		parts = append(parts, "CALL_INACCESSIBLE_READ")
	case StatusCallInaccessibleWrite:
		parts = append(parts, "CALL_INACCESSIBLE_WRITE")
	case StatusCallBadStructure:
		parts = append(parts, "CALL_BAD_STRUCTURE")
	default:
		parts = append(parts, fmt.Sprintf("CALL_ERROR(%d)", s.Calling()>>24))
	}
	if r := s.Routine(); r != 0 {
		if n, ok := routineNames[r]; ok {
			parts = append(parts, n)
		} else {
			parts = append(parts, fmt.Sprintf("ROUTINE_ERROR(%d)", r>>16))
		}
	} else if s.Calling() == 0 {
		parts = append(parts, "COMPLETE")
	}
	for _, x := range suppNames {
		if s&x.s != 0 {
			parts = append(parts, x.name)
		}
	}
	return strings.Join(parts, "|")
}

// An Error is a failed GSS-API call: the RFC 2743 major status, the
// mechanism's minor status and a description. For Kerberos failures
// Minor is the MIT com_err code of the Kerberos error (KRB5KRB_AP_ERR_*
// = -1765328384 + RFC 4120 error code, as uint32) and KrbCode the RFC
// 4120, Section 7.5.9 error code when a KRB-ERROR or an equivalent
// condition caused it.
//
// errors.Is(err, ErrDefectiveToken) and friends compare the routine
// error (or, for the supplementary sentinels, the supplementary bit).
// An Error whose Major has only supplementary bits (duplicate, old,
// unsequenced or gap token) is a warning: the call that returned it also
// returned a valid result.
type Error struct {
	Major   Status
	Minor   uint32
	KrbCode int32
	Msg     string
	Err     error // underlying cause, if any
}

func (e *Error) Error() string {
	s := "gssapi: " + e.Major.String()
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is a sentinel (an *Error with no Msg) whose
// routine error, calling error or supplementary bits are set in e.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok || t.Msg != "" || t.Err != nil {
		return false
	}
	if r := t.Major.Routine(); r != 0 {
		return e.Major.Routine() == r
	}
	if c := t.Major.Calling(); c != 0 {
		return e.Major.Calling() == c
	}
	if s := t.Major.Supplementary(); s != 0 {
		return e.Major&s == s
	}
	return false
}

// Sentinels for errors.Is.
var (
	ErrBadMech             = &Error{Major: StatusBadMech}
	ErrBadName             = &Error{Major: StatusBadName}
	ErrBadNameType         = &Error{Major: StatusBadNameType}
	ErrBadBindings         = &Error{Major: StatusBadBindings}
	ErrBadSig              = &Error{Major: StatusBadSig}
	ErrNoCred              = &Error{Major: StatusNoCred}
	ErrNoContext           = &Error{Major: StatusNoContext}
	ErrDefectiveToken      = &Error{Major: StatusDefectiveToken}
	ErrDefectiveCredential = &Error{Major: StatusDefectiveCredential}
	ErrCredentialsExpired  = &Error{Major: StatusCredentialsExpired}
	ErrContextExpired      = &Error{Major: StatusContextExpired}
	ErrFailure             = &Error{Major: StatusFailure}
	ErrBadQOP              = &Error{Major: StatusBadQOP}
	ErrUnauthorized        = &Error{Major: StatusUnauthorized}
	ErrUnavailable         = &Error{Major: StatusUnavailable}
	ErrNameNotMN           = &Error{Major: StatusNameNotMN}
	ErrDuplicateToken      = &Error{Major: StatusDuplicateToken}
	ErrOldToken            = &Error{Major: StatusOldToken}
	ErrUnseqToken          = &Error{Major: StatusUnseqToken}
	ErrGapToken            = &Error{Major: StatusGapToken}
)

// krb5ErrBase is ERROR_TABLE_BASE_krb5 of MIT's com_err table.
const krb5ErrBase = -1765328384

// Kerberos error codes used by this package (RFC 4120, Section 7.5.9).
const (
	krbAPErrBadIntegrity = 31
	krbAPErrTktExpired   = 32
	krbAPErrRepeat       = 34
	krbAPErrNotUs        = 35
	krbAPErrBadMatch     = 36
	krbAPErrSkew         = 37
	krbAPErrModified     = 41
	krbAPErrBadSeq       = 42 // KRB_AP_ERR_BADORDER
	krbAPErrNoKey        = 45 // KRB_AP_ERR_NOKEY
	krbAPErrInappCksum   = 50
	krbErrGeneric        = 60
)

func newError(major Status, krbCode int32, format string, args ...any) *Error {
	e := &Error{Major: major, Msg: fmt.Sprintf(format, args...)}
	e.setKrbCode(krbCode)
	return e
}

// setKrbCode sets the Kerberos error code and the matching minor status.
func (e *Error) setKrbCode(code int32) {
	if code == 0 {
		return
	}
	e.KrbCode = code
	e.Minor = uint32(int32(krb5ErrBase) + code)
}

// wrapError builds an Error around cause. The Kerberos code comes from
// an *Error or KRB-ERROR in cause, or from gokrb5's flattened text.
func wrapError(major Status, cause error, format string, args ...any) *Error {
	e := newError(major, 0, format, args...)
	e.Err = cause
	var ge *Error
	var ke messages.KRBError
	switch {
	case errors.As(cause, &ge) && ge.KrbCode != 0:
		e.setKrbCode(ge.KrbCode)
	case errors.As(cause, &ke):
		e.setKrbCode(ke.ErrorCode)
	case cause != nil:
		// gokrb5's krberror flattens KRB-ERRORs into text
		// ("KRB Error: (7) KDC_ERR_S_PRINCIPAL_UNKNOWN ...").
		if m := krbErrorText.FindStringSubmatch(cause.Error()); m != nil {
			if n, err := strconv.Atoi(m[1]); err == nil {
				e.setKrbCode(int32(n))
			}
		}
	}
	return e
}

var krbErrorText = regexp.MustCompile(`KRB Error: \((\d{1,3})\)`)
