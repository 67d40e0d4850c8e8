package simulator

import (
	"fmt"
	"math/rand/v2"

	"hibobsync/model"
)

// city is a real city with the shape of its postal codes, so that address validation in
// consumers meets realistic input.
type city struct {
	name, state string
	postal      func(r *rand.Rand) string
}

type country struct {
	name    string // HiBob's machine value and label: the common English name (Apideck gotcha, §9.1)
	cities  []city
	street  func(r *rand.Rand) (line1, line2 string)
	fictive string // phone prefix in a range reserved for fiction
}

func digits(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + r.IntN(10))
	}
	return string(b)
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

const ukInwardLetters = "ABDEFGHJLNPQRSTUWXYZ" // UK inward codes never use C, I, K, M, O, V

func ukPostcode(areas ...string) func(*rand.Rand) string {
	return func(r *rand.Rand) string {
		return fmt.Sprintf("%s%d %d%c%c", pick(r, areas), 1+r.IntN(20), r.IntN(10),
			ukInwardLetters[r.IntN(len(ukInwardLetters))], ukInwardLetters[r.IntN(len(ukInwardLetters))])
	}
}

func usZip(prefixes ...string) func(*rand.Rand) string {
	return func(r *rand.Rand) string { return pick(r, prefixes) + digits(r, 2) }
}

func numRange(lo, hi int, width int) func(*rand.Rand) string {
	return func(r *rand.Rand) string { return fmt.Sprintf("%0*d", width, lo+r.IntN(hi-lo+1)) }
}

const caLetters = "ABCEGHJKLMNPRSTVWXYZ"

func caPostcode(fsaFirst string) func(*rand.Rand) string {
	return func(r *rand.Rand) string {
		return fmt.Sprintf("%c%d%c %d%c%d", fsaFirst[r.IntN(len(fsaFirst))], r.IntN(10), caLetters[r.IntN(len(caLetters))],
			r.IntN(10), caLetters[r.IntN(len(caLetters))], r.IntN(10))
	}
}

