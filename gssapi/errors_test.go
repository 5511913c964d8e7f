package gssapi

import (
	"errors"
	"testing"
)

func TestErrors(t *testing.T) {
	e := newError(StatusFailure|StatusDuplicateToken, krbAPErrRepeat, "replay")
	if !errors.Is(e, ErrFailure) || !errors.Is(e, ErrDuplicateToken) || errors.Is(e, ErrBadSig) || errors.Is(e, ErrGapToken) {
		t.Error("errors.Is on routine and supplementary bits")
	}
	if e.Minor != uint32(0x96c73a22) { // KRB5KRB_AP_ERR_REPEAT
		t.Errorf("minor %#x", e.Minor)
	}
	if got := (StatusDefectiveToken | StatusGapToken).String(); got != "DEFECTIVE_TOKEN|GAP_TOKEN" {
		t.Errorf("String = %q", got)
	}
	w := wrapError(StatusFailure, errors.New("[Root cause: KDC_Error] KRB Error: (7) KDC_ERR_S_PRINCIPAL_UNKNOWN"), "tgs")
	if w.KrbCode != 7 {
		t.Errorf("KrbCode from gokrb5 text = %d", w.KrbCode)
	}
}
