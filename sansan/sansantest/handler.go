package sansantest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// Endpoint names used by [Fake.Requests], [Fake.FailNextOn] and [Fake.DropNextOn].
const (
	EndpointListBizCards   = "GET /bizCards"
	EndpointSearchBizCards = "GET /bizCards/search"
	EndpointGetBizCard     = "GET /bizCards/{id}"
	EndpointBizCardImage   = "GET /bizCards/{id}/image"
	EndpointBizCardTags    = "GET /bizCards/{id}/tags"
	EndpointCreateBizCard  = "POST /bizCards"
	EndpointGetPerson      = "GET /persons/{id}"
	EndpointListTags       = "GET /tags"
	EndpointMe             = "GET /me"
)

// Error codes used in the "error" array of error bodies.
const (
	CodeInvalidParameter = "InvalidParameter"
	CodeUnauthorized     = "Unauthorized"
	CodeNotFound         = "NotFound"
	CodeMethodNotAllowed = "MethodNotAllowed"
	CodeTooManyRequests  = "TooManyRequests"
	CodeInjected         = "InjectedFault"
)

type route struct {
	template string   // e.g. "/bizCards/{id}"
	methods  []string // allowed methods
	id       string
}

// match maps a request to its endpoint template.
func (f *Fake) match(method, path string) (route, bool) {
	if rv := f.cfg.regVersion; rv != nil && method == http.MethodPost {
		if *rv != "" && path == "/"+*rv+"/bizCards" {
			return route{template: "/bizCards", methods: []string{http.MethodPost}}, true
		}
		if strings.HasSuffix(path, "/bizCards") {
			return route{}, false // this version has no registration: 404
		}
	}
	prefix := "/" + f.cfg.version + "/"
	if f.cfg.version == "" {
		prefix = "/"
	}
	rest, ok := strings.CutPrefix(path, prefix)
	if !ok {
		return route{}, false
	}
	parts := strings.Split(rest, "/")
	for _, p := range parts {
		if p == "" {
			return route{}, false
		}
	}
	get := []string{http.MethodGet}
	switch {
	case len(parts) == 1 && parts[0] == "bizCards":
		return route{template: "/bizCards", methods: []string{http.MethodGet, http.MethodPost}}, true
	case len(parts) == 2 && parts[0] == "bizCards" && parts[1] == "search":
		return route{template: "/bizCards/search", methods: get}, true
	case len(parts) == 2 && parts[0] == "bizCards":
		return route{template: "/bizCards/{id}", methods: get, id: parts[1]}, true
	case len(parts) == 3 && parts[0] == "bizCards" && (parts[2] == "image" || parts[2] == "tags"):
		return route{template: "/bizCards/{id}/" + parts[2], methods: get, id: parts[1]}, true
	case len(parts) == 2 && parts[0] == "persons":
		return route{template: "/persons/{id}", methods: get, id: parts[1]}, true
	case len(parts) == 1 && parts[0] == "tags":
		return route{template: "/tags", methods: get}, true
	case len(parts) == 1 && parts[0] == "me":
		return route{template: "/me", methods: get}, true
	}
	return route{}, false
}

// ServeHTTP implements [http.Handler].
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt, matched := f.match(r.Method, r.URL.Path)
	endpoint := r.Method + " (unmatched)"
	if matched {
		endpoint = r.Method + " " + rt.template
	}
	f.count(endpoint)

	if status, drop, ok := f.takeFault(endpoint); ok {
		if drop {
			dropConnection(w)
			return
		}
		writeError(w, status, fmt.Sprintf("injected fault: %s", http.StatusText(status)), CodeInjected)
		return
	}
	if d := f.cfg.latency; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}

	f.mu.RLock()
	user := f.keys[r.Header.Get("X-Sansan-Api-Key")]
	if user != nil {
		cp := *user
		user = &cp
	}
	f.mu.RUnlock()

	if f.cfg.limited {
		lk := ""
		if user != nil {
			lk = user.ID
		}
		if !f.limiter(lk).AllowN(f.now(), 1) {
			writeError(w, http.StatusTooManyRequests, "rate limit exceeded", CodeTooManyRequests)
			return
		}
	}
	if user == nil {
		writeError(w, http.StatusUnauthorized, "missing or invalid API key", CodeUnauthorized)
		return
	}
	if !matched {
		writeError(w, http.StatusNotFound, "resource not found", CodeNotFound)
		return
	}
	allowed := false
	for _, m := range rt.methods {
		allowed = allowed || m == r.Method
	}
	if !allowed {
		w.Header().Set("Allow", strings.Join(rt.methods, ", "))
		writeError(w, http.StatusMethodNotAllowed, "method not allowed", CodeMethodNotAllowed)
		return
	}

	if (endpoint == EndpointListBizCards || endpoint == EndpointSearchBizCards) && f.serveEndless(w) {
		return
	}
	switch endpoint {
	case EndpointListBizCards:
		f.handleList(w, r, user)
	case EndpointSearchBizCards:
		f.handleSearch(w, r, user)
	case EndpointGetBizCard:
		f.handleGetCard(w, r, user, rt.id)
	case EndpointBizCardImage:
		f.handleImage(w, r, user, rt.id)
	case EndpointBizCardTags:
		f.handleCardTags(w, r, user, rt.id)
	case EndpointCreateBizCard:
		f.handleCreate(w, r, user)
	case EndpointGetPerson:
		f.handlePerson(w, r, user, rt.id)
	case EndpointListTags:
		f.handleTags(w, r, user)
	case EndpointMe:
		writeJSON(w, http.StatusOK, wireItem[wireUser]{Item: wireUser{ID: user.ID, Name: user.Name, Email: user.Email}})
	}
}

func (f *Fake) limiter(key string) *rate.Limiter {
	f.limMu.Lock()
	defer f.limMu.Unlock()
	l, ok := f.limiters[key]
	if !ok {
		l = rate.NewLimiter(f.cfg.rateLimit, f.cfg.burst)
		f.limiters[key] = l
	}
	return l
}

// dropConnection closes the connection without writing a response.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	// Not hijackable (e.g. HTTP/2): abort the handler, which resets the stream.
	panic(http.ErrAbortHandler)
}

// writeJSON writes v as a JSON response.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, `{"statusCode":500,"message":"encoding failed","error":[{"code":"InternalServerError"}]}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// writeError writes the documented error body {statusCode, message, error:[{code}]}.
func writeError(w http.ResponseWriter, status int, msg, code string) {
	writeJSON(w, status, wireError{
		StatusCode: status,
		Message:    msg,
		Error:      []wireErrorDetail{{Code: code, Message: msg}},
	})
}

// badRequest writes a 400 with code InvalidParameter.
func badRequest(w http.ResponseWriter, format string, args ...any) {
	writeError(w, http.StatusBadRequest, fmt.Sprintf(format, args...), CodeInvalidParameter)
}
