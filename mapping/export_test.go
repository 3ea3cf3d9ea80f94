package mapping

// Unexported helpers, exported to the external tests of this package only.
var (
	FieldNames   = fieldNames
	MergeOptions = mergeOptions
)
