package ui

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
)

// The pages that add to a client's record beside the demographics: insurance
// policies and prior authorisations here; people, related clients, consents
// and alerts in client_people.go; merging in client_merge.go. Each form is a
// page of its own that names the client at the top, posts to one service
// method and returns to the chart's section (post/redirect/get).

// recordPage is a form page about one client.
type recordPage struct {
	Page
	Client clients.Client
}

// loadRecord reads the client a form page is about, audited as a read of
// section. The title names the MRN, never the client (titles are kept in
// browser history).
func (h *Handler) loadRecord(w http.ResponseWriter, r *http.Request, section, title string) (recordPage, bool) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return recordPage{}, false
	}
	c, err := h.Clients.Get(r.Context(), current(r).Actor, id, section)
	if err != nil {
		h.Error(w, r, err)
		return recordPage{}, false
	}
	return recordPage{Page: h.base(w, r, title+" · "+c.MRN), Client: c}, true
}

// subID reads a second path wildcard, such as the policy in
// /clients/{id}/policies/{policy}.
func subID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.NotFound("page")
	}
	return id, nil
}

func chartHref(id int64, section string) string {
	return "/clients/" + strconv.FormatInt(id, 10) + "#" + section
}

// moveError renames a service's field error to the form field that shows it.
func (f *Form) moveError(from, to string) {
	if msg, ok := f.Errors[from]; ok {
		delete(f.Errors, from)
		f.Errors[to] = msg
	}
}

// parseCents reads an amount of dollars such as "30", "$1,500.00" or "12.5".
// Empty is zero; anything else unreadable is -1, which the service refuses
// with the field's own message.
func parseCents(s string) int64 {
	s = strings.NewReplacer("$", "", ",", "", " ", "").Replace(s)
	if s == "" {
		return 0
	}
	n, ok := parseFixed2(s)
	if !ok {
		return -1
	}
	return n
}

// parseBasisPoints reads a percentage such as "20", "20 %" or "12.5" as
// basis points (2000, 1250); unreadable is -1.
func parseBasisPoints(s string) int64 {
	s = strings.NewReplacer("%", "", " ", "").Replace(s)
	if s == "" {
		return 0
	}
	n, ok := parseFixed2(s)
	if !ok {
		return -1
	}
	return n
}

// parseFixed2 reads a non-negative decimal with at most two places, in
// hundredths, without going through floating point.
func parseFixed2(s string) (int64, bool) {
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 2 || whole == "" && frac == "" || len(whole) > 12 {
		return 0, false
	}
	for _, part := range []string{whole, frac} {
		for _, r := range part {
			if r < '0' || r > '9' {
				return 0, false
			}
		}
	}
	frac += strings.Repeat("0", 2-len(frac))
	w, _ := strconv.ParseInt("0"+whole, 10, 64)
	f, _ := strconv.ParseInt(frac, 10, 64)
	return w*100 + f, true
}

// fixed2 writes hundredths as a decimal: 3000 → "30.00", 1250 → "12.50".
func fixed2(n int64) string { return fmt.Sprintf("%d.%02d", n/100, n%100) }

// percent writes basis points as a percentage without needless zeros.
func percent(bp int64) string {
	return strings.TrimSuffix(strings.TrimRight(fixed2(bp), "0"), ".")
}

var rankLabels = map[int]string{clients.Primary: "Primary", clients.Secondary: "Secondary", clients.Tertiary: "Tertiary"}

var relationshipLabels = map[string]string{"self": "The client (self)", "spouse": "Spouse or partner", "child": "The client is their child", "other": "Other"}

// policyRow is a policy as the chart shows it.
type policyRow struct {
	clients.Policy
	RankLabel                      string
	Copay, Coinsurance, Deductible string
	Subscriber                     string
	Auths                          []authRow
}

// authRow is a prior authorisation with what needs attention.
type authRow struct {
	clients.Authorization
	Warning string
	// Urgent marks a warning that stops visits (expired, none left).
	Urgent bool
	Codes  string
}

func policyRows(list []clients.Policy, today string) []policyRow {
	out := make([]policyRow, len(list))
	for i, p := range list {
		row := policyRow{Policy: p, RankLabel: rankLabels[p.Rank], Copay: "$" + fixed2(p.CopayCents),
			Coinsurance: percent(p.CoinsuranceBP) + " %", Deductible: "$" + fixed2(p.DeductibleCents), Subscriber: "The client"}
		if p.Relationship != "self" {
			row.Subscriber = strings.TrimSpace(p.SubscriberFirst+" "+p.SubscriberLast) + " (" + relationshipLabels[p.Relationship] + ")"
		}
		for _, au := range p.Authorizations {
			w := au.Warning(today)
			row.Auths = append(row.Auths, authRow{Authorization: au, Warning: w, Codes: strings.Join(au.ServiceCodes, ", "),
				Urgent: strings.HasPrefix(w, "Expired") || strings.HasPrefix(w, "No authorised")})
		}
		out[i] = row
	}
	return out
}

