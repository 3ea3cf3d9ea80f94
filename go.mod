module github.com/cardbridge/sansanhubspot

go 1.26.0

require (
	github.com/google/go-cmp v0.7.0
	github.com/google/go-querystring v1.2.0
	github.com/jarcoal/httpmock v1.4.2
	golang.org/x/net v0.63.0
	golang.org/x/text v0.44.0
	golang.org/x/time v0.14.0
)
