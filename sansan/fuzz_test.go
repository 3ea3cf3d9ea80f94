package sansan

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// FuzzBizCardJSON decodes arbitrary JSON as a card. Whatever decodes must
// keep its input in Raw and survive a marshal/unmarshal round trip
// unchanged; nothing may panic.
func FuzzBizCardJSON(f *testing.F) {
	for _, name := range []string{"bizcards_page1.json", "bizcards_page2.json"} {
		var page struct{ Data []json.RawMessage }
		if err := json.Unmarshal(fixture(f, name), &page); err != nil {
			f.Fatal(err)
		}
		for _, c := range page.Data {
			f.Add([]byte(c))
		}
	}
	f.Add(bareItemF(f, fixture(f, "register_response.json")))
	for _, s := range []string{
		`{}`, `null`, `{"id":null}`, `{"exchangeDate":""}`, `{"exchangeDate":"2024-04-01T00:30:00+09:00"}`,
		`{"updatedTime":"2024-04-01T09:00:00"}`, `{"updatedTime":"2024-04-01T09:00:00.123456789-23:59"}`,
		`{"tags":[null,{"owner":null}]}`, `{"ID":"a","id":"b"}`, `{"email":"\ud800"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var c BizCard
		if err := json.Unmarshal(data, &c); err != nil {
			return
		}
		if trimmed := bytes.Trim(data, " \t\r\n"); string(trimmed) != "null" && !bytes.Equal(c.Raw, trimmed) {
			t.Fatalf("Raw = %q, want the input %q", c.Raw, trimmed)
		}
		if c.ExchangeDate != nil && c.ExchangeDate.IsZero() {
			t.Fatalf("zero exchange date kept as non-nil")
		}
		out, err := json.Marshal(&c)
		if err != nil {
			t.Fatalf("decoded card does not marshal: %v (%+v)", err, c)
		}
		var again BizCard
		if err := json.Unmarshal(out, &again); err != nil {
			t.Fatalf("marshalled card does not decode: %v\n%s", err, out)
		}
		if d := cmp.Diff(c, again, ignoreRaw, cmpopts.EquateEmpty()); d != "" {
			t.Fatalf("round trip changed the card (-first +second):\n%s", d)
		}
	})
}

func bareItemF(f *testing.F, b []byte) []byte {
	var env struct{ Item json.RawMessage }
	if err := json.Unmarshal(b, &env); err != nil {
		f.Fatal(err)
	}
	return env.Item
}
