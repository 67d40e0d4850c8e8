package simulator

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"hibobsync/model"
)

// Shares of the generated population in each life situation, so that every branch of a sync
// (welcome gifts, leavers, scheduled leavers, leave, rehires) meets real volume.
const (
	shareFutureStarter = 0.015
	shareLeaver        = 0.08
	shareFutureLeaver  = 0.01
	shareOnLeave       = 0.02
	shareRehire        = 0.01
)

type kind int

const (
	kindEmployed kind = iota
	kindFutureStarter
	kindLeaver
	kindFutureLeaver
	kindOnLeave
	kindRehire
)

// generator builds a company's employees. Everything comes from one PCG stream seeded from the
// seed, in a fixed order, so the same (employees, seed, today) always gives the same data.
type generator struct {
	r       *rand.Rand
	today   model.Date
	domain  string
	lists   *lists
	cs      map[string]country
	cults   []culture
	emails  map[string]bool
	suffix  map[string]int
	ids     map[string]bool
	changer []string // IDs of people-team members who "made" the history changes
}

func newRand(seed int64, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), stream^0x9e3779b97f4a7c15))
}

func generate(n int, seed int64, today model.Date, domain string) ([]*person, *lists, map[string]country) {
	r := newRand(seed, 1)
	cs := countries()
	g := &generator{r: r, today: today, domain: domain, cs: cs, cults: cultures(),
		emails: make(map[string]bool, n), suffix: map[string]int{}, ids: make(map[string]bool, n)}
	g.lists = newLists(r, cs)

	gen := make([]*person, n)
	kinds := make([]kind, n)
	for i := range gen {
		gen[i] = &person{id: g.newID()}
	}
	for i := 0; i < min(n, 5); i++ {
		g.changer = append(g.changer, gen[i].id)
	}
	for i, p := range gen {
		kinds[i] = g.fill(p, i)
	}
	g.assignManagers(gen, kinds)
	people := slices.Clone(gen)
	slices.SortFunc(people, func(a, b *person) int { return strings.Compare(a.id, b.id) })
	return people, g.lists, cs
}

// newID is a 19-digit numeric string like HiBob's ("3332883884017713938").
func (g *generator) newID() string {
	for {
		id := fmt.Sprint(3_000_000_000_000_000_000 + g.r.Int64N(999_999_999_999_999_999))
		if !g.ids[id] {
			g.ids[id] = true
			return id
		}
	}
}

func (g *generator) pickCulture() culture {
	total := 0
	for _, c := range g.cults {
		total += c.weight
	}
	n := g.r.IntN(total)
	for _, c := range g.cults {
		if n < c.weight {
			return c
		}
		n -= c.weight
	}
	return g.cults[0]
}

func (g *generator) pickWeighted(ws []weighted) string {
	total := 0
	for _, w := range ws {
		total += w.weight
	}
	n := g.r.IntN(total)
	for _, w := range ws {
		if n < w.weight {
			return w.name
		}
		n -= w.weight
	}
	return ws[0].name
}

// uniqueWorkEmail remembers the last suffix per name, so that 100,000 people sharing a few
// thousand names do not probe jane.smith, jane.smith2, … from the start every time.
func (g *generator) uniqueWorkEmail(first, surname string) string {
	local := emailLocal(first, surname)
	for {
		n := g.suffix[local] + 1
		g.suffix[local] = n
		e := local + "@" + g.domain
		if n > 1 {
			e = local + strconv.Itoa(n) + "@" + g.domain
		}
		if !g.emails[e] {
			g.emails[e] = true
			return e
		}
	}
}

// uniqueEmail disambiguates like people do: jane.smith, jane.smith2, jane.smith3…
func uniqueEmail(local, domain string, taken func(string) bool, claim func(string)) string {
	for i := 1; ; i++ {
		e := local + "@" + domain
		if i > 1 {
			e = fmt.Sprintf("%s%d@%s", local, i, domain)
		}
		if !taken(strings.ToLower(e)) {
			claim(strings.ToLower(e))
			return e
		}
	}
}

// personalDomains are reserved (RFC 2606/6761) on purpose: a demo must never mail a real inbox.
func personalDomains() []string {
	return []string{"mail.example", "example.net", "example.org", "inbox.test", "post.example"}
}

