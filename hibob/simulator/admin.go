package simulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"hibobsync/model"
)

// adminHandler is the test-fixture API under /_sim/: no auth, JSON in and out, errors as
// {"error": "..."} with 400 (bad input) or 404 (unknown company, employee or service user).
//
//	GET    /_sim/companies                                   → ["Demo Co", …]
//	POST   /_sim/companies                                   {"name","employees","seed"} → company summary
//	GET    /_sim/companies/{name}                            → company summary (service users with tokens)
//	GET    /_sim/companies/{name}/truth                      → []model.Employee
//	GET    /_sim/companies/{name}/history/{table}            → []model.HistoryEntry (lifecycle|work|employment)
//	GET    /_sim/companies/{name}/employees                  → sorted IDs
//	POST   /_sim/companies/{name}/employees                  NewHire → {"id"}
//	DELETE /_sim/companies/{name}/employees/{id}
//	POST   /_sim/companies/{name}/employees/{id}/terminate   {"on":"YYYY-MM-DD"} (on optional → today)
//	POST   /_sim/companies/{name}/employees/{id}/leave       {"on"}
//	POST   /_sim/companies/{name}/employees/{id}/return      {"on"}
//	POST   /_sim/companies/{name}/employees/{id}/rehire      {"on"}
//	PUT    /_sim/companies/{name}/employees/{id}/address     model.Address
//	PUT    /_sim/companies/{name}/employees/{id}/birthdate   {"birthDate"}
//	PUT    /_sim/companies/{name}/employees/{id}/work-email  {"email"}
//	PUT    /_sim/companies/{name}/employees/{id}/personal-email {"email"}
//	PUT    /_sim/companies/{name}/employees/{id}/name        {"firstName","surname"}
//	GET    /_sim/companies/{name}/service-users              → [{"id","token","group"}]
//	POST   /_sim/companies/{name}/service-users              PermissionGroup (empty body → FullAccess) → {"id","token"}
//	POST   /_sim/companies/{name}/service-users/{id}/grant   {"permission","history"}
//	POST   /_sim/companies/{name}/service-users/{id}/revoke  {"permission"}
//	PUT    /_sim/companies/{name}/service-users/{id}/audience {"statuses":["Employed",…]}
//	POST   /_sim/companies/{name}/service-users/{id}/rotate-token → {"id","token"}
//	POST   /_sim/companies/{name}/service-users/{id}/revoke-token
//	GET|PUT /_sim/faults                                      Faults (latency in nanoseconds, or "latency":"250ms")
//	GET|PUT /_sim/limits                                      {"POST /people/search": 50, …}
//	GET    /_sim/stats ; POST /_sim/stats/reset
func (s *Server) adminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_sim/companies", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.CompanyNames())
	})
	mux.HandleFunc("POST /_sim/companies", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Name      string `json:"name"`
			Employees int    `json:"employees"`
			Seed      int64  `json:"seed"`
		}
		if !decode(w, r, &in) {
			return
		}
		if in.Name == "" || in.Employees < 0 || in.Employees > 1_000_000 {
			adminError(w, fmt.Errorf("name is required and employees must be 0…1000000: %w", ErrInvalid))
			return
		}
		writeJSON(w, http.StatusCreated, companySummary(s.AddCompany(in.Name, in.Employees, in.Seed)))
	})
	withCompany := func(h func(http.ResponseWriter, *http.Request, *Company)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			c, ok := s.Company(r.PathValue("name"))
			if !ok {
				writeJSON(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("no company named %q", r.PathValue("name"))})
				return
			}
			h(w, r, c)
		}
	}
	mux.HandleFunc("GET /_sim/companies/{name}", withCompany(func(w http.ResponseWriter, r *http.Request, c *Company) {
		writeJSON(w, http.StatusOK, companySummary(c))
	}))
	mux.HandleFunc("GET /_sim/companies/{name}/truth", withCompany(func(w http.ResponseWriter, r *http.Request, c *Company) {
		writeJSON(w, http.StatusOK, c.Truth())
	}))
	mux.HandleFunc("GET /_sim/companies/{name}/history/{table}", withCompany(func(w http.ResponseWriter, r *http.Request, c *Company) {
		t := model.HistoryTable(r.PathValue("table"))
		if t != model.Lifecycle && t != model.Work && t != model.Employment {
			adminError(w, fmt.Errorf("table %q is not lifecycle, work or employment: %w", t, ErrInvalid))
			return
		}
		writeJSON(w, http.StatusOK, c.HistoryTruth(t))
	}))
	mux.HandleFunc("GET /_sim/companies/{name}/employees", withCompany(func(w http.ResponseWriter, r *http.Request, c *Company) {
		writeJSON(w, http.StatusOK, c.EmployeeIDs())
	}))
	mux.HandleFunc("POST /_sim/companies/{name}/employees", withCompany(func(w http.ResponseWriter, r *http.Request, c *Company) {
		var h NewHire
		if !decode(w, r, &h) {
			return
		}
		id, err := c.Hire(h)
		if err != nil {
			adminError(w, err)
			return
		}
		writeJSON(w, http.StatusCreated, map[string]string{"id": id})
	}))
	mux.HandleFunc("DELETE /_sim/companies/{name}/employees/{id}", withCompany(func(w http.ResponseWriter, r *http.Request, c *Company) {
		adminResult(w, c.Delete(r.PathValue("id")))
	}))
	dated := func(f func(c *Company, id string, on model.Date) error) http.HandlerFunc {
		return withCompany(func(w http.ResponseWriter, r *http.Request, c *Company) {
			var in struct {
				On model.Date `json:"on"`
			}
			if !decodeOptional(w, r, &in) {
				return
			}
			adminResult(w, f(c, r.PathValue("id"), in.On))
		})
	}
	mux.HandleFunc("POST /_sim/companies/{name}/employees/{id}/terminate", dated((*Company).Terminate))
	mux.HandleFunc("POST /_sim/companies/{name}/employees/{id}/leave", dated((*Company).StartLeave))
	mux.HandleFunc("POST /_sim/companies/{name}/employees/{id}/return", dated((*Company).ReturnFromLeave))
	mux.HandleFunc("POST /_sim/companies/{name}/employees/{id}/rehire", dated((*Company).Rehire))
	mux.HandleFunc("PUT /_sim/companies/{name}/employees/{id}/address", withCompany(func(w http.ResponseWriter, r *http.Request, c *Company) {
		var a model.Address
		if decode(w, r, &a) {
			adminResult(w, c.SetHomeAddress(r.PathValue("id"), a))
		}
	}))
	mux.HandleFunc("PUT /_sim/companies/{name}/employees/{id}/birthdate", withCompany(func(w http.ResponseWriter, r *http.Request, c *Company) {
		var in struct {
			BirthDate model.Date `json:"birthDate"`
		}
		if decode(w, r, &in) {
			adminResult(w, c.CorrectBirthDate(r.PathValue("id"), in.BirthDate))
		}
	}))
	mux.HandleFunc("PUT /_sim/companies/{name}/employees/{id}/work-email", withCompany(func(w http.ResponseWriter, r *http.Request, c *Company) {
		var in struct {
			Email string `json:"email"`
		}
		if decode(w, r, &in) {
			adminResult(w, c.SetWorkEmail(r.PathValue("id"), in.Email))
		}
	}))
	mux.HandleFunc("PUT /_sim/companies/{name}/employees/{id}/personal-email", withCompany(func(w http.ResponseWriter, r *http.Request, c *Company) {
		var in struct {
			Email string `json:"email"`
		}
		if decode(w, r, &in) {
			adminResult(w, c.SetPersonalEmail(r.PathValue("id"), in.Email))
		}
	}))
	mux.HandleFunc("PUT /_sim/companies/{name}/employees/{id}/name", withCompany(func(w http.ResponseWriter, r *http.Request, c *Company) {
		var in struct {
			FirstName string `json:"firstName"`
			Surname   string `json:"surname"`
		}
		if decode(w, r, &in) {
			adminResult(w, c.SetName(r.PathValue("id"), in.FirstName, in.Surname))
		}
	}))
	mux.HandleFunc("GET /_sim/companies/{name}/service-users", withCompany(func(w http.ResponseWriter, r *http.Request, c *Company) {
		writeJSON(w, http.StatusOK, companySummary(c).ServiceUsers)
	}))
	mux.HandleFunc("POST /_sim/companies/{name}/service-users", withCompany(func(w http.ResponseWriter, r *http.Request, c *Company) {
		g := FullAccess()
		var in *PermissionGroup
		if !decodeOptional(w, r, &in) {
			return
		}
		if in != nil {
			g = *in
		}
		writeJSON(w, http.StatusCreated, c.AddServiceUser(g))
	}))
	mux.HandleFunc("POST /_sim/companies/{name}/service-users/{id}/grant", withCompany(func(w http.ResponseWriter, r *http.Request, c *Company) {
		var in struct {
			Permission model.Permission `json:"permission"`
			History    bool             `json:"history"`
		}
		if decode(w, r, &in) {
			adminResult(w, c.Grant(r.PathValue("id"), in.Permission, in.History))
		}
	}))
	mux.HandleFunc("POST /_sim/companies/{name}/service-users/{id}/revoke", withCompany(func(w http.ResponseWriter, r *http.Request, c *Company) {
		var in struct {
			Permission model.Permission `json:"permission"`
		}
		if decode(w, r, &in) {
			adminResult(w, c.Revoke(r.PathValue("id"), in.Permission))
		}
	}))
	mux.HandleFunc("PUT /_sim/companies/{name}/service-users/{id}/audience", withCompany(func(w http.ResponseWriter, r *http.Request, c *Company) {
		var in struct {
			Statuses []model.LifecycleStatus `json:"statuses"`
		}
		if decode(w, r, &in) {
			adminResult(w, c.SetAudience(r.PathValue("id"), in.Statuses))
		}
	}))
	mux.HandleFunc("POST /_sim/companies/{name}/service-users/{id}/rotate-token", withCompany(func(w http.ResponseWriter, r *http.Request, c *Company) {
		su, err := c.RotateToken(r.PathValue("id"))
		if err != nil {
			adminError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, su)
	}))
	mux.HandleFunc("POST /_sim/companies/{name}/service-users/{id}/revoke-token", withCompany(func(w http.ResponseWriter, r *http.Request, c *Company) {
		adminResult(w, c.RevokeToken(r.PathValue("id")))
	}))
	mux.HandleFunc("GET /_sim/faults", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, faultsJSON(s.CurrentFaults()))
	})
	mux.HandleFunc("PUT /_sim/faults", func(w http.ResponseWriter, r *http.Request) {
		var in adminFaults
		if !decode(w, r, &in) {
			return
		}
		f, err := in.faults()
		if err != nil {
			adminError(w, err)
			return
		}
		s.SetFaults(f)
		writeJSON(w, http.StatusOK, faultsJSON(f))
	})
	mux.HandleFunc("GET /_sim/limits", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.LimitsInForce())
	})
	mux.HandleFunc("PUT /_sim/limits", func(w http.ResponseWriter, r *http.Request) {
		var in map[Endpoint]int
		if !decode(w, r, &in) {
			return
		}
		for e := range in {
			if !isEndpoint(e) {
				adminError(w, fmt.Errorf("unknown endpoint %q, want one of %q: %w", e, Endpoints, ErrInvalid))
				return
			}
		}
		for e, n := range in {
			s.SetLimit(e, n)
		}
		writeJSON(w, http.StatusOK, s.LimitsInForce())
	})
	mux.HandleFunc("GET /_sim/stats", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Stats())
	})
	mux.HandleFunc("POST /_sim/stats/reset", func(w http.ResponseWriter, r *http.Request) {
		s.ResetStats()
		writeJSON(w, http.StatusOK, s.Stats())
	})
	mux.HandleFunc("/_sim/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no admin route " + r.Method + " " + r.URL.Path})
	})
	return mux
}

