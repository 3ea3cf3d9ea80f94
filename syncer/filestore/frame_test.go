package filestore

import (
	"bytes"
	"testing"
)

func TestFrameRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		payload []byte
	}{
		{"Empty", nil},
		{"JSON", []byte(`{"seq":1,"links":[{"person_id":"p"}]}`)},
		{"Binary", []byte{0, 1, 2, 0xff, 'S', 'H', 'F', '1'}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			frame := appendFrame(nil, tt.payload)
			got, size, ok := parseFrame(append(frame, "trailing"...))
			if !ok || size != len(frame) || !bytes.Equal(got, tt.payload) {
				t.Fatalf("parseFrame = (%q, %d, %v), want (%q, %d, true)", got, size, ok, tt.payload, len(frame))
			}
			for i := range frame {
				bad := bytes.Clone(frame)
				bad[i] ^= 0x10
				if _, _, ok := parseFrame(bad); ok {
					t.Errorf("parseFrame accepted the frame with byte %d flipped", i)
				}
			}
			for n := range len(frame) {
				if _, _, ok := parseFrame(frame[:n]); ok {
					t.Errorf("parseFrame accepted the frame cut to %d bytes", n)
				}
			}
		})
	}
}

func FuzzParseFrame(f *testing.F) {
	f.Add(appendFrame(nil, []byte(`{"seq":1}`)))
	f.Add([]byte("SHF1\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		payload, size, ok := parseFrame(data)
		if !ok {
			return
		}
		if size > len(data) || !bytes.Equal(appendFrame(nil, payload), data[:size]) {
			t.Fatalf("parseFrame(%q) = (%q, %d): not the frame it was read from", data, payload, size)
		}
	})
}
