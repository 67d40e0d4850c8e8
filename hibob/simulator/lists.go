package simulator

import (
	"fmt"
	"math/rand/v2"

	"hibobsync/model"
)

// Company-defined lists (titles, departments, sites, …) answer with numeric item IDs in machine
// format and their labels only through humanReadable (§2.5). System lists (status,
// lifecycleStatus, countries) answer with words.

type listItem struct{ id, label string }

type siteItem struct {
	listItem
	num  int64 // work.siteId is a number (§2.3 example "siteId": 2510068)
	addr model.Address
}

// lists are a company's named lists. They are built once with the company and never change, so
// requests read them without locking.
type lists struct {
	departments  []listItem
	titles       map[string][]listItem // department ID → titles in it
	sites        []siteItem
	familyStatus []listItem
	empType      []listItem
	contract     []listItem
	termReason   []listItem
	reasonType   []listItem // lifecycleReasonType: voluntary / involuntary
	label        map[string]string
	byLabel      map[string]string // "listId/label" → item ID
	site         map[string]*siteItem
}

func departmentTitles() []struct {
	dept   string
	titles []string
} {
	return []struct {
		dept   string
		titles []string
	}{
		{"Executive", []string{"Chief Executive Officer", "Chief Operating Officer", "Chief Technology Officer"}},
		{"Engineering", []string{"Software Engineer", "Senior Software Engineer", "Staff Engineer", "Engineering Manager", "QA Engineer", "DevOps Engineer"}},
		{"Product", []string{"Product Manager", "Senior Product Manager", "Director of Product"}},
		{"Design", []string{"Product Designer", "UX Researcher", "Design Lead"}},
		{"Sales", []string{"Account Executive", "Sales Development Representative", "Sales Manager", "VP Sales"}},
		{"Marketing", []string{"Marketing Manager", "Content Strategist", "Growth Marketer"}},
		{"Customer Success", []string{"Customer Success Manager", "Support Specialist", "Head of Support"}},
		{"Finance", []string{"Accountant", "Financial Analyst", "Controller"}},
		{"People", []string{"HR Business Partner", "Recruiter", "People Operations Specialist"}},
		{"Legal", []string{"Legal Counsel", "Paralegal"}},
		{"Operations", []string{"Operations Manager", "Office Manager", "IT Support Specialist"}},
		{"Data", []string{"Data Analyst", "Data Scientist", "Data Engineer"}},
	}
}

func newLists(r *rand.Rand, cs map[string]country) *lists {
	l := &lists{titles: map[string][]listItem{}, label: map[string]string{}, byLabel: map[string]string{}, site: map[string]*siteItem{}}
	used := map[string]bool{}
	item := func(listID, label string, width int) listItem {
		for {
			lo := 1
			for i := 1; i < width; i++ {
				lo *= 10
			}
			id := fmt.Sprint(lo + r.IntN(9*lo))
			if !used[id] {
				used[id] = true
				l.label[id] = label
				l.byLabel[listID+"/"+label] = id
				return listItem{id, label}
			}
		}
	}
	for _, d := range departmentTitles() {
		dep := item("department", d.dept, 9)
		l.departments = append(l.departments, dep)
		for _, t := range d.titles {
			l.titles[dep.id] = append(l.titles[dep.id], item("title", t, 9))
		}
	}
	for _, s := range siteSpecs() {
		it := item("site", s.label, 7)
		var n int64
		fmt.Sscan(it.id, &n)
		l.sites = append(l.sites, siteItem{listItem: it, num: n, addr: randomAddress(r, cs[s.country])})
	}
	for i := range l.sites {
		l.site[l.sites[i].id] = &l.sites[i]
	}
	for _, f := range []string{"Single", "Married", "Domestic partnership", "Divorced", "Widowed"} {
		l.familyStatus = append(l.familyStatus, item("familystatus", f, 9))
	}
	for _, f := range []string{"Full-Time", "Part-Time", "Contractor", "Intern"} {
		l.empType = append(l.empType, item("employmentType", f, 9))
	}
	for _, f := range []string{"Permanent", "Fixed term", "Freelance"} {
		l.contract = append(l.contract, item("contract", f, 9))
	}
	for _, f := range []string{"Resignation", "Dismissal", "Redundancy", "End of contract", "Retirement", "Relocation"} {
		l.termReason = append(l.termReason, item("terminationreason", f, 9))
	}
	for _, f := range []string{"Voluntary", "Involuntary"} {
		l.reasonType = append(l.reasonType, item("lifecycleReasonType", f, 9))
	}
	return l
}

// resolve accepts either an item ID or a label of the named list, so admin callers can write
// "Engineering" instead of an opaque ID.
func (l *lists) resolve(listID, v string) (string, bool) {
	if v == "" {
		return "", true
	}
	if id, ok := l.byLabel[listID+"/"+v]; ok {
		return id, true
	}
	if _, ok := l.label[v]; ok {
		return v, true
	}
	return "", false
}

func (l *lists) value(id string) model.ListValue {
	if id == "" {
		return model.ListValue{}
	}
	return model.ListValue{Value: id, Label: l.label[id]}
}

// lifecycleMachine is internal.lifecycleStatus in machine format; its label is the status itself.
func lifecycleMachine(s model.LifecycleStatus) string {
	switch s {
	case model.StatusHired:
		return "hired"
	case model.StatusEmployed:
		return "employed"
	case model.StatusLeave:
		return "leave"
	case model.StatusTerminated:
		return "terminated"
	}
	return ""
}
