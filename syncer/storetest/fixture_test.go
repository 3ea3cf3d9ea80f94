package storetest

import (
	"reflect"
	"testing"
)

// TestFixturesSetEveryField makes sure the round-trip fixtures cover every
// field, so a field added to syncer.Link or syncer.Checkpoint is checked by
// the suite (and stores that forget to persist it fail).
func TestFixturesSetEveryField(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		v    any
	}{
		{"Link", *fullLink("p1")},
		{"Checkpoint", fullCheckpoint()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, path := range zeroFields(reflect.ValueOf(tt.v), tt.name) {
				t.Errorf("fixture leaves %s at its zero value", path)
			}
		})
	}
}

// zeroFields lists the zero-valued exported fields of the struct v,
// descending into struct fields that are not times.
func zeroFields(v reflect.Value, path string) []string {
	var out []string
	for i := range v.NumField() {
		f, sf := v.Field(i), v.Type().Field(i)
		if !sf.IsExported() {
			continue
		}
		p := path + "." + sf.Name
		switch {
		case f.IsZero():
			out = append(out, p)
		case f.Kind() == reflect.Struct && sf.Type.PkgPath() != "time":
			out = append(out, zeroFields(f, p)...)
		}
	}
	return out
}