func (g *generator) birthDate() model.Date {
	age := 21 + g.r.IntN(45)
	y := g.today.Year - age
	if g.r.IntN(150) == 0 { // leap-day birthdays exist and break naive date code
		for y%4 != 0 || (y%100 == 0 && y%400 != 0) {
			y--
		}
		return model.Date{Year: y, Month: time.February, Day: 29}
	}
	return model.DateOf(time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, g.r.IntN(365)))
}

func (g *generator) daysAgo(lo, hi int) model.Date {
	if hi < lo {
		hi = lo
	}
	return g.today.AddDays(-(lo + g.r.IntN(hi-lo+1)))
}

func daysBetween(a, b model.Date) int { return int(b.Time().Sub(a.Time()).Hours() / 24) }

func (g *generator) between(a, b model.Date) model.Date {
	d := daysBetween(a, b)
	if d <= 0 {
		return a
	}
	return a.AddDays(g.r.IntN(d + 1))
}

func (g *generator) meta(p *person, eff model.Date) rowMeta {
	m := rowMeta{eff: eff, changedByID: pick(g.r, g.changer)}
	if eff.After(g.today) {
		m.modified = g.today.AddDays(-g.r.IntN(20))
	} else {
		m.modified = eff.AddDays(-g.r.IntN(14))
	}
	if g.r.IntN(10) < 3 {
		m.created = m.modified
	}
	if m.changedByID == p.id {
		m.changedByID = ""
	}
	return m
}

func (g *generator) fill(p *person, i int) kind {
	r := g.r
	cu := g.pickCulture()
	p.firstName, p.surname = pick(r, cu.first), pick(r, cu.surnames)
	p.workEmail = g.uniqueWorkEmail(p.firstName, p.surname)
	if r.IntN(100) < 97 {
		local := emailLocal(p.firstName, p.surname)
		switch r.IntN(3) {
		case 1:
			local = strings.ReplaceAll(local, ".", "") + fmt.Sprint(1960+r.IntN(45))
		case 2:
			local = local[:1] + local[strings.Index(local, "."):]
		}
		p.personalEmail = local + "@" + pick(r, personalDomains())
	}
	cn := g.cs[g.pickWeighted(cu.countries)]
	if r.IntN(100) < 98 {
		p.mobilePhone = cn.fictive + digits(r, 2)
	}
	if r.IntN(100) < 98 {
		p.home = randomAddress(r, cn)
	}
	if cn.name == "United States" {
		p.ssn = "000-" + digits(r, 2) + "-" + digits(r, 4) // area 000 is never issued: unmistakably fake
	}
	p.familyStatus = pick(r, g.lists.familyStatus).id
	p.birthDate = g.birthDate()

	k := kindEmployed
	switch x := r.Float64(); {
	case i == 0: // the CEO, root of the reporting tree, stays employed
	case x < shareFutureStarter:
		k = kindFutureStarter
	case x < shareFutureStarter+shareLeaver:
		k = kindLeaver
	case x < shareFutureStarter+shareLeaver+shareFutureLeaver:
		k = kindFutureLeaver
	case x < shareFutureStarter+shareLeaver+shareFutureLeaver+shareOnLeave:
		k = kindOnLeave
	case x < shareFutureStarter+shareLeaver+shareFutureLeaver+shareOnLeave+shareRehire:
		k = kindRehire
	}
	// Nobody starts before 18; tenure spans up to ~15 years.
	maxAgo := min(15*365, daysBetween(p.birthDate, g.today)-18*366)
	dept, title, site := g.job(cn.name, i)
	var start model.Date
	addLC := func(eff model.Date, st model.LifecycleStatus) *lifecycleRow {
		p.lifecycle = append(p.lifecycle, lifecycleRow{rowMeta: g.meta(p, eff), status: st})
		return &p.lifecycle[len(p.lifecycle)-1]
	}
	terminate := func(on model.Date) {
		row := addLC(on, model.StatusTerminated)
		reason := pick(r, g.lists.termReason)
		row.termReason = reason.id
		row.reason = reason.label
		row.reasonType = g.lists.reasonType[0].id
		if reason.label == "Dismissal" || reason.label == "Redundancy" {
			row.reasonType = g.lists.reasonType[1].id
		}
		row.lastDayOfWork = on.AddDays(-r.IntN(3))
	}
	switch k {
	case kindFutureStarter:
		start = g.today.AddDays(1 + r.IntN(60))
		addLC(g.daysAgo(0, 30), model.StatusHired)
		addLC(start, model.StatusEmployed)
		p.originalStartDate = start
	case kindRehire:
		first := g.daysAgo(3*365, max(3*365, maxAgo))
		left := g.between(first.AddDays(365), g.today.AddDays(-90))
		start = g.between(left.AddDays(30), g.today.AddDays(-1))
		addLC(first, model.StatusEmployed)
		terminate(left)
		row := addLC(start, model.StatusEmployed)
		row.reason = "Rehire"
		p.originalStartDate = first
	default:
		start = g.daysAgo(1, max(1, maxAgo))
		if k == kindLeaver || k == kindOnLeave {
			start = g.daysAgo(60, max(60, maxAgo))
		}
		if r.IntN(10) < 3 {
			addLC(start.AddDays(-7-r.IntN(30)), model.StatusHired)
		}
		addLC(start, model.StatusEmployed)
		p.originalStartDate = start
		switch k {
		case kindLeaver:
			terminate(g.between(start.AddDays(30), g.today.AddDays(-1)))
		case kindFutureLeaver:
			terminate(g.today.AddDays(1 + r.IntN(60)))
		case kindOnLeave:
			row := addLC(g.between(start.AddDays(30), g.today), model.StatusLeave)
			row.leaveReason = pick(r, []string{"Parental leave", "Sabbatical", "Medical leave", "Unpaid leave"})
			row.reason = row.leaveReason
			if r.IntN(2) == 0 {
				addLC(g.today.AddDays(1+r.IntN(90)), model.StatusEmployed).reason = "Return from leave"
			}
		}
	}
	p.startDate = start
	first := p.lifecycle[0].eff
	p.created = first.AddDays(-r.IntN(30)).Time().Add(time.Duration(r.Int64N(int64(24 * time.Hour))).Truncate(time.Microsecond))

	g.workHistory(p, k, dept, title, site)
	g.employmentHistory(p, k)
	p.sortRows()
	assignEntryIDs(p)
	return k
}

