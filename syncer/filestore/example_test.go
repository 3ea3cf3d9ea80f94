package filestore_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/cardbridge/sansanhubspot/syncer"
	"github.com/cardbridge/sansanhubspot/syncer/filestore"
)

func ExampleOpen() {
	dir, err := os.MkdirTemp("", "sansanhubspot-store")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()

	s, err := filestore.Open(dir)
	if err != nil {
		log.Fatal(err)
	}
	err = s.PutLinks(ctx, []*syncer.Link{{
		PersonID:  "person-1",
		ContactID: "901",
		Email:     "taro@example.co.jp",
		State:     syncer.StateInSync,
	}})
	if err != nil {
		log.Fatal(err)
	}
	if err := s.Close(); err != nil {
		log.Fatal(err)
	}

	// After a restart (or a crash) the link is still there.
	s, err = filestore.Open(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	l, err := s.LinkByContact(ctx, "901")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(l.PersonID, l.Email, l.State)
	// Output: person-1 taro@example.co.jp in_sync
}