func countries() map[string]country {
	usStreets := []string{"Main St", "Oak Ave", "Maple Dr", "Cedar Ln", "Park Blvd", "Washington St", "Lakeview Rd", "Sunset Blvd", "Elm St", "Highland Ave"}
	ukStreets := []string{"High Street", "Station Road", "Church Lane", "Victoria Road", "Green Lane", "Manor Road", "King's Road", "Queen's Avenue"}
	ilStreets := []string{"Rothschild Blvd", "Dizengoff St", "Herzl St", "Ben Yehuda St", "Allenby St", "Jabotinsky St", "HaYarkon St"}
	deStreets := []string{"Hauptstraße", "Schulstraße", "Gartenstraße", "Bahnhofstraße", "Lindenstraße", "Friedrichstraße", "Königsallee"}
	frStreets := []string{"rue de la Paix", "avenue des Champs-Élysées", "rue Victor Hugo", "boulevard Saint-Germain", "rue du Faubourg Saint-Honoré", "rue de Rivoli"}
	caStreets := []string{"Queen St W", "Yonge St", "Rue Sainte-Catherine", "Granville St", "Bloor St E", "Robson St"}
	auStreets := []string{"George St", "Collins St", "Pitt St", "Elizabeth St", "Bourke St", "Queen St"}
	return map[string]country{
		"United States": {
			name: "United States", fictive: "+1 555 01",
			cities: []city{
				{"New York", "NY", usZip("100", "101", "112")}, {"San Francisco", "CA", usZip("941")},
				{"Los Angeles", "CA", usZip("900", "910")}, {"Austin", "TX", usZip("787")},
				{"Chicago", "IL", usZip("606")}, {"Seattle", "WA", usZip("981")},
				{"Boston", "MA", usZip("021")}, {"Denver", "CO", usZip("802")},
				{"Miami", "FL", usZip("331")}, {"Atlanta", "GA", usZip("303")},
			},
			street: func(r *rand.Rand) (string, string) {
				l2 := ""
				if r.IntN(3) == 0 {
					l2 = fmt.Sprintf("Apt %d%c", 1+r.IntN(30), 'A'+rune(r.IntN(6)))
				}
				return fmt.Sprintf("%d %s", 1+r.IntN(9899), pick(r, usStreets)), l2
			},
		},
		"United Kingdom": {
			name: "United Kingdom", fictive: "+44 7700 900",
			cities: []city{
				{"London", "", ukPostcode("SW", "SE", "NW", "N", "E", "W", "EC")}, {"Manchester", "", ukPostcode("M")},
				{"Birmingham", "", ukPostcode("B")}, {"Leeds", "", ukPostcode("LS")},
				{"Glasgow", "", ukPostcode("G")}, {"Edinburgh", "", ukPostcode("EH")}, {"Bristol", "", ukPostcode("BS")},
			},
			street: func(r *rand.Rand) (string, string) {
				l2 := ""
				if r.IntN(4) == 0 {
					l2 = fmt.Sprintf("Flat %d", 1+r.IntN(40))
				}
				return fmt.Sprintf("%d %s", 1+r.IntN(250), pick(r, ukStreets)), l2
			},
		},
		"Israel": {
			name: "Israel", fictive: "+972 50 555",
			cities: []city{
				{"Tel Aviv-Yafo", "", numRange(6100000, 6999999, 7)}, {"Jerusalem", "", numRange(9100000, 9799999, 7)},
				{"Haifa", "", numRange(3100000, 3599999, 7)}, {"Ramat Gan", "", numRange(5200000, 5299999, 7)},
				{"Herzliya", "", numRange(4610000, 4699999, 7)},
			},
			street: func(r *rand.Rand) (string, string) {
				l2 := ""
				if r.IntN(3) == 0 {
					l2 = fmt.Sprintf("Apt %d", 1+r.IntN(60))
				}
				return fmt.Sprintf("%s %d", pick(r, ilStreets), 1+r.IntN(200)), l2
			},
		},
		"Germany": {
			name: "Germany", fictive: "+49 176 555",
			cities: []city{
				{"Berlin", "Berlin", numRange(10115, 14199, 5)}, {"München", "Bayern", numRange(80331, 81929, 5)},
				{"Hamburg", "Hamburg", numRange(20095, 22769, 5)}, {"Köln", "Nordrhein-Westfalen", numRange(50667, 51149, 5)},
				{"Frankfurt am Main", "Hessen", numRange(60306, 60599, 5)},
			},
			street: func(r *rand.Rand) (string, string) {
				return fmt.Sprintf("%s %d", pick(r, deStreets), 1+r.IntN(150)), ""
			},
		},
		"France": {
			name: "France", fictive: "+33 6 39 98",
			cities: []city{
				{"Paris", "Île-de-France", func(r *rand.Rand) string { return fmt.Sprintf("750%02d", 1+r.IntN(20)) }},
				{"Lyon", "Auvergne-Rhône-Alpes", func(r *rand.Rand) string { return fmt.Sprintf("6900%d", 1+r.IntN(9)) }},
				{"Marseille", "Provence-Alpes-Côte d'Azur", func(r *rand.Rand) string { return fmt.Sprintf("130%02d", 1+r.IntN(16)) }},
				{"Toulouse", "Occitanie", numRange(31000, 31500, 5)}, {"Bordeaux", "Nouvelle-Aquitaine", numRange(33000, 33800, 5)},
			},
			street: func(r *rand.Rand) (string, string) {
				l2 := ""
				if r.IntN(4) == 0 {
					l2 = fmt.Sprintf("Bâtiment %c", 'A'+rune(r.IntN(4)))
				}
				return fmt.Sprintf("%d %s", 1+r.IntN(120), pick(r, frStreets)), l2
			},
		},
		"Canada": {
			name: "Canada", fictive: "+1 416 555 01",
			cities: []city{
				{"Toronto", "Ontario", caPostcode("M")}, {"Vancouver", "British Columbia", caPostcode("V")},
				{"Montréal", "Quebec", caPostcode("H")}, {"Calgary", "Alberta", caPostcode("T")}, {"Ottawa", "Ontario", caPostcode("K")},
			},
			street: func(r *rand.Rand) (string, string) {
				l2 := ""
				if r.IntN(3) == 0 {
					l2 = fmt.Sprintf("Unit %d", 100+r.IntN(2000))
				}
				return fmt.Sprintf("%d %s", 1+r.IntN(3000), pick(r, caStreets)), l2
			},
		},
		"Australia": {
			name: "Australia", fictive: "+61 491 570",
			cities: []city{
				{"Sydney", "NSW", numRange(2000, 2234, 4)}, {"Melbourne", "VIC", numRange(3000, 3207, 4)},
				{"Brisbane", "QLD", numRange(4000, 4179, 4)}, {"Perth", "WA", numRange(6000, 6199, 4)},
			},
			street: func(r *rand.Rand) (string, string) {
				l2 := ""
				if r.IntN(3) == 0 {
					l2 = fmt.Sprintf("Unit %d", 1+r.IntN(80))
				}
				return fmt.Sprintf("%d %s", 1+r.IntN(400), pick(r, auStreets)), l2
			},
		},
	}
}

func randomAddress(r *rand.Rand, c country) model.Address {
	ct := pick(r, c.cities)
	l1, l2 := c.street(r)
	return model.Address{
		Line1: l1, Line2: l2, City: ct.name, PostCode: ct.postal(r), State: ct.state,
		Country: model.ListValue{Value: c.name, Label: c.name},
	}
}

// siteSpecs are the offices a generated company may have, one per country at most.
func siteSpecs() []struct{ label, country string } {
	return []struct{ label, country string }{
		{"New York HQ", "United States"}, {"London", "United Kingdom"}, {"Tel Aviv", "Israel"},
		{"Berlin", "Germany"}, {"Paris", "France"}, {"Toronto", "Canada"}, {"Sydney", "Australia"},
		{"Remote - US", "United States"},
	}
}