// assignEntryIDs numbers generated rows in effective order, as if HR had entered them in turn.
func assignEntryIDs(p *person) {
	for i := range p.lifecycle {
		p.lifecycle[i].id = p.newEntryID(p.lifecycle[i].eff)
	}
	for i := range p.work {
		p.work[i].id = p.newEntryID(p.work[i].eff)
	}
	for i := range p.employment {
		p.employment[i].id = p.newEntryID(p.employment[i].eff)
	}
}

// job picks a department, a title in it, and a site, preferring an office in the home country.
func (g *generator) job(homeCountry string, i int) (dept, title, site string) {
	l := g.lists
	d := l.departments[0]
	if i >= 3 {
		d = l.departments[1+g.r.IntN(len(l.departments)-1)]
	}
	t := l.titles[d.id][0]
	if i >= 3 {
		t = pick(g.r, l.titles[d.id])
	}
	var local []siteItem
	for _, s := range l.sites {
		if s.addr.Country.Value == homeCountry {
			local = append(local, s)
		}
	}
	s := pick(g.r, l.sites)
	if len(local) > 0 && g.r.IntN(10) < 9 {
		s = pick(g.r, local)
	}
	return d.id, t.id, s.id
}

// lastWorkDay is the last day a person can have work changes: the day before a past
// termination, or today.
func lastWorkDay(p *person, today model.Date) model.Date {
	end := today
	for _, r := range p.lifecycle {
		if r.status == model.StatusTerminated && !r.eff.After(today) {
			end = r.eff.AddDays(-1)
		}
	}
	return end
}

