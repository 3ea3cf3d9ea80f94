package fleet

import "context"

// PassInfo identifies the pass a context belongs to. The context given to
// the engine carries it, and so does every API request of the pass
// (req.Context()), so a transport can tag requests or a tracer can label
// spans.
type PassInfo struct {
	// ConnectionID is the connection the pass syncs.
	ConnectionID string
	// JobID and Attempt are the River job and its attempt number.
	JobID   int64
	Attempt int
	// Replica is the ReplicaID of the replica running the pass.
	Replica string
}

type passInfoKey struct{}

// PassFromContext returns the pass of ctx, if any.
func PassFromContext(ctx context.Context) (PassInfo, bool) {
	p, ok := ctx.Value(passInfoKey{}).(PassInfo)
	return p, ok
}

func withPass(ctx context.Context, p PassInfo) context.Context {
	return context.WithValue(ctx, passInfoKey{}, p)
}
