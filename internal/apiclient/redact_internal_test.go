package apiclient

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

// TestRedactHandler checks the log scrubbing directly, including attributes
// added with With and nested groups.
func TestRedactHandler(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	s := newSecrets([]string{"SeCrEt"})
	redact := func(v string) string {
		for _, sec := range s.all() {
			v = strings.ReplaceAll(v, sec, Redacted)
		}
		return v
	}
	h := &redactHandler{h: slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}), redact: redact}
	l := slog.New(h).With("pre", "xSeCrEtx").WithGroup("g")
	l.Info("msg SeCrEt", "s", "SeCrEt", "err", errors.New("e SeCrEt"), slog.Group("inner", "v", "SeCrEt"), "n", 7)
	out := buf.String()
	if strings.Contains(out, "SeCrEt") {
		t.Errorf("secret in log: %s", out)
	}
	for _, want := range []string{"msg [REDACTED]", "pre=x[REDACTED]x", "g.s=[REDACTED]", `g.err="e [REDACTED]"`, "g.inner.v=[REDACTED]", "g.n=7"} {
		if !strings.Contains(out, want) {
			t.Errorf("log %q lacks %q", out, want)
		}
	}
}

// TestSecretsKeepRecent checks that short strings are not treated as
// secrets and that only the most recent reported secrets are kept.
func TestSecretsKeepRecent(t *testing.T) {
	t.Parallel()
	s := newSecrets([]string{"abc", "static-secret"})
	for _, v := range []string{"t1-secret", "t2-secret", "t3-secret", "t4-secret", "t5-secret", "t6-secret", "t7-secret", "t8-secret", "t9-secret", "t9-secret", "x"} {
		s.add([]string{v})
	}
	got := strings.Join(s.all(), ",")
	want := "static-secret,t2-secret,t3-secret,t4-secret,t5-secret,t6-secret,t7-secret,t8-secret,t9-secret"
	if got != want {
		t.Errorf("secrets = %s, want %s", got, want)
	}
}
