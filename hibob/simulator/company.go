package simulator

import (
	"crypto/subtle"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"

	"hibobsync/model"
)

// Company is one HiBob tenant: its employees, named lists and service users.
type Company struct {
	srv       *Server
	name      string
	domain    string
	lists     *lists
	countries map[string]country

	mu sync.RWMutex
	// people is sorted by ID and copied on write, so a request may keep the slice it read
	// under the lock and stream it afterwards.
	people  []*person
	byID    map[string]*person
	byEmail map[string]*person // lower-cased work email
	users   map[string]*serviceUser
	order   []string // service user IDs in creation order
	rng     *rand.Rand
}

type serviceUser struct {
	ServiceUser
	group   PermissionGroup
	revoked bool
}

// Name is the company's name as given to AddCompany.
func (c *Company) Name() string { return c.name }

// Domain is the e-mail domain of the company's work addresses.
func (c *Company) Domain() string { return c.domain }

func companyDomain(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(asciiFold.Replace(strings.ToLower(name))) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		b.WriteString("company")
	}
	// A reserved domain (RFC 2606): demos must never send mail to real mailboxes.
	return b.String() + ".example.com"
}

func nameHash(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return h.Sum64()
}

// snapshot is what a request reads: an immutable view of the employees as of one moment.
type snapshot struct {
	people []*person
	lists  *lists
	today  model.Date
}

func (s *snapshot) lookup(id string) *person {
	i, ok := slices.BinarySearchFunc(s.people, id, func(p *person, id string) int { return strings.Compare(p.id, id) })
	if !ok {
		return nil
	}
	return s.people[i]
}

func (c *Company) snapshot() *snapshot {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return &snapshot{people: c.people, lists: c.lists, today: c.srv.today()}
}

// newServiceUserID keeps the (UNCONFIRMED) ID format in one place: "SERVICE-" and 5–6 digits.
func newServiceUserID(r *rand.Rand) string {
	if r.IntN(2) == 0 {
		return fmt.Sprintf("SERVICE-%05d", 10000+r.IntN(90000))
	}
	return fmt.Sprintf("SERVICE-%06d", 100000+r.IntN(900000))
}

const tokenAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func newToken(r *rand.Rand) string {
	b := make([]byte, 48)
	for i := range b {
		b[i] = tokenAlphabet[r.IntN(len(tokenAlphabet))]
	}
	return string(b)
}

// AddServiceUser creates a service user in a permission group. IDs and tokens are deterministic
// from the company's seed and the order of calls.
func (c *Company) AddServiceUser(g PermissionGroup) ServiceUser {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		id := newServiceUserID(c.rng)
		if !c.srv.claimServiceUser(id, c) {
			continue
		}
		su := &serviceUser{ServiceUser: ServiceUser{ID: id, Token: newToken(c.rng)}, group: g.clone()}
		c.users[id] = su
		c.order = append(c.order, id)
		return su.ServiceUser
	}
}

// ServiceUsers are the company's service users in creation order, revoked ones included.
func (c *Company) ServiceUsers() []ServiceUser {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]ServiceUser, 0, len(c.order))
	for _, id := range c.order {
		out = append(out, c.users[id].ServiceUser)
	}
	return out
}

// Group is a copy of a service user's permission group.
func (c *Company) Group(serviceUserID string) (PermissionGroup, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	su, ok := c.users[serviceUserID]
	if !ok {
		return PermissionGroup{}, fmt.Errorf("service user %q: %w", serviceUserID, ErrUnknownServiceUser)
	}
	return su.group.clone(), nil
}

func (c *Company) withUser(id string, f func(*serviceUser) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	su, ok := c.users[id]
	if !ok {
		return fmt.Errorf("service user %q: %w", id, ErrUnknownServiceUser)
	}
	return f(su)
}

func knownPermission(p model.Permission) error {
	if !slices.Contains(model.Permissions, p) {
		return fmt.Errorf("permission %q is not one of %v: %w", p, model.Permissions, ErrInvalid)
	}
	return nil
}

// Grant gives View on p, and View history too when history is set.
func (c *Company) Grant(serviceUserID string, p model.Permission, history bool) error {
	if err := knownPermission(p); err != nil {
		return err
	}
	return c.withUser(serviceUserID, func(su *serviceUser) error {
		su.group.View[p] = true
		if history {
			su.group.ViewHistory[p] = true
		}
		return nil
	})
}

// Revoke removes View and View history on p.
func (c *Company) Revoke(serviceUserID string, p model.Permission) error {
	if err := knownPermission(p); err != nil {
		return err
	}
	return c.withUser(serviceUserID, func(su *serviceUser) error {
		delete(su.group.View, p)
		delete(su.group.ViewHistory, p)
		return nil
	})
}

// SetBasicInfo grants or removes the root (Basic info) category.
func (c *Company) SetBasicInfo(serviceUserID string, on bool) error {
	return c.withUser(serviceUserID, func(su *serviceUser) error { su.group.BasicInfo = on; return nil })
}

// SetHideFullBirthDate switches the §8.3 "full DOB needs Edit" behaviour for one service user.
func (c *Company) SetHideFullBirthDate(serviceUserID string, on bool) error {
	return c.withUser(serviceUserID, func(su *serviceUser) error { su.group.HideFullBirthDate = on; return nil })
}

// SetAudience replaces "Access data for".
func (c *Company) SetAudience(serviceUserID string, statuses []model.LifecycleStatus) error {
	for _, s := range statuses {
		if !slices.Contains(model.LifecycleStatuses, s) {
			return fmt.Errorf("lifecycle status %q is not one of %v: %w", s, model.LifecycleStatuses, ErrInvalid)
		}
	}
	return c.withUser(serviceUserID, func(su *serviceUser) error {
		su.group.Audience = append([]model.LifecycleStatus(nil), statuses...)
		return nil
	})
}

// RotateToken issues a new token; the old one stops working at once. It also reactivates a
// revoked service user.
func (c *Company) RotateToken(serviceUserID string) (ServiceUser, error) {
	var out ServiceUser
	err := c.withUser(serviceUserID, func(su *serviceUser) error {
		su.Token = newToken(c.rng)
		su.revoked = false
		out = su.ServiceUser
		return nil
	})
	return out, err
}

// SetToken sets a chosen token (the CLI's FAKE_HIBOB_TOKEN). HiBob issues tokens itself; this
// exists so a docker-compose setup can agree on credentials in advance.
func (c *Company) SetToken(serviceUserID, token string) error {
	if len(token) < 8 {
		return fmt.Errorf("token must have at least 8 characters: %w", ErrInvalid)
	}
	return c.withUser(serviceUserID, func(su *serviceUser) error { su.Token = token; su.revoked = false; return nil })
}

// RevokeToken makes the service user's token fail with 401 until RotateToken.
func (c *Company) RevokeToken(serviceUserID string) error {
	return c.withUser(serviceUserID, func(su *serviceUser) error { su.revoked = true; return nil })
}

// authenticate returns a copy of the group of the service user with these credentials.
func (c *Company) authenticate(id, token string) (PermissionGroup, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	su, ok := c.users[id]
	if !ok || su.revoked || subtle.ConstantTimeCompare([]byte(su.Token), []byte(token)) != 1 {
		return PermissionGroup{}, false
	}
	return su.group.clone(), true
}

// EmployeeIDs are all employee IDs, sorted.
func (c *Company) EmployeeIDs() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]string, len(c.people))
	for i, p := range c.people {
		out[i] = p.id
	}
	return out
}
