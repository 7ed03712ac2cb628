package temporalclient

import (
	"testing"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/saasbridge/saasbridge/internal/config"
)

func TestCreateCommands(t *testing.T) {
	missing := []SearchAttribute{
		{Name: "LocationId", Type: "Keyword"}, {Name: "PlanId", Type: "Keyword"}, {Name: "Seats", Type: "Int"},
		{Name: "Wrong", Type: "Keyword", Found: "Text"},
	}
	tests := []struct {
		name string
		cfg  config.Temporal
		want []string
	}{
		{"dev server", config.Temporal{Address: "127.0.0.1:7233", Namespace: "default"}, []string{
			"temporal operator search-attribute create --address 127.0.0.1:7233 --namespace default --name LocationId --type Keyword",
			"temporal operator search-attribute create --address 127.0.0.1:7233 --namespace default --name PlanId --type Keyword",
			"temporal operator search-attribute create --address 127.0.0.1:7233 --namespace default --name Seats --type Int",
		}},
		{"cloud, no secret printed", config.Temporal{Address: "ns.acct.tmprl.cloud:7233", Namespace: "ns.acct", APIKey: "sekret"}, []string{
			`temporal operator search-attribute create --address ns.acct.tmprl.cloud:7233 --namespace ns.acct --api-key "$TEMPORAL_API_KEY" --name LocationId --type Keyword`,
			`temporal operator search-attribute create --address ns.acct.tmprl.cloud:7233 --namespace ns.acct --api-key "$TEMPORAL_API_KEY" --name PlanId --type Keyword`,
			`temporal operator search-attribute create --address ns.acct.tmprl.cloud:7233 --namespace ns.acct --api-key "$TEMPORAL_API_KEY" --name Seats --type Int`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CreateCommands(tt.cfg, missing)
			if len(got) != len(tt.want) {
				t.Fatalf("got %q", got)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("command %d:\n got %s\nwant %s", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestCLIType(t *testing.T) {
	for typ, want := range map[enumspb.IndexedValueType]string{
		enumspb.INDEXED_VALUE_TYPE_KEYWORD: "Keyword", enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST: "KeywordList",
		enumspb.INDEXED_VALUE_TYPE_DATETIME: "Datetime", enumspb.INDEXED_VALUE_TYPE_TEXT: "Text", enumspb.INDEXED_VALUE_TYPE_INT: "Int",
	} {
		if got := cliType(typ); got != want {
			t.Errorf("cliType(%s) = %s, want %s", typ, got, want)
		}
	}
	if s := (SearchAttribute{Name: "A", Type: "Keyword", Found: "Text"}).String(); s != "A (Keyword, but the namespace has it as Text)" {
		t.Errorf("String() = %q", s)
	}
}
