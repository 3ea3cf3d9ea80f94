package fleet_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/cardbridge/sansanhubspot/fleet"
	"github.com/cardbridge/sansanhubspot/syncer"
)

func specFor(portal int64) fleet.Spec {
	return fleet.Spec{
		PortalID:  portal,
		Direction: syncer.TwoWay,
		Accounts:  []fleet.AccountSpec{{Name: "tokyo", TagIDs: []string{"T1"}}, {Name: "osaka"}},
		Interval:  fleet.Duration(5 * time.Minute),
		Mapping:   []fleet.MappingOverride{{Property: "jobtitle", Disabled: true}},
		CardFilter: fleet.CardFilter{
			ExcludeEmailDomains: []string{"cardbridge.example"},
		},
	}
}

func secretsFor(spec fleet.Spec) *fleet.Secrets {
	s := &fleet.Secrets{HubSpotToken: "pat-na1-registry-test", SansanKeys: map[string]string{}}
	for _, a := range spec.Accounts {
		s.SansanKeys[a.Name] = "KEY-" + a.Name
	}
	return s
}

func TestRegistryLifecycle(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f, pool := newFleet(t)
	spec := specFor(101)
	c, err := f.Add(ctx, spec, secretsFor(spec))
	if err != nil {
		t.Fatal(err)
	}
	want := &fleet.Connection{ID: c.ID, Spec: spec, State: fleet.StateActive, Version: 1,
		Status: fleet.Status{JobState: "available"}}
	ignore := cmpopts.IgnoreFields(fleet.Connection{}, "CreatedAt", "UpdatedAt")
	ignoreRun := cmpopts.IgnoreFields(fleet.Status{}, "NextRun")
	if diff := cmp.Diff(want, c, ignore, ignoreRun); diff != "" {
		t.Errorf("Add (-want +got):\n%s", diff)
	}

	// One connection per portal.
	if _, err := f.Add(ctx, spec, secretsFor(spec)); !errors.Is(err, fleet.ErrPortalTaken) {
		t.Errorf("second Add for the portal: %v, want ErrPortalTaken", err)
	}
	other, err := f.Add(ctx, specFor(102), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Update(ctx, other.ID, spec, nil); !errors.Is(err, fleet.ErrPortalTaken) {
		t.Errorf("Update onto a taken portal: %v, want ErrPortalTaken", err)
	}
	var secretRows int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{f.Schema(), "sansanhubspot_fleet_secrets"}.Sanitize()).Scan(&secretRows); err != nil {
		t.Fatal(err)
	}
	if secretRows != 1 {
		t.Errorf("%d secret rows, want 1 (a refused Add leaves none)", secretRows)
	}

	// Update bumps the version.
	spec.Interval = fleet.Duration(time.Minute)
	up, err := f.Update(ctx, c.ID, spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	if up.Version != 2 || up.Spec.Interval != spec.Interval {
		t.Errorf("after Update: version %d, interval %v", up.Version, up.Spec.Interval)
	}

	// Pause, list by state, resume.
	if err := f.Pause(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	paused, err := f.List(ctx, fleet.ListOptions{State: fleet.StatePaused})
	if err != nil {
		t.Fatal(err)
	}
	if len(paused) != 1 || paused[0].ID != c.ID || paused[0].Status.JobState != "" {
		t.Errorf("paused list = %+v", paused)
	}
	if err := f.Resume(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	all, err := f.List(ctx, fleet.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 {
		t.Fatalf("List = %d connections, want 2", len(all))
	}
	page, err := f.List(ctx, fleet.ListOptions{After: all[0].ID, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 1 || page[0].ID != all[1].ID {
		t.Errorf("second page = %+v, want %s", page, all[1].ID)
	}
	byPortal, err := f.ByPortal(ctx, 101)
	if err != nil || byPortal.ID != c.ID {
		t.Errorf("ByPortal(101) = %v, %v", byPortal, err)
	}
	counts, err := f.CountByState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[fleet.State]int{fleet.StateActive: 2}, counts); diff != "" {
		t.Errorf("CountByState (-want +got):\n%s", diff)
	}

	// Remove.
	if err := f.Remove(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Get(ctx, c.ID); !errors.Is(err, fleet.ErrNotFound) {
		t.Errorf("Get after Remove: %v, want ErrNotFound", err)
	}
	if err := f.Remove(ctx, c.ID); !errors.Is(err, fleet.ErrNotFound) {
		t.Errorf("second Remove: %v, want ErrNotFound", err)
	}
	if _, err := f.ByPortal(ctx, 101); !errors.Is(err, fleet.ErrUnknownPortal) {
		t.Errorf("ByPortal after Remove: %v, want ErrUnknownPortal", err)
	}
	for _, fn := range []func() error{
		func() error { return f.Pause(ctx, "conn_missing") },
		func() error { return f.Resume(ctx, "conn_missing") },
		func() error { _, err := f.Update(ctx, "conn_missing", specFor(9), nil); return err },
	} {
		if err := fn(); !errors.Is(err, fleet.ErrNotFound) {
			t.Errorf("on a missing connection: %v, want ErrNotFound", err)
		}
	}
}

func TestRegistryRejectsInvalidSpec(t *testing.T) {
	t.Parallel()
	f, _ := newFleet(t)
	if _, err := f.Add(t.Context(), fleet.Spec{}, nil); !errors.Is(err, fleet.ErrInvalidSpec) {
		t.Errorf("Add of an empty spec: %v, want ErrInvalidSpec", err)
	}
	spec := specFor(5)
	incomplete := &fleet.Secrets{HubSpotToken: "t", SansanKeys: map[string]string{"tokyo": "k"}}
	if _, err := f.Add(t.Context(), spec, incomplete); !errors.Is(err, fleet.ErrNoSecrets) {
		t.Errorf("Add with a missing Sansan key: %v, want ErrNoSecrets", err)
	}
}

func TestPassJobsAreUniquePerConnection(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f, pool := newFleet(t)
	c, err := f.Add(ctx, specFor(201), nil)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := river.NewClient(riverpgxv5.New(pool), &river.Config{Schema: f.Schema()})
	if err != nil {
		t.Fatal(err)
	}
	res, err := rc.Insert(ctx, fleet.PassArgs{ConnectionID: c.ID}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.UniqueSkippedAsDuplicate {
		t.Error("a second pass job for the connection was inserted")
	}
	res, err = rc.Insert(ctx, fleet.PassArgs{ConnectionID: "conn_other"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.UniqueSkippedAsDuplicate {
		t.Error("another connection's pass job was refused")
	}
	if got := res.Job.Queue; got != fleet.QueueName {
		t.Errorf("queue = %q, want %q", got, fleet.QueueName)
	}
	for range 2 {
		if _, err := rc.Insert(ctx, fleet.NotifyArgs{ConnectionID: c.ID}, nil); err != nil {
			t.Fatal(err)
		}
	}
	var notify int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{f.Schema(), "river_job"}.Sanitize()+" WHERE kind = $1", fleet.KindNotify).Scan(&notify); err != nil {
		t.Fatal(err)
	}
	if notify != 1 {
		t.Errorf("%d notify jobs, want 1 (coalesced)", notify)
	}
}

func TestJobArgsCarryOnlyTheConnection(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args     river.JobArgs
		kind     string
		wantJSON string
	}{
		{args: fleet.PassArgs{ConnectionID: "conn_1"}, kind: fleet.KindPass, wantJSON: `{"connection_id":"conn_1"}`},
		{args: fleet.NotifyArgs{ConnectionID: "conn_1"}, kind: fleet.KindNotify, wantJSON: `{"connection_id":"conn_1"}`},
		{args: fleet.EnsureArgs{}, kind: fleet.KindEnsure, wantJSON: `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			t.Parallel()
			if got := tt.args.Kind(); got != tt.kind {
				t.Errorf("Kind = %q, want %q", got, tt.kind)
			}
			b, err := jsonMarshal(tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantJSON, string(b)); diff != "" {
				t.Errorf("encoded args (-want +got):\n%s", diff)
			}
			opts := tt.args.(river.JobArgsWithInsertOpts).InsertOpts()
			if opts.Queue != fleet.QueueName {
				t.Errorf("queue = %q", opts.Queue)
			}
		})
	}
}

func TestSealedSecretsInDatabase(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := testPool(t)
	schema := testSchema(t, pool)
	k1, _ := fleet.GenerateKey("k1")
	k2, _ := fleet.GenerateKey("k2")
	ring1, _ := fleet.NewKeyring(k1)
	src := fleet.NewSealedSecrets(pool, schema, ring1)
	f, err := fleet.New(fleet.Config{Pool: pool, Schema: schema, Secrets: src})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	spec := specFor(301)
	sec := secretsFor(spec)
	c, err := f.Add(ctx, spec, sec)
	if err != nil {
		t.Fatal(err)
	}
	got, err := src.Secrets(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(*sec, got); diff != "" {
		t.Errorf("Secrets (-want +got):\n%s", diff)
	}
	table := pgx.Identifier{schema, "sansanhubspot_fleet_secrets"}.Sanitize()
	var keyID string
	var blob []byte
	if err := pool.QueryRow(ctx, "SELECT key_id, ciphertext FROM "+table+" WHERE connection_id = $1", c.ID).Scan(&keyID, &blob); err != nil {
		t.Fatal(err)
	}
	if keyID != "k1" || bytes.Contains(blob, []byte(sec.HubSpotToken)) || bytes.Contains(blob, []byte("KEY-tokyo")) {
		t.Errorf("stored row: key %q, plaintext visible: %t", keyID, bytes.Contains(blob, []byte(sec.HubSpotToken)))
	}
	// A sealed row copied to another connection does not open.
	if _, err := pool.Exec(ctx, "INSERT INTO "+table+" (connection_id, key_id, nonce, ciphertext) SELECT 'conn_thief', key_id, nonce, ciphertext FROM "+table+" WHERE connection_id = $1", c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Secrets(ctx, "conn_thief"); !errors.Is(err, fleet.ErrSealing) {
		t.Errorf("copied secrets: %v, want ErrSealing", err)
	}
	if _, err := src.Secrets(ctx, "conn_none"); !errors.Is(err, fleet.ErrNoSecrets) {
		t.Errorf("missing secrets: %v, want ErrNoSecrets", err)
	}
	if _, err := pool.Exec(ctx, "DELETE FROM "+table+" WHERE connection_id = 'conn_thief'"); err != nil {
		t.Fatal(err)
	}

	// Rotation: new primary first, reseal, drop the old key.
	ring21, _ := fleet.NewKeyring(k2, k1)
	n, err := fleet.NewSealedSecrets(pool, schema, ring21).Reseal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("Reseal rewrote %d secrets, want 1", n)
	}
	ring2, _ := fleet.NewKeyring(k2)
	got, err = fleet.NewSealedSecrets(pool, schema, ring2).Secrets(ctx, c.ID)
	if err != nil {
		t.Fatalf("after rotation the new key alone cannot open: %v", err)
	}
	if diff := cmp.Diff(*sec, got); diff != "" {
		t.Errorf("Secrets after rotation (-want +got):\n%s", diff)
	}
	if _, err := src.Secrets(ctx, c.ID); !errors.Is(err, fleet.ErrSealing) {
		t.Errorf("old ring after rotation: %v, want ErrSealing", err)
	}
	if err := f.Remove(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := fleet.NewSealedSecrets(pool, schema, ring2).Secrets(ctx, c.ID); !errors.Is(err, fleet.ErrNoSecrets) {
		t.Errorf("secrets after Remove: %v, want ErrNoSecrets", err)
	}
}
