package syncer

// progress returns a's running counts as a Progress; written fills the
// deprecated Progress.Written.
func (a *AccountReport) progress(written int, done bool) Progress {
	return Progress{
		Direction: a.Direction, Account: a.Account, Read: a.Read, Written: written, Done: done,
		Created: a.Created, Updated: a.Updated, Unchanged: a.Unchanged, Excluded: a.Excluded, Failed: a.Failed,
	}
}
