package highlevelsim

import (
	"fmt"
	"strings"
)

// Demo data for generated locations: small law practices, since the
// sub-accounts are synced into Actionstep, a legal practice manager.
var (
	demoNames = []string{
		"Harbor & Vale Legal", "Northgate Family Law", "Carrow Estate Planning",
		"Bellmont Injury Attorneys", "Stonebridge Immigration", "Lakeside Conveyancing",
		"Redfern Criminal Defense", "Ashford Employment Law", "Kingsley & Moore",
		"Willow Creek Mediation", "Palisade IP Counsel", "Granite State Probate",
		"Meridian Tax Advisors", "Cedar Point Real Estate Law", "Brightwater Legal Aid",
		"Oakridge Business Law", "Summit Trial Group", "Riverbend Elder Law",
		"Foxglove Family Office", "Copperline Litigation",
	}
	demoStreets = []string{
		"W 13th St", "Market St", "Elm Ave", "Harbor Blvd", "Maple Dr", "Congress Ave",
		"Peachtree St NE", "Lake Shore Dr", "Main St", "Broadway",
	}
	demoCities = []struct{ city, state, zip string }{
		{"New York", "NY", "10011"}, {"San Francisco", "CA", "94103"}, {"Denver", "CO", "80202"},
		{"Austin", "TX", "78701"}, {"Atlanta", "GA", "30303"}, {"Chicago", "IL", "60601"},
		{"Portland", "OR", "97204"}, {"Boston", "MA", "02108"},
	}
)

// demoLocation returns a realistic, distinct name, email and one-line
// address for the i-th generated location.
func demoLocation(i int) (name, email, address string) {
	name = demoNames[i%len(demoNames)]
	if round := i / len(demoNames); round > 0 {
		name = fmt.Sprintf("%s %d", name, round+1)
	}
	c := demoCities[i%len(demoCities)]
	address = fmt.Sprintf("%d %s, %s, %s %s, USA", 10+(i*37)%890, demoStreets[i%len(demoStreets)], c.city, c.state, c.zip)
	return name, "office@" + slugify(name) + ".example.com", address
}

// slugify keeps the ASCII letters and digits of name, lower-cased, for
// demo domains: "Harbor & Vale Legal" → "harborvalelegal".
func slugify(name string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return -1
	}, name)
}