func (g *generator) workHistory(p *person, k kind, dept, title, site string) {
	r := g.r
	p.work = append(p.work, workRow{rowMeta: g.meta(p, p.originalStartDate), department: dept, title: title, site: site, changeType: "New Employee"})
	end := lastWorkDay(p, g.today)
	if k == kindRehire {
		end = p.lifecycle[1].eff.AddDays(-1)
	}
	if k != kindFutureStarter && daysBetween(p.originalStartDate, end) > 400 {
		for j := r.IntN(3); j > 0; j-- {
			g.workChange(p, g.between(p.originalStartDate.AddDays(180), end))
		}
	}
	if k == kindRehire {
		last := p.work[len(p.work)-1]
		row := workRow{rowMeta: g.meta(p, p.startDate), department: last.department, title: last.title, site: last.site, changeType: "Rehire"}
		p.work = append(p.work, row)
	}
	if (k == kindEmployed || k == kindFutureLeaver) && r.IntN(100) == 0 {
		g.workChange(p, g.today.AddDays(1+r.IntN(60))) // a scheduled promotion, not current yet
	}
	slices.SortStableFunc(p.work, func(a, b workRow) int { return dateKey(a.eff) - dateKey(b.eff) })
	// Two changes on one day would be a duplicate effective date, which HiBob refuses.
	p.work = slices.CompactFunc(p.work, func(a, b workRow) bool { return a.eff == b.eff })
}

func (g *generator) workChange(p *person, on model.Date) {
	l := g.lists
	prev := p.work[len(p.work)-1]
	row := workRow{rowMeta: g.meta(p, on), department: prev.department, title: prev.title, site: prev.site}
	switch g.r.IntN(3) {
	case 0:
		row.changeType = "Promotion"
		row.title = pick(g.r, l.titles[row.department]).id
	case 1:
		row.changeType = "Transfer"
		row.department = l.departments[1+g.r.IntN(len(l.departments)-1)].id
		row.title = pick(g.r, l.titles[row.department]).id
	default:
		row.changeType = "Relocation"
		row.site = pick(g.r, l.sites).id
	}
	p.work = append(p.work, row)
}

func (g *generator) employmentHistory(p *person, k kind) {
	r := g.r
	l := g.lists
	typ, contract, hours := l.empType[0], l.contract[0], 40.0
	switch x := r.IntN(100); {
	case x < 10:
		typ, hours = l.empType[1], float64(16+r.IntN(15))
	case x < 17:
		typ, contract = l.empType[2], l.contract[2]
	case x < 20:
		typ, contract = l.empType[3], l.contract[1]
	}
	add := func(on model.Date, t, c listItem, h float64) {
		p.employment = append(p.employment, employmentRow{rowMeta: g.meta(p, on), typ: t.id, contract: c.id, weeklyHours: h, fte: float64(int(h/40*100)) / 100})
	}
	add(p.originalStartDate, typ, contract, hours)
	end := lastWorkDay(p, g.today)
	if k == kindRehire {
		add(p.startDate, l.empType[0], l.contract[0], 40)
	} else if typ != l.empType[0] && k != kindFutureStarter && daysBetween(p.originalStartDate, end) > 60 && r.IntN(3) == 0 {
		add(g.between(p.originalStartDate.AddDays(30), end), l.empType[0], l.contract[0], 40)
	}
	slices.SortStableFunc(p.employment, func(a, b employmentRow) int { return dateKey(a.eff) - dateKey(b.eff) })
	p.employment = slices.CompactFunc(p.employment, func(a, b employmentRow) bool { return a.eff == b.eff })
}

// assignManagers builds the reporting tree: each person reports to someone generated earlier
// (so there are no cycles), skipping leavers and future starters, as HR would reassign them.
func (g *generator) assignManagers(gen []*person, kinds []kind) {
	ok := func(i int) bool {
		return kinds[i] == kindEmployed || kinds[i] == kindOnLeave || kinds[i] == kindFutureLeaver
	}
	parent := make([]int, len(gen))
	parent[0] = -1
	for i := 1; i < len(gen); i++ {
		m := g.r.IntN(max(1, i/4))
		for m > 0 && !ok(m) {
			m = parent[m]
		}
		parent[i] = m
		for j := range gen[i].work {
			gen[i].work[j].managerID = gen[m].id
		}
	}
}
