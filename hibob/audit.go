package hibob

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"hibobsync/model"
)

// PermissionState is what the audit could establish about one of the ten permissions.
type PermissionState string

const (
	Granted       PermissionState = "granted"
	Missing       PermissionState = "missing"
	NotVerifiable PermissionState = "not_verifiable"
)

// PermissionCheck is the audit's finding for one permission, with what the customer must enable
// when it is missing, in the setup guide's words.
type PermissionCheck struct {
	Permission model.Permission `json:"permission"`
	State      PermissionState  `json:"state"`
	Detail     string           `json:"detail"`
	Fix        []string         `json:"fix,omitempty"`
}

// Coverage counts how many of the sampled employees carry each piece of data gifting needs.
type Coverage struct {
	Sampled       int `json:"sampled"`
	Birthday      int `json:"birthday"`
	StartDate     int `json:"startDate"`
	HomeAddress   int `json:"homeAddress"`
	WorkEmail     int `json:"workEmail"`
	PersonalEmail int `json:"personalEmail"`
}

// Audit is what support needs to judge a connection before approving it: the ten permissions,
// whose data the permission group's audience lets through, and how complete the data is.
// It never holds employee data, only counts, so it can travel through workflow history.
type Audit struct {
	Permissions []PermissionCheck `json:"permissions"`
	// Employees counts everyone visible with showInactive; Inactive those whose access is off
	// (leavers, some people on leave).
	Employees int `json:"employees"`
	Inactive  int `json:"inactive"`
	// ByLifecycle counts visible employees per lifecycle status label, when Lifecycle is visible.
	ByLifecycle     map[string]int `json:"byLifecycle,omitempty"`
	FutureStarters  int            `json:"futureStarters"`
	AudienceWarning []string       `json:"audienceWarnings,omitempty"`
	Coverage        Coverage       `json:"coverage"`
}

// Passes reports whether the connection can go to review: nothing the API can check is missing.
func (a Audit) Passes() bool { return len(a.MissingPermissions()) == 0 }

// MissingPermissions lists the permissions found missing.
func (a Audit) MissingPermissions() []model.Permission {
	var missing []model.Permission
	for _, p := range a.Permissions {
		if p.State == Missing {
			missing = append(missing, p.Permission)
		}
	}
	return missing
}

// AuditOptions tunes how much the audit reads.
type AuditOptions struct {
	// Sample is how many employees to fetch in full for the permission probe and coverage;
	// 0 fetches everyone (one people search per 200 employees).
	Sample int
	// Today decides who is a future starter; zero means no future-starter count.
	Today model.Date
	// OnEmployee, when set, receives every employee fetched in full.
	OnEmployee func(model.Employee) error
}

// categoryOf maps each permission that guards ordinary employee fields to the HiBob category
// (metadata categoryId) it opens. Email, History and Identification are handled on their own.
var categoryOf = map[model.Permission]string{
	model.PermAddress:         "address",
	model.PermEmployment:      "employment",
	model.PermHome:            "home",
	model.PermLifecycle:       "lifecycle",
	model.PermPersonal:        "personal",
	model.PermPersonalContact: "personalContact",
	model.PermWork:            "work",
}

// tableOf is the bulk history table whose rows show the permission's "section histories".
var tableOf = map[model.Permission]model.HistoryTable{
	model.PermLifecycle:  model.Lifecycle,
	model.PermWork:       model.Work,
	model.PermEmployment: model.Employment,
}

// probeFields are read only to see whether their category is visible; their values are dropped.
var probeFields = []string{"home.familyStatus", "payroll.employment.type"}

// AuditConnection checks what the client's service user can read. It returns ErrUnauthorized
// when the credentials fail, before anything else is tried, so a bad token costs one request.
func AuditConnection(ctx context.Context, c *Client, opts AuditOptions) (Audit, error) {
	fields, err := c.Fields(ctx)
	if err != nil {
		return Audit{}, fmt.Errorf("read field metadata: %w", err)
	}
	category := make(map[string]string, len(fields))
	for _, f := range fields {
		category[f.ID] = f.CategoryID
	}

	var a Audit
	ids, err := a.countAudience(ctx, c, opts.Today)
	if err != nil {
		return Audit{}, err
	}

	requested := append(slices.Clone(GiftingFields), probeFields...)
	visible, err := a.sampleEmployees(ctx, c, sample(ids, opts.Sample), requested, opts.OnEmployee)
	if err != nil {
		return Audit{}, err
	}

	rows, err := historyRows(ctx, c, sample(ids, MaxBatch))
	if err != nil {
		return Audit{}, err
	}

	for _, p := range model.Permissions {
		a.Permissions = append(a.Permissions, judge(p, a.Coverage.Sampled, visible, category, rows))
	}
	return a, nil
}

