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
	if err := board.UnmarshalJSONStrict(raw); err != nil {
		return []string{"not a valid dashboard model: " + err.Error()}, ""
	}
	if err := board.Validate(); err != nil {
		return []string{"dashboard model validation: " + err.Error()}, ""
	}
	var problems []string
	if board.Uid == nil || *board.Uid == "" || board.Title == nil || *board.Title == "" {
		problems = append(problems, "the dashboard needs a uid and a title")
	}
	if !hasPrometheusDatasourceVariable(board) {
		problems = append(problems, "no templating variable 'datasource' of type datasource/prometheus")
	}
	ids := map[uint32]string{}
	panels, queries := 0, 0
	for _, entry := range board.Panels {
		if entry.RowPanel != nil {
			problems = append(problems, checkId(ids, entry.RowPanel.Id, "row")...)
			continue
		}
		if entry.Panel == nil {
			problems = append(problems, "an entry of panels is neither a panel nor a row")
			continue
		}
		panels++
		found, panelProblems := checkPanel(*entry.Panel, ids)
		queries += found
		problems = append(problems, panelProblems...)
	}
	if panels == 0 {
		problems = append(problems, "no panels")
	}
	return problems, fmt.Sprintf("valid dashboard model, %d panels, %d queries", panels, queries)
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

// checkPanel returns the number of queries of the panel and its problems.
func checkPanel(panel dashboard.Panel, ids map[uint32]string) (int, []string) {
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
	if len(panel.Targets) == 0 {
		fail("no queries")
	}
	refIds := map[string]bool{}
	for i, target := range panel.Targets {
		query, ok := target.(*prometheus.Dataquery)
		if !ok {
			fail("query %d is not a Prometheus query", i)
			continue
		}
		if query.Expr == "" {
			fail("query %d has no expression", i)
		}
		if query.RefId == nil || *query.RefId == "" || refIds[*query.RefId] {
			fail("query %d has no refId or the same refId as another", i)
		} else {
			refIds[*query.RefId] = true
		}
	}
	return len(panel.Targets), problems
}
