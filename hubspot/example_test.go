package hubspot_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/jarcoal/httpmock"
	"golang.org/x/time/rate"

	"github.com/cardbridge/sansanhubspot/hubspot"
)

// exampleClient returns a client whose requests are answered by mt.
func exampleClient(mt *httpmock.MockTransport) *hubspot.Client {
	c, err := hubspot.NewClient("pat-example-token",
		hubspot.WithHTTPClient(&http.Client{Transport: mt}),
		hubspot.WithRateLimit(rate.Inf, 0),
	)
	if err != nil {
		log.Fatal(err)
	}
	return c
}

func ExampleNewClient() {
	// A Professional or Enterprise private app may send 190 requests per
	// 10 s: 18.5/s with a burst of 5 stays below that (at most 190 in any
	// 10 s) while using 97% of it.
	client, err := hubspot.NewClient("pat-na1-...",
		hubspot.WithRateLimit(18.5, 5),
		hubspot.WithRetry(hubspot.RetryPolicy{MaxAttempts: 5, Initial: time.Second, Max: 30 * time.Second}),
		hubspot.WithUserAgent("my-sync/1.0"),
	)
	if err != nil {
		log.Fatal(err)
	}
	_ = client
}

func ExampleWithTokenSource() {
	// An OAuth access token expires after 30 minutes; the token source is
	// asked before every attempt and can refresh it. An oauth2.TokenSource
	// adapts the same way: call ts.Token() and return its AccessToken.
	var current = "oauth-access-token"
	ts := hubspot.TokenSourceFunc(func(context.Context) (string, error) {
		return current, nil
	})
	client, err := hubspot.NewClient("", hubspot.WithTokenSource(ts))
	if err != nil {
		log.Fatal(err)
	}
	_ = client
}

func ExampleContactsService_Create() {
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder("POST", "https://api.hubapi.com/crm/v3/objects/contacts",
		httpmock.NewStringResponder(409, `{"status":"error","message":"Contact already exists. Existing ID: 4242","category":"CONFLICT"}`))
	mt.RegisterResponder("PATCH", "https://api.hubapi.com/crm/v3/objects/contacts/4242",
		httpmock.NewStringResponder(200, `{"id":"4242","properties":{"email":"jane@example.com","jobtitle":"CTO"}}`))
	client := exampleClient(mt)
	ctx := context.Background()

	props := hubspot.PropertyValues{"email": "jane@example.com", "jobtitle": "CTO"}
	contact, _, err := client.Contacts.Create(ctx, props)
	var conflict *hubspot.ConflictError
	if errors.As(err, &conflict) {
		// The email is taken: update the existing contact instead.
		contact, _, err = client.Contacts.Update(ctx, conflict.ExistingID, props)
	}
	if err != nil {
		log.Fatal(err)
	}
	title, _ := contact.Properties.Get("jobtitle")
	fmt.Println(contact.ID, title)
	// Output: 4242 CTO
}

func ExampleContactsService_BatchUpsert() {
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder("POST", "https://api.hubapi.com/crm/v3/objects/contacts/batch/upsert",
		httpmock.NewStringResponder(207, `{"status":"COMPLETE",
			"results":[{"id":"2","new":true,"properties":{"email":"new@example.com"}},
			           {"id":"1","new":false,"properties":{"email":"old@example.com"}}],
			"numErrors":1,
			"errors":[{"status":"error","category":"VALIDATION_ERROR",
			  "message":"Property values were not valid: [{\"isValid\":false,\"message\":\"Email address bad@example.con is invalid\",\"error\":\"INVALID_EMAIL\",\"name\":\"email\"}]",
			  "context":{"ids":["bad@example.con"]}}]}`))
	client := exampleClient(mt)

	res, _, err := client.Contacts.BatchUpsert(context.Background(), []hubspot.BatchUpsertInput{
		{ID: "old@example.com", Properties: hubspot.PropertyValues{"jobtitle": "CEO"}},
		{ID: "new@example.com", Properties: hubspot.PropertyValues{"jobtitle": "CTO"}},
		{ID: "bad@example.con", Properties: hubspot.PropertyValues{"jobtitle": "CFO"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, o := range res.Outcomes {
		switch {
		case o.Err != nil:
			fmt.Printf("%s: failed: %s %s\n", o.Key, o.Err.Category, o.Err.PropertyErrors[0].Code)
		case o.New:
			fmt.Printf("%s: created %s\n", o.Key, o.Contact.ID)
		default:
			fmt.Printf("%s: updated %s\n", o.Key, o.Contact.ID)
		}
	}
	// Output:
	// old@example.com: updated 1
	// new@example.com: created 2
	// bad@example.con: failed: VALIDATION_ERROR INVALID_EMAIL
}

func ExampleContactsService_SearchIter() {
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder("POST", "https://api.hubapi.com/crm/v3/objects/contacts/search",
		httpmock.NewStringResponder(200, `{"total":2,"results":[
			{"id":"7","properties":{"email":"a@example.com"}},
			{"id":"9","properties":{"email":"b@example.com"}}]}`))
	client := exampleClient(mt)

	since := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	req := &hubspot.SearchRequest{
		FilterGroups: []hubspot.FilterGroup{{Filters: []hubspot.Filter{{
			PropertyName: "lastmodifieddate", Operator: hubspot.OperatorGTE, Value: hubspot.FormatDateTimeMillis(since),
		}}}},
		Properties: []string{"email"},
	}
	for c, err := range client.Contacts.SearchIter(context.Background(), req) {
		if err != nil {
			log.Fatal(err)
		}
		email, _ := c.Properties.Get("email")
		fmt.Println(c.ID, email)
	}
	// Output:
	// 7 a@example.com
	// 9 b@example.com
}

func ExampleWebhookHandler() {
	const secret = "my-client-secret"
	handler := &hubspot.WebhookHandler{
		ClientSecret: secret,
		Handle: func(_ context.Context, events []hubspot.WebhookEvent) error {
			for _, e := range events {
				fmt.Println(e.SubscriptionType, e.ContactID(), e.PropertyName, e.PropertyValue)
			}
			return nil // enqueue and return quickly in real code
		},
	}

	// Simulate HubSpot's delivery.
	body := `[{"eventId":1,"subscriptionType":"contact.propertyChange","objectId":512,"propertyName":"email","propertyValue":"x@example.com","occurredAt":1715203101896}]`
	ts := fmt.Sprint(time.Now().UnixMilli())
	url := "https://hooks.example.com/hubspot"
	req := httptest.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set(hubspot.HeaderRequestTimestamp, ts)
	req.Header.Set(hubspot.HeaderSignatureV3, hubspot.SignatureV3(secret, "POST", url, []byte(body), ts))
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)
	fmt.Println(rec.Code)
	// Output:
	// contact.propertyChange 512 email x@example.com
	// 204
}
