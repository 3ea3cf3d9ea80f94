package syncer

import "testing"

func TestHashValues(t *testing.T) {
	t.Parallel()
	a := map[string]string{"jobtitle": "部長", "email": "a@example.co.jp", "phone": ""}
	if hashValues(a) != hashValues(map[string]string{"email": "a@example.co.jp", "jobtitle": "部長"}) {
		t.Error("a blank value and an absent one hash differently")
	}
	if hashValues(a) == 0 || hashValues(nil) == 0 {
		t.Error("hash 0 means unknown and must never be returned")
	}
	distinct := []map[string]string{
		{"ab": "c"}, {"a": "bc"}, {"a": "b", "c": ""}, {"a": "c", "b": "d"}, {"a": "d", "b": "c"},
		{"jobtitle": "部長"}, {"jobtitle": "部長 "}, {"k": "12345678"}, {"k": "123456789"},
	}
	seen := map[uint64]int{}
	for i, m := range distinct {
		h := hashValues(m)
		if j, dup := seen[h]; dup {
			t.Errorf("maps %d and %d hash alike: %v, %v", j, i, distinct[j], m)
		}
		seen[h] = i
	}
	// Stores keep the hash: it must not change between releases.
	const pinnedHash = 0xcea174bc13eba4ea
	if got := hashValues(map[string]string{"email": "a@example.co.jp"}); got != pinnedHash {
		t.Errorf("hashValues changed: %#x, pinned %#x", got, uint64(pinnedHash))
	}
}
