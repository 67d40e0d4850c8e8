package simulator

import "strings"

// culture is a naming tradition and where its people tend to live. Names deliberately include
// apostrophes, hyphens, particles and diacritics: consumers must not choke on "O'Brien",
// "Ben-David", "de la Cruz" or "Zoë".
type culture struct {
	weight    int
	first     []string
	surnames  []string
	countries []weighted // home countries
}

type weighted struct {
	name   string
	weight int
}

func cultures() []culture {
	return []culture{
		{30, []string{"James", "Mary", "Olivia", "Liam", "Emma", "Noah", "Ava", "William", "Sophia", "Benjamin", "Charlotte", "Lucas", "Amelia", "Henry", "Harper", "Jack", "Grace", "Chloe", "Ethan", "Zoë", "Evelyn", "Oliver", "Isla", "George", "Mia", "Thomas", "Abigail", "Samuel", "Ella", "Daniel"},
			[]string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Taylor", "Anderson", "Thomas", "Moore", "O'Brien", "O'Connor", "McDonald", "Clarke", "Walker", "Wright", "Hughes", "Edwards", "Murphy", "Kelly", "Robinson", "Thompson", "White", "Harris", "Martin", "Lewis", "Young", "Hall"},
			[]weighted{{"United States", 55}, {"United Kingdom", 25}, {"Canada", 12}, {"Australia", 8}}},
		{12, []string{"Noa", "Yael", "Tamar", "Avigail", "Maya", "Shira", "Itai", "Yonatan", "Omer", "Ariel", "Eitan", "Noam", "Yosef", "Moshe", "Daniel", "Roni", "Lior", "Michal", "Hila", "Amit"},
			[]string{"Cohen", "Levi", "Mizrahi", "Peretz", "Biton", "Dahan", "Avraham", "Friedman", "Katz", "Azoulay", "Ben-David", "Ben-Ami", "Shapira", "Goldberg", "Rosenberg", "Malka", "Amar", "Weiss"},
			[]weighted{{"Israel", 80}, {"United States", 15}, {"United Kingdom", 5}}},
		{12, []string{"Lukas", "Leon", "Finn", "Jonas", "Maximilian", "Felix", "Emilia", "Hannah", "Lea", "Mia", "Sophie", "Jürgen", "Jörg", "Anneliese", "Karl-Heinz", "Greta", "Moritz", "Lena"},
			[]string{"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schäfer", "Koch", "Hoffmann", "Schröder", "Groß", "Krüger", "von Stein", "Meyer-Lindenberg", "Zimmermann", "Braun"},
			[]weighted{{"Germany", 85}, {"United States", 10}, {"United Kingdom", 5}}},
		{12, []string{"Léa", "Chloé", "Manon", "Camille", "Inès", "Hugo", "Louis", "Gabriel", "Théo", "Raphaël", "Jules", "Éloïse", "François", "Anaïs", "Jean-Luc", "Marie-Claire", "Amélie", "Mathis"},
			[]string{"Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau", "Lefèvre", "Fontaine", "Girard", "Bonnet", "de la Fontaine", "Rousseau", "Mercier", "Lambert"},
			[]weighted{{"France", 80}, {"Canada", 15}, {"United Kingdom", 5}}},
		{10, []string{"José", "María", "Juan", "Carmen", "Luis", "Sofía", "Alejandro", "Valentina", "Diego", "Lucía", "Mateo", "Camila", "Andrés", "Ximena"},
			[]string{"García", "Rodríguez", "Martínez", "Hernández", "López", "González", "Pérez", "Sánchez", "Ramírez", "Torres", "de la Cruz", "Núñez", "Ortiz", "Castillo"},
			[]weighted{{"United States", 75}, {"Canada", 10}, {"France", 5}, {"United Kingdom", 10}}},
		{10, []string{"Aarav", "Vivaan", "Aditya", "Priya", "Ananya", "Diya", "Rohan", "Arjun", "Kavya", "Ishaan", "Sanjay", "Lakshmi", "Deepika", "Rahul"},
			[]string{"Patel", "Sharma", "Singh", "Kumar", "Gupta", "Reddy", "Iyer", "Nair", "Mehta", "Chatterjee", "Krishnan", "Rao", "Desai"},
			[]weighted{{"United States", 45}, {"United Kingdom", 30}, {"Canada", 20}, {"Australia", 5}}},
		{6, []string{"Wei", "Li", "Jing", "Hao", "Xin", "Yu", "Mei", "Jun", "Lei", "Ying", "Zhen", "Xiaoming"},
			[]string{"Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun"},
			[]weighted{{"United States", 50}, {"Canada", 30}, {"Australia", 20}}},
		{4, []string{"Mohammed", "Ahmad", "Omar", "Yusuf", "Fatima", "Aisha", "Layla", "Nour", "Khalid", "Rania", "Samir"},
			[]string{"Haddad", "Khoury", "Nasser", "Saleh", "Mansour", "Abu-Salem", "Darwish", "Hamdan", "El-Amin"},
			[]weighted{{"Israel", 40}, {"France", 30}, {"Germany", 20}, {"United Kingdom", 10}}},
		{2, []string{"Haruto", "Yuki", "Sota", "Hina", "Yui", "Ren", "Aoi", "Sakura"},
			[]string{"Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura"},
			[]weighted{{"United States", 60}, {"United Kingdom", 20}, {"Canada", 20}}},
		{2, []string{"Chinedu", "Ngozi", "Oluwaseun", "Adaeze", "Emeka", "Folake", "Tunde", "Chiamaka"},
			[]string{"Okafor", "Adeyemi", "Okonkwo", "Balogun", "Eze", "Nwosu", "Adebayo"},
			[]weighted{{"United Kingdom", 60}, {"United States", 30}, {"Canada", 10}}},
	}
}

var asciiFold = strings.NewReplacer(
	"á", "a", "à", "a", "â", "a", "ä", "a", "ã", "a", "å", "a",
	"é", "e", "è", "e", "ê", "e", "ë", "e",
	"í", "i", "ì", "i", "î", "i", "ï", "i",
	"ó", "o", "ò", "o", "ô", "o", "ö", "o", "õ", "o", "ø", "o",
	"ú", "u", "ù", "u", "û", "u", "ü", "u",
	"ñ", "n", "ç", "c", "ß", "ss", "ł", "l", "æ", "ae", "œ", "oe",
	"'", "", " ", "",
)

// emailLocal turns a name into the ASCII local part of an address ("Zoë O'Brien" → "zoe.obrien").
func emailLocal(first, surname string) string {
	return asciiFold.Replace(strings.ToLower(first)) + "." + asciiFold.Replace(strings.ToLower(surname))
}
