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

// demoContact is a generated location's business contact.
type demoContact struct{ name, email, phone, website, address string }

// demoLocation returns a realistic, distinct business contact for the i-th
// generated location (phone numbers in the 555-01xx range kept for fiction).
func demoLocation(i int) demoContact {
	name := demoNames[i%len(demoNames)]
	if round := i / len(demoNames); round > 0 {
		name = fmt.Sprintf("%s %d", name, round+1)
	}
	c := demoCities[i%len(demoCities)]
	return demoContact{
		name: name, email: "office@" + slugify(name) + ".example.com",
		phone: fmt.Sprintf("+1 %03d 555 01%02d", 200+(i*53)%700, i%100), website: "https://www." + slugify(name) + ".example.com",
		address: fmt.Sprintf("%d %s, %s, %s %s, USA", 10+(i*37)%890, demoStreets[i%len(demoStreets)], c.city, c.state, c.zip),
	}
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
