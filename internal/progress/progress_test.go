package progress

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cardbridge/sansanhubspot/syncer"
)

func TestLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		tty  bool
		dry  bool
		want []string // lines, \r-separated redraws joined
	}{
		{name: "plain", want: []string{
			"  tokyo Sansan → HubSpot: 10 cards read, 0 written …",
			"  tokyo Sansan → HubSpot: 300 cards read, 250 written done",
			"  tokyo HubSpot → Sansan: 4 contacts read, 1 written done",
		}},
		{name: "plain dry run", dry: true, want: []string{
			"  tokyo Sansan → HubSpot: 10 cards read, would write 0 (dry run) …",
			"  tokyo Sansan → HubSpot: 300 cards read, would write 250 (dry run) done",
			"  tokyo HubSpot → Sansan: 4 contacts read, would write 1 (dry run) done",
		}},
		{name: "terminal", tty: true, want: []string{
			"  tokyo Sansan → HubSpot [█░░░░░░░░░░░░░░░░░░░░░░░░░░░░░] 10 cards read, 0 written",
			"  tokyo Sansan → HubSpot [██░░░░░░░░░░░░░░░░░░░░░░░░░░░░] 20 cards read, 0 written",
			"  tokyo Sansan → HubSpot [██████████████████████████████] 300 cards read, 250 written",
			"  tokyo HubSpot → Sansan 4 contacts read, 1 written",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			l := New(&buf, tt.dry)
			l.tty, l.Indent = tt.tty, "  "
			l.SetTotal(300)
			for _, pr := range []syncer.Progress{
				{Account: "tokyo", Read: 10},
				{Account: "tokyo", Read: 20}, // within a second: plain output skips it
				{Account: "tokyo", Read: 300, Created: 200, Updated: 50, Done: true},
				{Account: "tokyo", Direction: syncer.HubSpotToSansan, Read: 4, Created: 1, Done: true},
			} {
				l.Update(pr)
			}
			l.End()
			var got []string
			for _, s := range strings.FieldsFunc(buf.String(), func(r rune) bool { return r == '\n' || r == '\r' }) {
				s = strings.TrimPrefix(s, "\033[K")
				if tt.tty { // drop the elapsed time
					s = s[:strings.LastIndex(s, "  ")]
				}
				got = append(got, s)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
		})
	}
}
