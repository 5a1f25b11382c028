// Command auditlog turns kube-apiserver audit log lines (JSON, one event per
// line) into one tab-separated line per event, so shell tests can ask who
// wrote what and when with awk:
//
//	stage-ms  received-ms  user  verb  resource  namespace  name  code
//
// stage-ms and received-ms are stageTimestamp and requestReceivedTimestamp in
// milliseconds since the Unix epoch (three decimals, the log's microseconds);
// empty fields print as "-". Only events of -stage (default ResponseComplete)
// are printed; -user-prefix and -namespace narrow them further. A torn last
// line (the API server still writing it) is skipped; any other line that is
// not JSON is an error.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

type event struct {
	Stage string `json:"stage"`
	Verb  string `json:"verb"`
	User  struct {
		Username string `json:"username"`
	} `json:"user"`
	ObjectRef *struct {
		Resource    string `json:"resource"`
		Namespace   string `json:"namespace"`
		Name        string `json:"name"`
		Subresource string `json:"subresource"`
	} `json:"objectRef"`
	ResponseStatus *struct {
		Code int `json:"code"`
	} `json:"responseStatus"`
	RequestReceived string `json:"requestReceivedTimestamp"`
	StageTimestamp  string `json:"stageTimestamp"`
}

func main() {
	stage := flag.String("stage", "ResponseComplete", "audit stage to print (empty: all)")
	userPrefix := flag.String("user-prefix", "", "only events whose user.username starts with this")
	namespaces := flag.String("namespace", "", "only objects in these namespaces (comma-separated)")
	flag.Parse()
	if flag.NArg() == 0 {
		fatalf("usage: auditlog [flags] FILE...")
	}
	want := map[string]bool{}
	for _, ns := range strings.Split(*namespaces, ",") {
		if ns != "" {
			want[ns] = true
		}
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for _, name := range flag.Args() {
		if err := scan(name, out, *stage, *userPrefix, want); err != nil {
			out.Flush()
			fatalf("%s: %v", name, err)
		}
	}
}

func scan(name string, out io.Writer, stage, userPrefix string, namespaces map[string]bool) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	for lineNo := 1; ; lineNo++ {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 {
			var e event
			if jerr := json.Unmarshal(line, &e); jerr != nil {
				if err == io.EOF && line[len(line)-1] != '\n' {
					return nil // the last line is still being written
				}
				return fmt.Errorf("line %d: %v", lineNo, jerr)
			}
			if keep(&e, stage, userPrefix, namespaces) {
				fmt.Fprintln(out, format(&e))
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func keep(e *event, stage, userPrefix string, namespaces map[string]bool) bool {
	if stage != "" && e.Stage != stage {
		return false
	}
	if !strings.HasPrefix(e.User.Username, userPrefix) {
		return false
	}
	if len(namespaces) > 0 && (e.ObjectRef == nil || !namespaces[e.ObjectRef.Namespace]) {
		return false
	}
	return true
}

func format(e *event) string {
	resource, namespace, objName, code := "-", "-", "-", "-"
	if e.ObjectRef != nil {
		resource = orDash(e.ObjectRef.Resource)
		if e.ObjectRef.Subresource != "" {
			resource += "/" + e.ObjectRef.Subresource
		}
		namespace = orDash(e.ObjectRef.Namespace)
		objName = orDash(e.ObjectRef.Name)
	}
	if e.ResponseStatus != nil {
		code = fmt.Sprint(e.ResponseStatus.Code)
	}
	return strings.Join([]string{millis(e.StageTimestamp), millis(e.RequestReceived),
		orDash(e.User.Username), orDash(e.Verb), resource, namespace, objName, code}, "\t")
}

func millis(stamp string) string {
	t, err := time.Parse(time.RFC3339Nano, stamp)
	if err != nil {
		return "-"
	}
	us := t.UnixMicro()
	return fmt.Sprintf("%d.%03d", us/1000, us%1000)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "auditlog: "+format+"\n", args...)
	os.Exit(2)
}
