package mapping_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cardbridge/sansanhubspot/mapping"
	"github.com/cardbridge/sansanhubspot/sansan"
)

var update = flag.Bool("update", false, "rewrite the testdata/*.golden files")

// goldenCards returns the paths of the card fixtures, testdata/card_*.json.
func goldenCards(tb testing.TB) []string {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "card_*.json"))
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no card fixtures: %v", err)
	}
	return paths
}

func loadCard(tb testing.TB, path string) *sansan.BizCard {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var card sansan.BizCard
	if err := json.Unmarshal(b, &card); err != nil {
		tb.Fatalf("decoding %s: %v", path, err)
	}
	return &card
}

// golden is what a golden file holds for one card: the conversion to
// HubSpot, and the card registration rebuilt from those properties.
type golden struct {
	ToHubSpot        mapping.Result                 `json:"toHubSpot"`
	Register         *sansan.RegisterBizCardRequest `json:"register"`
	RegisterProblems []mapping.FieldProblem         `json:"registerProblems,omitempty"`
	ContactValues    map[string]string              `json:"contactValues"`
}

func TestGolden(t *testing.T) {
	t.Parallel()
	s := mapping.Default()
	for _, path := range goldenCards(t) {
		name := strings.TrimSuffix(filepath.Base(path), ".json")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			res := s.CardToProperties(loadCard(t, path))
			contact := contactOf(res.Properties)
			req, problems := s.PropertiesToCard(contact)
			got := golden{ToHubSpot: res, Register: req, RegisterProblems: problems, ContactValues: s.ContactValues(contact)}

			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(got); err != nil {
				t.Fatal(err)
			}
			goldenPath := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(goldenPath, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(goldenPath)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), buf.String()); diff != "" {
				t.Errorf("%s mismatch (-want +got):\n%s", goldenPath, diff)
			}
		})
	}
}