// countAudience lists every visible employee with the few fields that tell who they are in the
// lifecycle, in one search, and warns when the audience seems to hide leavers or starters.
func (a *Audit) countAudience(ctx context.Context, c *Client, today model.Date) ([]string, error) {
	lifecycleFields := []string{"root.id", "internal.status", "internal.lifecycleStatus", "work.startDate"}
	raws, err := c.Search(ctx, SearchRequest{Fields: lifecycleFields, ShowInactive: true, HumanReadable: "APPEND"})
	if err != nil {
		return nil, fmt.Errorf("list employees: %w", err)
	}
	ids := make([]string, 0, len(raws))
	lifecycleVisible := false
	for i, raw := range raws {
		e, err := Normalize(raw, lifecycleFields)
		if err != nil {
			return nil, fmt.Errorf("list employees: employee %d of %d: %w", i+1, len(raws), err)
		}
		ids = append(ids, e.ID)
		if !slices.Contains(e.Hidden, "internal.lifecycleStatus") {
			lifecycleVisible = true
			if a.ByLifecycle == nil {
				a.ByLifecycle = map[string]int{}
			}
			a.ByLifecycle[lifecycleLabel(e.LifecycleStatus)]++
		}
		if strings.EqualFold(e.AccessStatus.Value, "inactive") {
			a.Inactive++
		}
		if !today.IsZero() && e.StartDate.After(today) {
			a.FutureStarters++
		}
	}
	a.Employees = len(ids)
	slices.Sort(ids)

	if !lifecycleVisible {
		// Without Lifecycle the statuses are hidden; showInactive against the default tells
		// whether inactive people come through at all.
		active, err := c.Search(ctx, SearchRequest{Fields: []string{"root.id"}})
		if err != nil {
			return nil, fmt.Errorf("count active employees: %w", err)
		}
		a.Inactive = a.Employees - len(active)
	}

	if a.Employees == 0 {
		a.AudienceWarning = append(a.AudienceWarning,
			"no employees are visible: set the permission group's \"Access data for\" to include lifecycle statuses Hired, Employed, Leave and Terminated")
		return ids, nil
	}
	// With Lifecycle visible the statuses say it exactly; without it, inactive access is the
	// best sign of leavers (it also counts people on leave and future starters).
	noLeavers := a.Inactive == 0
	if lifecycleVisible {
		noLeavers = a.ByLifecycle[string(model.StatusTerminated)] == 0
	}
	if noLeavers {
		a.AudienceWarning = append(a.AudienceWarning,
			"no leavers are visible: the permission group's \"Access data for\" seems to exclude lifecycle status Terminated; add it so leavers' pending gifts can be cancelled")
	}
	if lifecycleVisible && a.ByLifecycle[string(model.StatusHired)] == 0 && a.FutureStarters == 0 {
		a.AudienceWarning = append(a.AudienceWarning,
			"no future starters are visible: the permission group's \"Access data for\" seems to exclude lifecycle status Hired; add it so new hires get welcome gifts")
	}
	return ids, nil
}

// lifecycleLabel names a lifecycle status as the audience settings do, or as HiBob gave it.
func lifecycleLabel(v model.ListValue) string {
	if s := model.ClassifyLifecycle(v.Value); s != "" {
		return string(s)
	}
	if v.String() == "" {
		return "(none)"
	}
	return v.String()
}

// sampleEmployees fetches the sample in full and returns which requested fields at least one
// sampled employee showed.
func (a *Audit) sampleEmployees(ctx context.Context, c *Client, ids, requested []string, each func(model.Employee) error) (map[string]bool, error) {
	visible := map[string]bool{}
	batches := Batches(ids, MaxBatch)
	for i, batch := range batches {
		employees, err := c.fetchEmployees(ctx, batch, requested)
		if err != nil {
			return nil, fmt.Errorf("fetch employees, batch %d of %d: %w", i+1, len(batches), err)
		}
		for _, e := range employees.Employees {
			for _, f := range requested {
				if !slices.Contains(e.Hidden, f) {
					visible[f] = true
				}
			}
			a.Coverage.add(e)
			if each != nil {
				if err := each(e); err != nil {
					return nil, err
				}
			}
		}
	}
	return visible, nil
}

