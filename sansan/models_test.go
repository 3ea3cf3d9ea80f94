package sansan

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParseDate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Date
		wantErr bool
	}{
		{in: "2024-04-01", want: Date{2024, time.April, 1}},
		{in: "2015-08-21", want: Date{2015, time.August, 21}},
		{in: "2024-02-29", want: Date{2024, time.February, 29}},
		// The date part is kept as written: 00:30 JST is the previous day
		// in UTC, and must not become March 31.
		{in: "2024-04-01T00:30:00+09:00", want: Date{2024, time.April, 1}},
		{in: "2024-04-01T23:30:00-05:00", want: Date{2024, time.April, 1}},
		{in: "2023-02-29", wantErr: true},
		{in: "2024/04/01", wantErr: true},
		{in: "24-04-01", wantErr: true},
		{in: "", wantErr: true},
		{in: "2024-04-01X", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseDate(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrInvalidDate) {
					t.Errorf("ParseDate(%q) = %v, %v; want ErrInvalidDate", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseDate(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestDateMethods(t *testing.T) {
	t.Parallel()
	d := Date{2024, time.April, 1}
	if s := d.String(); s != "2024-04-01" {
		t.Errorf("String() = %q", s)
	}
	if s := (Date{}).String(); s != "" {
		t.Errorf("zero String() = %q", s)
	}
	if d.IsZero() || !(Date{}).IsZero() {
		t.Error("IsZero is wrong")
	}
	if got := d.In(JST); !got.Equal(time.Date(2024, 3, 31, 15, 0, 0, 0, time.UTC)) {
		t.Errorf("In(JST) = %v", got)
	}
	// DateOf uses the time's own zone: 00:30 JST on April 1.
	if got := DateOf(time.Date(2024, 4, 1, 0, 30, 0, 0, JST)); got != d {
		t.Errorf("DateOf = %v", got)
	}
	cmpTests := []struct {
		a, b Date
		want int
	}{
		{d, d, 0},
		{Date{2023, time.December, 31}, d, -1},
		{d, Date{2024, time.March, 31}, 1},
		{Date{2024, time.April, 2}, d, 1},
	}
	for _, c := range cmpTests {
		if got := c.a.Compare(c.b); got != c.want {
			t.Errorf("%v.Compare(%v) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestDateJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		json    string
		want    *Date
		wantErr bool
	}{
		{name: "date", json: `{"d":"2024-04-01"}`, want: &Date{2024, time.April, 1}},
		{name: "null", json: `{"d":null}`, want: nil},
		{name: "absent", json: `{}`, want: nil},
		{name: "empty string", json: `{"d":""}`, want: &Date{}},
		{name: "number", json: `{"d":20240401}`, wantErr: true},
		{name: "bad date", json: `{"d":"2024-13-01"}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var v struct {
				D *Date `json:"d"`
			}
			err := json.Unmarshal([]byte(tt.json), &v)
			if tt.wantErr {
				if err == nil {
					t.Errorf("decoded %v, want an error", v.D)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, v.D); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
	for _, tt := range []struct {
		d    Date
		want string
	}{{Date{2024, time.April, 1}, `"2024-04-01"`}, {Date{}, `null`}, {Date{987, time.January, 2}, `"0987-01-02"`}} {
		b, err := json.Marshal(tt.d)
		if err != nil || string(b) != tt.want {
			t.Errorf("Marshal(%v) = %s, %v; want %s", tt.d, b, err, tt.want)
		}
	}
}

func TestBizCardDecode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		json    string
		want    BizCard
		wantErr bool
	}{
		{
			name: "null and empty strings stay distinct",
			json: `{"id":"C1","title":null,"email":"","memo":"メモ"}`,
			want: BizCard{ID: "C1", Email: Ptr(""), Memo: Ptr("メモ")},
		},
		{
			name: "times keep +09:00 and the exchange date is not shifted",
			json: `{"id":"C1","exchangeDate":"2024-04-01","registeredTime":"2024-04-01T00:30:00+09:00"}`,
			want: BizCard{ID: "C1", ExchangeDate: &Date{2024, time.April, 1}, RegisteredTime: at("2024-04-01T00:30:00+09:00")},
		},
		{
			name: "time without offset is JST",
			json: `{"id":"C1","updatedTime":"2024-04-01T09:00:00"}`,
			want: BizCard{ID: "C1", UpdatedTime: at("2024-04-01T00:00:00Z")},
		},
		{
			name: "UTC time",
			json: `{"id":"C1","updatedTime":"2016-04-01T00:00:00Z"}`,
			want: BizCard{ID: "C1", UpdatedTime: at("2016-04-01T09:00:00+09:00")},
		},
		{
			name: "null and empty times and dates",
			json: `{"id":"C1","registeredTime":null,"updatedTime":"","exchangeDate":""}`,
			want: BizCard{ID: "C1"},
		},
		{
			name: "unknown fields ignored",
			json: `{"id":"C1","newThing":[1,2,{"x":null}],"owner":{"id":"ito","name":"伊藤花子","departmentName":"営業"}}`,
			want: BizCard{ID: "C1", Owner: &User{ID: "ito", Name: "伊藤花子"}},
		},
		{name: "bad time", json: `{"id":"C1","updatedTime":"yesterday"}`, wantErr: true},
		{name: "time not a string", json: `{"id":"C1","updatedTime":12}`, wantErr: true},
		{name: "bad date", json: `{"id":"C1","exchangeDate":"2024-02-30"}`, wantErr: true},
		{name: "not an object", json: `["C1"]`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got BizCard
			err := json.Unmarshal([]byte(tt.json), &got)
			if tt.wantErr {
				if err == nil {
					t.Errorf("decoded %+v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := diff(tt.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
			if string(got.Raw) != tt.json {
				t.Errorf("Raw = %s, want %s", got.Raw, tt.json)
			}
			if !got.RegisteredTime.IsZero() {
				if _, off := got.RegisteredTime.Zone(); off != 9*3600 {
					t.Errorf("offset = %d, want +09:00", off)
				}
			}
		})
	}
}

// TestBizCardReuse checks that decoding into a used card leaves nothing of
// the previous one.
func TestBizCardReuse(t *testing.T) {
	t.Parallel()
	var c BizCard
	if err := json.Unmarshal([]byte(`{"id":"A","email":"a@example.jp","tags":[{"id":"T"}]}`), &c); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(`{"id":"B"}`), &c); err != nil {
		t.Fatal(err)
	}
	if d := diff(BizCard{ID: "B"}, c); d != "" || string(c.Raw) != `{"id":"B"}` {
		t.Errorf("(-want +got):\n%s raw=%s", d, c.Raw)
	}
	if err := json.Unmarshal([]byte(`null`), &c); err != nil || c.ID != "B" {
		t.Errorf("null changed the card: %+v, %v", c, err)
	}
}

// TestRawIsACopy checks that Raw does not alias the decoder's input buffer.
func TestRawIsACopy(t *testing.T) {
	t.Parallel()
	buf := []byte(`{"id":"A"}`)
	var c BizCard
	if err := json.Unmarshal(buf, &c); err != nil {
		t.Fatal(err)
	}
	copy(buf, "XXXXXXXXXX")
	if string(c.Raw) != `{"id":"A"}` {
		t.Errorf("Raw changed with the input buffer: %s", c.Raw)
	}
}

// TestBizCardRoundTrip checks that the fixture cards survive marshal and
// unmarshal unchanged.
func TestBizCardRoundTrip(t *testing.T) {
	t.Parallel()
	for _, want := range []*BizCard{wantCard1(), wantCard2(), wantCard3()} {
		b, err := json.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		var got BizCard
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		// An empty Tags slice is omitted, so it comes back nil.
		if d := cmp.Diff(want, &got, ignoreRaw, cmpopts.EquateEmpty()); d != "" {
			t.Errorf("round trip of %s (-want +got):\n%s", want.ID, d)
		}
	}
}

func TestRegisterRequestJSON(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(&RegisterBizCardRequest{LastName: Ptr("伊藤"), Email: Ptr(""), ExchangeDate: &Date{2024, time.April, 1}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"exchangeDate":"2024-04-01","lastName":"伊藤","email":""}`
	if string(b) != want {
		t.Errorf("got %s\nwant %s", b, want)
	}
}

func TestItemDecode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		json    string
		want    User
		wantErr bool
	}{
		{name: "envelope", json: `{"item":{"id":"ito","name":"伊藤"}}`, want: User{ID: "ito", Name: "伊藤"}},
		{name: "bare", json: `{"id":"ito","name":"伊藤"}`, want: User{ID: "ito", Name: "伊藤"}},
		{name: "null item", json: `{"item":null}`, wantErr: true},
		{name: "array", json: `[]`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got item[User]
			err := json.Unmarshal([]byte(tt.json), &got)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if !tt.wantErr {
				if d := cmp.Diff(tt.want, got.V); d != "" {
					t.Errorf("(-want +got):\n%s", d)
				}
			}
		})
	}
}

func TestPtrDeref(t *testing.T) {
	t.Parallel()
	p := Ptr("x")
	if *p != "x" || Deref(p) != "x" || Deref[string](nil) != "" || Deref[int](nil) != 0 {
		t.Error("Ptr/Deref broken")
	}
}
