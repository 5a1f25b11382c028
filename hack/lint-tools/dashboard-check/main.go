// Command dashboard-check checks Grafana dashboard JSON files against the dashboard model of the
// Grafana Foundation SDK: a strict decode (unknown or mistyped fields, missing required fields,
// panel options and Prometheus queries of the wrong shape are errors) and the model's own
// validation, then the project's rules: every panel has a title, a description, a grid position,
// a unique id, a known panel type, and Prometheus queries with an expression and a unique refId
// through the dashboard's datasource variable.
//
// Usage: dashboard-check FILE...   (exit 1 and one line per problem when a file is not valid)
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: dashboard-check FILE...")
		os.Exit(2)
	}
	plugins.RegisterDefaultPlugins()
	failed := false
	for _, file := range os.Args[1:] {
		problems, summary := checkFile(file)
		for _, problem := range problems {
			fmt.Fprintf(os.Stderr, "%s: %s\n", file, problem)
		}
		if len(problems) > 0 {
			failed = true
			continue
		}
		fmt.Printf("%s: %s\n", file, summary)
	}
	if failed {
		os.Exit(1)
	}
}

func checkFile(file string) ([]string, string) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return []string{err.Error()}, ""
	}
	var board dashboard.Dashboard
	if err := modelError(board.UnmarshalJSONStrict(raw)); err != nil {
		return []string{"not a valid dashboard model:\n" + err.Error()}, ""
	}
	if err := modelError(board.Validate()); err != nil {
		return []string{"dashboard model validation:\n" + err.Error()}, ""
	}
	var problems []string
	if board.Uid == nil || *board.Uid == "" || board.Title == nil || *board.Title == "" {
		problems = append(problems, "the dashboard needs a uid and a title")
	}
	if !hasPrometheusDatasourceVariable(board) {
		problems = append(problems, "no templating variable 'datasource' of type datasource/prometheus")
	}
	// The SDK's strict decoder reports every problem, but (v0.0.22) drops panels and queries that
	// decoded without one from the structure it returns, so each panel is decoded again here.
	var layout struct {
		Panels []json.RawMessage `json:"panels"`
	}
	if err := json.Unmarshal(raw, &layout); err != nil {
		return []string{err.Error()}, ""
	}
	ids := map[uint32]string{}
	panels, queries := 0, 0
	for i, rawPanel := range layout.Panels {
		found, panelProblems := checkRawPanel(rawPanel, ids)
		if found < 0 {
			continue // a row
		}
		panels++
		queries += found
		for _, problem := range panelProblems {
			problems = append(problems, fmt.Sprintf("panels[%d]: %s", i, problem))
		}
	}
	if panels == 0 {
		problems = append(problems, "no panels")
	}
	return problems, fmt.Sprintf("valid dashboard model, %d panels, %d queries", panels, queries)
}

// checkRawPanel decodes one entry of panels strictly and checks it; -1 queries for a row.
func checkRawPanel(raw json.RawMessage, ids map[uint32]string) (int, []string) {
	var kind struct {
		Type    string            `json:"type"`
		Targets []json.RawMessage `json:"targets"`
	}
	if err := json.Unmarshal(raw, &kind); err != nil {
		return 0, []string{err.Error()}
	}
	if kind.Type == "row" {
		var row dashboard.RowPanel
		if err := modelError(row.UnmarshalJSONStrict(raw)); err != nil {
			return -1, []string{err.Error()}
		}
		return -1, checkId(ids, row.Id, "row")
	}
	var panel dashboard.Panel
	if err := modelError(panel.UnmarshalJSONStrict(raw)); err != nil {
		return 0, []string{err.Error()}
	}
	if err := modelError(panel.Validate()); err != nil {
		return 0, []string{err.Error()}
	}
	var targets []prometheus.Dataquery
	for i, rawTarget := range kind.Targets {
		var query prometheus.Dataquery
		if err := modelError(query.UnmarshalJSONStrict(rawTarget)); err != nil {
			return 0, []string{fmt.Sprintf("targets[%d] is not a Prometheus query: %v", i, err)}
		}
		targets = append(targets, query)
	}
	return len(targets), checkPanel(panel, targets, ids)
}

// modelError is err, or nil for an empty cog.BuildErrors: the SDK returns its (empty) error list
// as an error even when it found nothing.
func modelError(err error) error {
	var buildErrors cog.BuildErrors
	if errors.As(err, &buildErrors) && len(buildErrors) == 0 {
		return nil
	}
	return err
}

func hasPrometheusDatasourceVariable(board dashboard.Dashboard) bool {
	for _, variable := range board.Templating.List {
		if variable.Name == "datasource" && variable.Type == "datasource" && variable.Query != nil &&
			variable.Query.String != nil && *variable.Query.String == "prometheus" {
			return true
		}
	}
	return false
}

func checkId(ids map[uint32]string, id uint32, title string) []string {
	if previous, taken := ids[id]; taken {
		return []string{fmt.Sprintf("panel id %d of %q is also the id of %q", id, title, previous)}
	}
	ids[id] = title
	return nil
}

// checkPanel returns the panel's problems by the project's rules.
func checkPanel(panel dashboard.Panel, targets []prometheus.Dataquery, ids map[uint32]string) []string {
	title := ""
	if panel.Title != nil {
		title = *panel.Title
	}
	var problems []string
	fail := func(format string, args ...any) {
		problems = append(problems, fmt.Sprintf("panel %q: ", title)+fmt.Sprintf(format, args...))
	}
	if title == "" {
		fail("no title")
	}
	if panel.Description == nil || *panel.Description == "" {
		fail("no description (say what it tells the operator on call)")
	}
	if panel.Id == nil {
		fail("no id")
	} else {
		problems = append(problems, checkId(ids, *panel.Id, title)...)
	}
	if panel.GridPos == nil || panel.GridPos.W == 0 || panel.GridPos.H == 0 {
		fail("no grid position with a width and a height")
	}
	if _, known := cog.ConfigForPanelcfgVariant(panel.Type); !known {
		fail("unknown panel type %q", panel.Type)
	}
	if panel.Datasource == nil || panel.Datasource.Type == nil || *panel.Datasource.Type != "prometheus" ||
		panel.Datasource.Uid == nil || *panel.Datasource.Uid != "${datasource}" {
		fail("datasource must be {type: prometheus, uid: ${datasource}}")
	}
	if len(targets) == 0 {
		fail("no queries")
	}
	refIds := map[string]bool{}
	for i, query := range targets {
		if query.Expr == "" {
			fail("query %d has no expression", i)
		}
		if query.RefId == nil || *query.RefId == "" || refIds[*query.RefId] {
			fail("query %d has no refId or the same refId as another", i)
		} else {
			refIds[*query.RefId] = true
		}
	}
	return problems
}