func (c *Coverage) add(e model.Employee) {
	c.Sampled++
	count := func(n *int, ok bool) {
		if ok {
			*n++
		}
	}
	count(&c.Birthday, !e.Birthday.IsZero())
	count(&c.StartDate, !e.StartDate.IsZero())
	count(&c.HomeAddress, e.HomeAddress.Line1 != "" && e.HomeAddress.City != "")
	count(&c.WorkEmail, e.WorkEmail != "")
	count(&c.PersonalEmail, e.PersonalEmail != "")
}

// tableRows is what one page of a history table showed for the sampled employees.
type tableRows struct {
	forbidden bool // 403: the table's sections are not viewable at all
	employees int  // employees with at least one row
	multiRow  int  // employees with more than one row: only "section histories" shows those
}

func historyRows(ctx context.Context, c *Client, ids []string) (map[model.HistoryTable]tableRows, error) {
	rows := map[model.HistoryTable]tableRows{}
	if len(ids) == 0 {
		return rows, nil
	}
	for _, t := range model.HistoryTables {
		page, err := c.HistoryPage(ctx, t, HistoryQuery{Limit: MaxBatch, EmployeeIDs: ids})
		if errors.Is(err, ErrForbidden) {
			rows[t] = tableRows{forbidden: true}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s history: %w", t, err)
		}
		perEmployee := map[string]int{}
		for _, e := range page.Entries {
			perEmployee[e.EmployeeID]++
		}
		r := tableRows{employees: len(perEmployee)}
		for _, n := range perEmployee {
			if n > 1 {
				r.multiRow++
			}
		}
		rows[t] = r
	}
	return rows, nil
}

// judge decides one permission from what the probes saw.
func judge(p model.Permission, sampled int, visible map[string]bool, category map[string]string, rows map[model.HistoryTable]tableRows) PermissionCheck {
	check := PermissionCheck{Permission: p, State: Granted}
	missing := func(detail string) PermissionCheck {
		return PermissionCheck{Permission: p, State: Missing, Detail: detail, Fix: p.Fix()}
	}
	unknown := func(detail string) PermissionCheck {
		return PermissionCheck{Permission: p, State: NotVerifiable, Detail: detail}
	}

	switch p {
	case model.PermHistory:
		return unknown("HiBob's API has no endpoint that shows profile changes history; confirm it in the permission group")
	case model.PermIdentification:
		return unknown("not checked: hibobsync never reads identification numbers; confirm it in the permission group")
	}
	if sampled == 0 {
		return unknown("no employees are visible, so field access cannot be tested; fix the audience first")
	}

	if p == model.PermEmail {
		if !visible["root.email"] {
			return missing("work email addresses (root.email) are not returned")
		}
		check.Detail = "work email addresses are returned"
		return check
	}

	cat := categoryOf[p]
	var seen, asked []string
	for f, c := range category {
		if c != cat {
			continue
		}
		if _, ok := visible[f]; ok {
			seen = append(seen, f)
		}
	}
	for _, f := range append(slices.Clone(GiftingFields), probeFields...) {
		if category[f] == cat {
			asked = append(asked, f)
		}
	}
	if len(asked) == 0 {
		return unknown(fmt.Sprintf("HiBob's field metadata lists no field of category %q to test", cat))
	}
	if len(seen) == 0 {
		return missing(fmt.Sprintf("none of the %s fields are returned (%s)", cat, strings.Join(sorted(asked), ", ")))
	}
	slices.Sort(seen)
	check.Detail = fmt.Sprintf("%s fields are returned", cat)

	t, hasTable := tableOf[p]
	switch {
	case p == model.PermAddress:
		check.Detail += "; section histories cannot be verified through the API (HiBob has no documented address table read)"
	case hasTable:
		r := rows[t]
		switch {
		case r.forbidden:
			return missing(fmt.Sprintf("the %s history table answers 403 (no permission)", t))
		case r.multiRow > 0:
			check.Detail += fmt.Sprintf("; %s history shows past rows", t)
		case r.employees > 0:
			return PermissionCheck{Permission: p, State: NotVerifiable, Fix: p.Fix(),
				Detail: fmt.Sprintf("%s; the %s history table shows only one row per sampled employee: either \"section histories\" is not granted or nobody has history yet", check.Detail, t)}
		}
	}
	return check
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// sample picks up to n IDs spread evenly over the sorted list, so the sample is the same on
// every run and covers old and new employees alike; n == 0 takes all.
func sample(ids []string, n int) []string {
	if n <= 0 || n >= len(ids) {
		return ids
	}
	out := make([]string, 0, n)
	for i := range n {
		out = append(out, ids[i*len(ids)/n])
	}
	return out
}
