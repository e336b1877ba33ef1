package postal

import "testing"

func TestValidate(t *testing.T) {
	a := Address{Line1: "  200  W Riverside Ave ", City: "Chicago", State: " il", PostalCode: "60606-1234"}
	a.Normalize()
	f := map[string]string{}
	a.Validate(f, "")
	if len(f) != 0 || a.State != "IL" || a.Line1 != "200 W Riverside Ave" {
		t.Errorf("valid address: %+v, %v", a, f)
	}
	f = map[string]string{}
	Address{State: "Illinois", PostalCode: "6060"}.Validate(f, "loc_")
	if f["loc_state"] == "" || f["loc_postal_code"] == "" {
		t.Errorf("invalid address fields = %v", f)
	}
}
