package filestore_test

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/syncer"
	"github.com/cardbridge/sansanhubspot/syncer/filestore"
)

// docSnippet is the package documentation's code, verbatim, so that the
// compiler checks it; TestDocSnippet keeps the two identical, and Example
// runs the same calls against the fakes.
func docSnippet(ctx context.Context, hs *hubspot.Client, accounts []syncer.Account) error {
	store, err := filestore.Open("/var/lib/sansanhubspot/store")
	if err != nil {
		return err
	}
	defer store.Close()
	eng, err := syncer.New(syncer.Config{HubSpot: hs, Accounts: accounts, Store: store})
	if err != nil {
		return err
	}
	return eng.Run(ctx)
}

var _ = docSnippet

// TestDocSnippet: the code block of doc.go is the body of docSnippet.
func TestDocSnippet(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, line := range strings.Split(string(doc), "\n") {
		if code, ok := strings.CutPrefix(line, "//\t"); ok {
			want = append(want, code)
		} else if len(want) > 0 {
			break // the first code block only
		}
	}

	src, err := os.ReadFile("doc_test.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "doc_test.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Name.Name == "docSnippet" {
			body := string(src[fset.Position(fn.Body.Lbrace).Offset+1 : fset.Position(fn.Body.Rbrace).Offset])
			for _, line := range strings.Split(strings.Trim(body, "\n"), "\n") {
				got = append(got, strings.TrimPrefix(line, "\t"))
			}
		}
	}
	if len(want) == 0 || len(got) == 0 {
		t.Fatalf("snippet in doc.go: %d lines, docSnippet body: %d lines", len(want), len(got))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("doc.go's snippet differs from docSnippet (-doc +docSnippet):\n%s", diff)
	}
}