func isEndpoint(e Endpoint) bool {
	for _, x := range Endpoints {
		if x == e {
			return true
		}
	}
	return false
}

type serviceUserSummary struct {
	ServiceUser
	Group PermissionGroup `json:"group"`
}

type companyInfo struct {
	Name         string               `json:"name"`
	Domain       string               `json:"domain"`
	Employees    int                  `json:"employees"`
	ServiceUsers []serviceUserSummary `json:"serviceUsers"`
}

func companySummary(c *Company) companyInfo {
	info := companyInfo{Name: c.Name(), Domain: c.Domain(), Employees: len(c.EmployeeIDs()), ServiceUsers: []serviceUserSummary{}}
	for _, su := range c.ServiceUsers() {
		g, _ := c.Group(su.ID)
		info.ServiceUsers = append(info.ServiceUsers, serviceUserSummary{su, g})
	}
	return info
}

// adminFaults accepts latency as a Go duration string ("250ms") or nanoseconds.
type adminFaults struct {
	ErrorRate    float64         `json:"errorRate"`
	Latency      json.RawMessage `json:"latency"`
	TruncateRate float64         `json:"truncateRate"`
	ResetRate    float64         `json:"resetRate"`
	Seed         int64           `json:"seed"`
}

func (a adminFaults) faults() (Faults, error) {
	f := Faults{ErrorRate: a.ErrorRate, TruncateRate: a.TruncateRate, ResetRate: a.ResetRate, Seed: a.Seed}
	for _, r := range []float64{a.ErrorRate, a.TruncateRate, a.ResetRate} {
		if r < 0 || r > 1 {
			return f, fmt.Errorf("rates must be within 0…1: %w", ErrInvalid)
		}
	}
	if len(a.Latency) > 0 && string(a.Latency) != "null" {
		var s string
		var n int64
		if err := json.Unmarshal(a.Latency, &s); err == nil {
			d, err := time.ParseDuration(s)
			if err != nil {
				return f, fmt.Errorf("latency %q: %w", s, ErrInvalid)
			}
			f.Latency = d
		} else if err := json.Unmarshal(a.Latency, &n); err == nil {
			f.Latency = time.Duration(n)
		} else {
			return f, fmt.Errorf("latency must be a duration string or nanoseconds: %w", ErrInvalid)
		}
	}
	return f, nil
}

func faultsJSON(f Faults) map[string]any {
	return map[string]any{"errorRate": f.ErrorRate, "latency": f.Latency.String(), "truncateRate": f.TruncateRate, "resetRate": f.ResetRate, "seed": f.Seed}
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(v); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "malformed JSON body: " + err.Error()})
		return false
	}
	return true
}

// decodeOptional accepts an empty body as "all defaults".
func decodeOptional(w http.ResponseWriter, r *http.Request, v any) bool {
	err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(v)
	if err != nil && !errors.Is(err, io.EOF) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "malformed JSON body: " + err.Error()})
		return false
	}
	return true
}

func adminError(w http.ResponseWriter, err error) {
	code := http.StatusBadRequest
	if errors.Is(err, ErrUnknownEmployee) || errors.Is(err, ErrUnknownServiceUser) {
		code = http.StatusNotFound
	}
	writeJSON(w, code, map[string]string{"error": err.Error()})
}

func adminResult(w http.ResponseWriter, err error) {
	if err != nil {
		adminError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}
