package fleet_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cardbridge/sansanhubspot/fleet"
)

func TestKeyringSealOpen(t *testing.T) {
	t.Parallel()
	old := testKeyring(t, "2026-06")
	sealed, err := old.Seal([]byte("pat-na1-secret"), []byte("conn_a"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed.Ciphertext, []byte("pat-na1-secret")) {
		t.Fatal("ciphertext contains the plaintext")
	}
	tampered := sealed
	tampered.Ciphertext = bytes.Clone(sealed.Ciphertext)
	tampered.Ciphertext[0] ^= 1
	unknown := sealed
	unknown.KeyID = "nope"
	short := sealed
	short.Nonce = sealed.Nonce[:4]
	tests := []struct {
		name    string
		sealed  fleet.Sealed
		aad     string
		want    string
		wantErr bool
	}{
		{name: "round trip", sealed: sealed, aad: "conn_a", want: "pat-na1-secret"},
		{name: "other connection", sealed: sealed, aad: "conn_b", wantErr: true},
		{name: "tampered", sealed: tampered, aad: "conn_a", wantErr: true},
		{name: "unknown key", sealed: unknown, aad: "conn_a", wantErr: true},
		{name: "bad nonce", sealed: short, aad: "conn_a", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := old.Open(tt.sealed, []byte(tt.aad))
			if tt.wantErr {
				if !errors.Is(err, fleet.ErrSealing) {
					t.Fatalf("Open error = %v, want ErrSealing", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("Open (-want +got):\n%s", diff)
			}
		})
	}
}

func TestKeyringRotation(t *testing.T) {
	t.Parallel()
	k1, _ := fleet.GenerateKey("k1")
	k2, _ := fleet.GenerateKey("k2")
	before, err := fleet.NewKeyring(k1)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := before.Seal([]byte("key"), nil)
	if err != nil {
		t.Fatal(err)
	}
	during, err := fleet.NewKeyring(k2, k1)
	if err != nil {
		t.Fatal(err)
	}
	if got := during.Primary(); got != "k2" {
		t.Errorf("Primary = %q, want k2", got)
	}
	if _, err := during.Open(sealed, nil); err != nil {
		t.Errorf("new ring cannot open a secret sealed before the rotation: %v", err)
	}
	resealed, err := during.Seal([]byte("key"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resealed.KeyID != "k2" {
		t.Errorf("sealed with %q, want the primary k2", resealed.KeyID)
	}
	after, _ := fleet.NewKeyring(k2)
	if _, err := after.Open(sealed, nil); !errors.Is(err, fleet.ErrSealing) {
		t.Errorf("ring without k1 opened a k1 secret: %v", err)
	}
}

func TestNewKeyringErrors(t *testing.T) {
	t.Parallel()
	good := bytes.Repeat([]byte{7}, 32)
	tests := []struct {
		name string
		keys []fleet.Key
	}{
		{name: "no key"},
		{name: "empty id", keys: []fleet.Key{{ID: "", Bytes: good}}},
		{name: "id with colon", keys: []fleet.Key{{ID: "a:b", Bytes: good}}},
		{name: "duplicate id", keys: []fleet.Key{{ID: "a", Bytes: good}, {ID: "a", Bytes: good}}},
		{name: "short key", keys: []fleet.Key{{ID: "a", Bytes: good[:16]}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := fleet.NewKeyring(tt.keys...); !errors.Is(err, fleet.ErrSealing) {
				t.Errorf("NewKeyring error = %v, want ErrSealing", err)
			}
		})
	}
}

func TestParseKeyring(t *testing.T) {
	t.Parallel()
	b64 := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))
	tests := []struct {
		in      string
		primary string
		wantErr bool
	}{
		{in: "new:" + b64 + ", old:" + b64, primary: "new"},
		{in: "only:" + b64 + ",", primary: "only"},
		{in: "", wantErr: true},
		{in: "nocolon", wantErr: true},
		{in: "k:not-base64!", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			r, err := fleet.ParseKeyring(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatal("ParseKeyring succeeded, want an error")
				}
				if strings.Contains(err.Error(), b64) {
					t.Errorf("error %q contains the key", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Primary(); got != tt.primary {
				t.Errorf("Primary = %q, want %q", got, tt.primary)
			}
			if s := fmt.Sprintf("%v %+v %#v", r, r, r); strings.Contains(s, b64) {
				t.Errorf("formatted keyring shows a key: %s", s)
			}
		})
	}
}

func TestSecretsNeverPrinted(t *testing.T) {
	t.Parallel()
	s := fleet.Secrets{HubSpotToken: "pat-na1-TOPSECRET", SansanKeys: map[string]string{"tokyo": "SANSANKEYTOPSECRET"}}
	k, _ := fleet.GenerateKey("k")
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "secrets", s, "key", k)
	j, err := json.Marshal(map[string]any{"s": s})
	if err != nil {
		t.Fatal(err)
	}
	out := []string{fmt.Sprintf("%v", s), fmt.Sprintf("%+v", s), fmt.Sprintf("%#v", s), s.String(), fmt.Sprint(&s),
		fmt.Sprintf("%v %+v %#v", k, k, k), string(j), logs.String()}
	for _, o := range out {
		for _, secret := range []string{"TOPSECRET", base64.StdEncoding.EncodeToString(k.Bytes)} {
			if strings.Contains(o, secret) {
				t.Errorf("secret printed: %s", o)
			}
		}
	}
	if !strings.Contains(out[0], "tokyo") {
		t.Errorf("String() = %q, want the account names", out[0])
	}
}