// policyFields are the policy form's fields, named as the service's errors.
var policyFields = []string{"payer", "rank", "relationship", "subscriber_first", "subscriber_last", "subscriber_birth", "subscriber_sex",
	"subscriber_address", "member_id", "group_number", "plan_name", "effective_date", "end_date", "copay", "coinsurance", "deductible"}

type policyFormPage struct {
	recordPage
	// PolicyID is the policy being edited (0 when adding); Version the
	// version the form saves against.
	PolicyID      int64
	Version       int64
	Active        bool
	Payers        []choice
	Ranks         []choice
	Relationships []choice
	Sexes         []choice
	CanAddPayer   bool
}

func policyForm(p clients.Policy) Form {
	return Form{Values: map[string]string{
		"payer": idString(p.PayerID), "rank": strconv.Itoa(p.Rank), "relationship": p.Relationship,
		"subscriber_first": p.SubscriberFirst, "subscriber_last": p.SubscriberLast, "subscriber_birth": p.SubscriberBirth,
		"subscriber_sex": p.SubscriberSex, "subscriber_address": p.SubscriberAddress, "member_id": p.MemberID,
		"group_number": p.GroupNumber, "plan_name": p.PlanName, "effective_date": p.EffectiveDate, "end_date": p.EndDate,
		"copay": fixed2(p.CopayCents), "coinsurance": percent(p.CoinsuranceBP), "deductible": fixed2(p.DeductibleCents),
	}, Errors: map[string]string{}}
}

// policyInput reads the posted policy form.
func policyInput(r *http.Request, clientID int64) (clients.Policy, Form) {
	f := newForm(r, policyFields...)
	v := f.Values
	p := clients.Policy{ClientID: clientID, Relationship: v["relationship"], SubscriberFirst: v["subscriber_first"],
		SubscriberLast: v["subscriber_last"], SubscriberBirth: v["subscriber_birth"], SubscriberSex: v["subscriber_sex"],
		SubscriberAddress: v["subscriber_address"], MemberID: v["member_id"], GroupNumber: v["group_number"], PlanName: v["plan_name"],
		EffectiveDate: v["effective_date"], EndDate: v["end_date"], CopayCents: parseCents(v["copay"]),
		CoinsuranceBP: parseBasisPoints(v["coinsurance"]), DeductibleCents: parseCents(v["deductible"]),
		Active: r.PostFormValue("active") == "1"}
	p.PayerID, _ = strconv.ParseInt(v["payer"], 10, 64)
	p.Rank, _ = strconv.Atoi(v["rank"])
	p.ID, _ = strconv.ParseInt(r.PathValue("policy"), 10, 64)
	p.Version, _ = strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	return p, f
}

// renderPolicyForm fills the pickers from the payer directory and renders.
func (h *Handler) renderPolicyForm(w http.ResponseWriter, r *http.Request, status int, p *policyFormPage) {
	a := current(r)
	payers, err := h.Clients.Payers(r.Context(), a.Actor)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	v := p.Form.Values
	for _, y := range payers {
		id := strconv.FormatInt(y.ID, 10)
		if !y.Active && v["payer"] != id {
			continue // a retired payer stays only on the policies that name it
		}
		label := y.Name
		if y.ElectronicID != "" {
			label += " (" + y.ElectronicID + ")"
		}
		if !y.Active {
			label += " (inactive)"
		}
		p.Payers = append(p.Payers, choice{Value: id, Label: label, Checked: v["payer"] == id})
	}
	for _, rank := range []int{clients.Primary, clients.Secondary, clients.Tertiary} {
		s := strconv.Itoa(rank)
		p.Ranks = append(p.Ranks, choice{Value: s, Label: rankLabels[rank], Checked: v["rank"] == s})
	}
	for _, rel := range clients.Relationships {
		p.Relationships = append(p.Relationships, choice{Value: rel, Label: relationshipLabels[rel], Checked: v["relationship"] == rel})
	}
	p.Sexes = choices(clients.Sexes, v["subscriber_sex"])
	p.CanAddPayer = h.Audit.Policy().Can(a.Actor, access.PermPayersManage)
	h.render(w, r, status, "client_policy_form", p)
}

// NewPolicy shows the form for adding an insurance policy. The rank offered
// is the first one the client's active policies leave free.
func (h *Handler) NewPolicy(w http.ResponseWriter, r *http.Request) {
	rp, ok := h.loadRecord(w, r, "insurance", "Add insurance")
	if !ok {
		return
	}
	pols, err := h.Clients.Policies(r.Context(), current(r).Actor, rp.Client.ID)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	rank := clients.Primary
	for _, p := range pols {
		if p.Active && p.Rank == rank && rank < clients.Tertiary {
			rank++
		}
	}
	p := &policyFormPage{recordPage: rp, Active: true}
	p.Form = policyForm(clients.Policy{Rank: rank, Relationship: "self"})
	p.Form.Values["copay"], p.Form.Values["coinsurance"], p.Form.Values["deductible"] = "", "", ""
	h.renderPolicyForm(w, r, http.StatusOK, p)
}

// findPolicy returns one of the client's policies, read through the
// audited Policies.
func (h *Handler) findPolicy(r *http.Request, clientID, policyID int64) (clients.Policy, error) {
	pols, err := h.Clients.Policies(r.Context(), current(r).Actor, clientID)
	if err != nil {
		return clients.Policy{}, err
	}
	for _, p := range pols {
		if p.ID == policyID {
			return p, nil
		}
	}
	return clients.Policy{}, apperr.NotFound("policy")
}

// EditPolicy shows a policy's form; unticking "active" ends the policy.
func (h *Handler) EditPolicy(w http.ResponseWriter, r *http.Request) {
	pid, err := subID(r, "policy")
	if err != nil {
		h.Error(w, r, err)
		return
	}
	rp, ok := h.loadRecord(w, r, "insurance", "Edit insurance")
	if !ok {
		return
	}
	pol, err := h.findPolicy(r, rp.Client.ID, pid)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	p := &policyFormPage{recordPage: rp, PolicyID: pol.ID, Version: pol.Version, Active: pol.Active}
	p.Form = policyForm(pol)
	h.renderPolicyForm(w, r, http.StatusOK, p)
}

// SavePolicy adds (POST /clients/{id}/policies) or updates
// (POST /clients/{id}/policies/{policy}) a policy. Errors come back on the
// form with what was typed; a lost race comes back with the newer version.
func (h *Handler) SavePolicy(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	if r.PathValue("policy") != "" {
		if _, err := subID(r, "policy"); err != nil {
			h.Error(w, r, err)
			return
		}
	}
	a := current(r)
	in, f := policyInput(r, id)
	_, err = h.Clients.SavePolicy(r.Context(), a.Actor, in)
	if err == nil {
		msg := "The policy was added."
		if in.ID != 0 {
			msg = "The policy was saved."
		}
		h.redirect(w, r, chartHref(id, "insurance"), msg)
		return
	}
	if !apperr.Is(err, apperr.CodeInvalid) && !apperr.Is(err, apperr.CodeConflict) {
		h.Error(w, r, err)
		return
	}
	title := "Add insurance"
	if in.ID != 0 {
		title = "Edit insurance"
	}
	rp, ok := h.loadRecord(w, r, "insurance", title)
	if !ok {
		return
	}
	f.fail(err, "")
	f.moveError("subscriber_name", "subscriber_first")
	p := &policyFormPage{recordPage: rp, PolicyID: in.ID, Version: in.Version, Active: in.Active}
	status := http.StatusUnprocessableEntity
	if apperr.Is(err, apperr.CodeConflict) {
		status = http.StatusConflict
		if cur, err := h.findPolicy(r, id, in.ID); err == nil {
			p.Version = cur.Version
		}
	}
	p.Form = f
	h.renderPolicyForm(w, r, status, p)
}

// authorizationFields are the authorisation form's fields.
var authorizationFields = []string{"number", "visits_authorized", "visits_used", "start_date", "end_date", "service_codes"}

type authorizationFormPage struct {
	recordPage
	Policy policyRow
	// Auth is set when updating the visits used of an authorisation.
	Auth *authRow
}

// loadPolicyPage reads the client and the policy a form is about.
func (h *Handler) loadPolicyPage(w http.ResponseWriter, r *http.Request, title string) (*authorizationFormPage, bool) {
	pid, err := subID(r, "policy")
	if err != nil {
		h.Error(w, r, err)
		return nil, false
	}
	rp, ok := h.loadRecord(w, r, "insurance", title)
	if !ok {
		return nil, false
	}
	pol, err := h.findPolicy(r, rp.Client.ID, pid)
	if err != nil {
		h.Error(w, r, err)
		return nil, false
	}
	return &authorizationFormPage{recordPage: rp, Policy: policyRows([]clients.Policy{pol}, h.today())[0]}, true
}

func (h *Handler) today() string { return h.Clock.Now().Format("2006-01-02") }

// NewAuthorization shows the form for a prior authorisation on a policy.
func (h *Handler) NewAuthorization(w http.ResponseWriter, r *http.Request) {
	p, ok := h.loadPolicyPage(w, r, "Add authorization")
	if !ok {
		return
	}
	p.Form = Form{Values: map[string]string{"visits_used": "0"}, Errors: map[string]string{}}
	h.render(w, r, http.StatusOK, "client_authorization_form", p)
}

// splitCodes reads service codes separated by commas or spaces.
func splitCodes(s string) []string {
	return strings.FieldsFunc(strings.ToUpper(s), func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\t' })
}

// atoiOr reads a whole number; unreadable is bad, which the service refuses.
func atoiOr(s string, bad int) int {
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return bad
	}
	return n
}

// CreateAuthorization records a prior authorisation.
func (h *Handler) CreateAuthorization(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	pid, err := subID(r, "policy")
	if err != nil {
		h.Error(w, r, err)
		return
	}
	f := newForm(r, authorizationFields...)
	v := f.Values
	au := clients.Authorization{PolicyID: pid, Number: v["number"], VisitsAuthorized: atoiOr(v["visits_authorized"], -1),
		VisitsUsed: atoiOr(v["visits_used"], -1), StartDate: v["start_date"], EndDate: v["end_date"], ServiceCodes: splitCodes(v["service_codes"])}
	_, err = h.Clients.AddAuthorization(r.Context(), current(r).Actor, id, au)
	if err == nil {
		h.redirect(w, r, chartHref(id, "insurance"), "The authorization was added.")
		return
	}
	if !apperr.Is(err, apperr.CodeInvalid) {
		h.Error(w, r, err)
		return
	}
	p, ok := h.loadPolicyPage(w, r, "Add authorization")
	if !ok {
		return
	}
	f.fail(err, "")
	f.moveError("dates", "start_date")
	p.Form = f
	h.render(w, r, http.StatusUnprocessableEntity, "client_authorization_form", p)
}

// loadAuthorizationPage reads the client, the policy and the authorisation.
func (h *Handler) loadAuthorizationPage(w http.ResponseWriter, r *http.Request) (*authorizationFormPage, bool) {
	aid, err := subID(r, "auth")
	if err != nil {
		h.Error(w, r, err)
		return nil, false
	}
	p, ok := h.loadPolicyPage(w, r, "Update authorization")
	if !ok {
		return nil, false
	}
	for i := range p.Policy.Auths {
		if p.Policy.Auths[i].ID == aid {
			p.Auth = &p.Policy.Auths[i]
			return p, true
		}
	}
	h.Error(w, r, apperr.NotFound("authorization"))
	return nil, false
}

// EditAuthorization shows the form for the visits used so far.
func (h *Handler) EditAuthorization(w http.ResponseWriter, r *http.Request) {
	p, ok := h.loadAuthorizationPage(w, r)
	if !ok {
		return
	}
	p.Form = Form{Values: map[string]string{"visits_used": strconv.Itoa(p.Auth.VisitsUsed)}, Errors: map[string]string{}}
	h.render(w, r, http.StatusOK, "client_authorization_form", p)
}

// UpdateAuthorization saves the visits used.
func (h *Handler) UpdateAuthorization(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	aid, err := subID(r, "auth")
	if err != nil {
		h.Error(w, r, err)
		return
	}
	if _, err := subID(r, "policy"); err != nil {
		h.Error(w, r, err)
		return
	}
	f := newForm(r, "visits_used")
	err = h.Clients.SetAuthorizationUsage(r.Context(), current(r).Actor, id, aid, atoiOr(f.Values["visits_used"], -1))
	if err == nil {
		h.redirect(w, r, chartHref(id, "insurance"), "Visits used were updated.")
		return
	}
	if !apperr.Is(err, apperr.CodeInvalid) {
		h.Error(w, r, err)
		return
	}
	p, ok := h.loadAuthorizationPage(w, r)
	if !ok {
		return
	}
	f.fail(err, "")
	p.Form = f
	h.render(w, r, http.StatusUnprocessableEntity, "client_authorization_form", p)
}
