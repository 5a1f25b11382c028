#!/usr/bin/env bash
# Issue 12: the checkers the ecosystem runs on charts and manifests, on what we ship. Needs no
# cluster, only helm on PATH (hack/local-cluster.sh env) and the lint tools of
# hack/build-lint-tools.sh (built on first use, then cached).
#  1. kube-score on manifests/ and on the chart rendered with default values and each ci/ file:
#     no warning or critical beyond the checks hack/kube-score-ignores.txt names, with reasons;
#  2. helm-unittest: the chart's unit tests (helm/*/tests/);
#  3. ct lint (chart-testing, with Debian's yamllint) on the chart and each ci/ values file;
#  4. Artifact Hub: the artifacthub.io annotations are there (the image is the one deployed), and the chart's
#     README.md is what helm-docs makes from values.yaml today;
#  5. values.schema.json: helm template and helm lint with a bad value fail on the schema, and the
#     message names the value;
#  6. the Grafana dashboard is a valid dashboard model (dashboard-check, on the Grafana
#     Foundation SDK), the chart's copy is the same file, it uses only metrics the operator
#     exports, and METRICS.md shows every panel's queries.
e2e_dir=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source=lib/common.sh
source "${e2e_dir}/lib/common.sh"

CHART=${HSO_SOURCE_DIR}/helm/k8s-pod-headless-service-operator
DASHBOARD=${HSO_SOURCE_DIR}/dashboards/k8s-pod-headless-service-operator.json

# No cluster and no namespaces: only a state folder, and common.sh's summary.
lint_init() {
  E2E_STATE=$(mktemp -d "${TMPDIR:-/tmp}/hso-e2e-lint.XXXXXX")
  : >"${E2E_STATE}/namespaces"
  trap 'rc=$?; if ((rc == 0)); then rm -rf "${E2E_STATE}"; else say "state kept in ${E2E_STATE}"; fi' EXIT
  local tool
  for tool in helm yamllint git jq promtool; do
    command -v "${tool}" >/dev/null || fail "${tool} is not on PATH (hack/install-deps.sh; eval \"\$(hack/local-cluster.sh env)\")"
  done
  LINT_BIN=$("${HSO_SOURCE_DIR}/hack/build-lint-tools.sh") || fail "hack/build-lint-tools.sh failed"
  say "lint tools: $(paste -sd ' ' "${LINT_BIN}/VERSIONS")"
}

# render NAME [HELM_ARGS...]: the chart rendered into $E2E_STATE/NAME.yaml.
render() {
  local name=$1
  shift
  helm template hso "${CHART}" --namespace operators "$@" >"${E2E_STATE}/${name}.yaml" \
    || fail "helm template $*"
}

# input_name FILE: a repository path, or "chart with <values>" for a rendered chart.
input_name() {
  case "$1" in
    "${E2E_STATE}"/*) printf 'chart with %s\n' "$(basename "$1" .yaml | sed 's/^default$/default values/')" ;;
    *) printf '%s\n' "${1#"${HSO_SOURCE_DIR}"/}" ;;
  esac
}

# Case 1: kube-score.
case_1() {
  local ignores=() ignored check name file out failing
  ignored=$(awk '!/^#/ && NF { print $1 }' "${HSO_SOURCE_DIR}/hack/kube-score-ignores.txt")
  [[ -n "${ignored}" ]] || fail "hack/kube-score-ignores.txt names no check"
  for check in ${ignored}; do ignores+=(--ignore-test "${check}"); done
  render default
  for file in "${CHART}"/ci/*-values.yaml; do
    name=$(basename "${file}" .yaml)
    render "${name}" -f "${file}"
  done
  local inputs=("${HSO_SOURCE_DIR}"/manifests/*.yaml "${HSO_SOURCE_DIR}"/manifests/namespaced/*.yaml
    "${E2E_STATE}"/*.yaml)
  : >"${E2E_STATE}/failing-checks"
  for file in "${inputs[@]}"; do
    [[ "$(basename "${file}")" == kustomization.yaml ]] && continue
    # kube-score's own verdict with the ignores: exit 0, no warning either.
    out=$("${LINT_BIN}/kube-score" score --output-format ci --exit-one-on-warning "${ignores[@]}" "${file}" 2>&1) \
      || fail "kube-score on $(input_name "${file}"):"$'\n'"$(grep -E '^\[(CRITICAL|WARNING)\]' <<<"${out}" || printf '%s' "${out}")"
    say "kube-score $(input_name "${file}"): $(grep -c '^\[OK\]' <<<"${out}") checks OK, no warning"
    # Without the ignores: which checks fail, so that every ignore is shown to be still needed.
    "${LINT_BIN}/kube-score" score --output-format json "${file}" 2>/dev/null \
      | jq -r '.[]?.checks[]? | select(.skipped == false and .grade < 10) | .check.id' >>"${E2E_STATE}/failing-checks" || true
  done
  failing=$(sort -u "${E2E_STATE}/failing-checks" | paste -sd ' ' -)
  say "checks failing without the ignores: ${failing:-none}"
  for check in ${ignored}; do
    [[ " ${failing} " == *" ${check} "* ]] \
      || fail "kube-score check ${check} is ignored but nothing fails it: take it off hack/kube-score-ignores.txt"
  done
}

# Case 2: helm-unittest, as a helm plugin from a private HELM_PLUGINS folder.
case_2() {
  local out
  out=$(HELM_PLUGINS="${LINT_BIN}/helm-plugins" helm unittest --color=false "${CHART}" 2>&1) \
    || fail "helm unittest:"$'\n'"${out}"
  say "helm unittest: $(grep -E '^(Charts|Test Suites|Tests):' <<<"${out}" | paste -sd ' ' -)"
  grep -Eq '^Tests: +[1-9][0-9]* passed' <<<"${out}" || fail "helm unittest ran no test: ${out}"
}

# Case 3: ct lint.
case_3() {
  local out
  out=$(cd "${HSO_SOURCE_DIR}" && "${LINT_BIN}/ct" lint --config hack/ct/ct.yaml 2>&1) \
    || fail "ct lint:"$'\n'"${out}"
  grep -q 'All charts linted successfully' <<<"${out}" || fail "ct lint did not lint the chart: ${out}"
  say "ct lint: $(grep -c 'Linting chart with values file' <<<"${out}") values files, all linted successfully"
}

# Case 4: Artifact Hub's conventions.
case_4() {
  local annotations key
  annotations=$(helm show chart "${CHART}" | chart_annotations)
  for key in images license links operator operatorCapabilities; do
    grep -q "^artifacthub.io/${key}=" <<<"${annotations}" || fail "Chart.yaml has no artifacthub.io/${key} annotation"
  done
  grep -qx 'artifacthub.io/operator=true' <<<"${annotations}" || fail "artifacthub.io/operator is not \"true\""
  grep -Eqx 'artifacthub.io/operatorCapabilities=(Basic Install|Seamless Upgrades|Full Lifecycle|Deep Insights|Auto Pilot)' \
    <<<"${annotations}" || fail "artifacthub.io/operatorCapabilities is not one of Artifact Hub's five levels"
  # The image named for Artifact Hub is the one the chart deploys by default.
  local image
  image=$(awk '$1 == "image:" { print $2 }' "${E2E_STATE}/default.yaml" 2>/dev/null | tr -d '"' | head -n 1)
  [[ -n "${image}" ]] || { render default && image=$(awk '$1 == "image:" { print $2 }' "${E2E_STATE}/default.yaml" | tr -d '"' | head -n 1); }
  assert_contains "$(helm show chart "${CHART}")" "image: ${image}" "artifacthub.io/images"
  # README.md is current: helm-docs on a copy of the chart gives the same file.
  cp -r "${CHART}" "${E2E_STATE}/chart"
  (cd "${E2E_STATE}" && "${LINT_BIN}/helm-docs" --chart-search-root chart --template-files README.md.gotmpl \
    --sort-values-order file >/dev/null 2>&1) || fail "helm-docs failed"
  diff -u "${CHART}/README.md" "${E2E_STATE}/chart/README.md" >&2 \
    || fail "helm/$(basename "${CHART}")/README.md is out of date: run hack/chart-docs.sh"
  # Every value of values.yaml has a description in the README.
  local undocumented
  undocumented=$(awk -F '|' '/^\| [a-zA-Z]/ && $5 ~ /^ *$/ { print $2 }' "${CHART}/README.md")
  [[ -z "${undocumented}" ]] || fail "values without a description (a '# --' comment) in values.yaml: ${undocumented}"
  say "README.md lists $(grep -c '^| [a-zA-Z]' "${CHART}/README.md") values, each described"
}

# chart_annotations: Chart.yaml on stdin -> "key=value" per annotation (value's first line).
chart_annotations() {
  awk '/^annotations:/ { in_a = 1; next }
       in_a && /^[^ ]/ { in_a = 0 }
       in_a && /^  [a-zA-Z]/ { line = $0; sub(/^  /, "", line); k = line; sub(/:.*/, "", k);
                               v = line; sub(/^[^:]*: */, "", v); gsub(/"/, "", v); print k "=" v }'
}

# schema_refuses WHAT PATH HELM_ARGS...: helm template and helm lint both fail on the schema,
# and the message names PATH.
schema_refuses() {
  local what=$1 path=$2 out
  shift 2
  if out=$(helm template hso "${CHART}" "$@" 2>&1); then fail "helm template accepts ${what}"; fi
  assert_contains "${out}" "values don't meet the specifications of the schema" "helm template's error for ${what}"
  assert_contains "${out}" "${path}" "helm template's error for ${what}"
  if out=$(helm lint "${CHART}" "$@" 2>&1); then fail "helm lint accepts ${what}"; fi
  assert_contains "${out}" "${path}" "helm lint's error for ${what}"
  say "${what}: $(grep -m 1 -- "${path}" <<<"${out}" | sed 's/^[[:space:]]*//')"
}

# Case 5: bad values fail on the schema, naming the value.
case_5() {
  schema_refuses "workers=0" "/workers" --set workers=0
  schema_refuses "a misspelt key (replicas)" "replicas" --set replicas=3
  schema_refuses "image.pullPolicy=Sometimes" "/image/pullPolicy" --set image.pullPolicy=Sometimes
  schema_refuses "leaderElection.leaseDuration=fifteen" "/leaderElection/leaseDuration" \
    --set leaderElection.leaseDuration=fifteen
  schema_refuses "grafanaDashboard.enabled=maybe" "/grafanaDashboard/enabled" --set-string grafanaDashboard.enabled=maybe
}

# Case 6: the Grafana dashboard.
case_6() {
  local out chart_copy="${CHART}/dashboards/$(basename "${DASHBOARD}")"
  out=$("${LINT_BIN}/dashboard-check" "${DASHBOARD}" 2>&1) || fail "dashboard-check:"$'\n'"${out}"
  say "${out#"${HSO_SOURCE_DIR}"/}"
  cmp -s "${DASHBOARD}" "${chart_copy}" \
    || fail "the chart's dashboard differs from dashboards/: cp ${DASHBOARD#"${HSO_SOURCE_DIR}"/} ${chart_copy#"${HSO_SOURCE_DIR}"/}"
  # Negative control: the checker refuses a panel option of the wrong type and an unknown field.
  jq '.panels[1].options.legend.showLegend = "yes"' "${DASHBOARD}" >"${E2E_STATE}/bad-option.json"
  if "${LINT_BIN}/dashboard-check" "${E2E_STATE}/bad-option.json" >/dev/null 2>&1; then
    fail "dashboard-check accepts a legend option of the wrong type"
  fi
  jq '.panels[1].gridPoz = .panels[1].gridPos' "${DASHBOARD}" >"${E2E_STATE}/bad-field.json"
  if "${LINT_BIN}/dashboard-check" "${E2E_STATE}/bad-field.json" >/dev/null 2>&1; then
    fail "dashboard-check accepts an unknown panel field"
  fi
  # Every query parses as PromQL once Grafana's variables are filled in (promtool, as recording
  # rules; the e2e test runs them against a real Prometheus).
  jq -r '"groups:\n  - name: dashboard\n    rules:",
    (.panels[] | select(.type != "row") | .id as $id | .targets[]
      | "      - record: dashboard:panel_\($id)_\(.refId)\n        expr: \(.expr | gsub("\\$__rate_interval"; "5m")
          | gsub("\\$job"; "operator") | gsub("\\$instance"; ".+") | tojson)")' "${DASHBOARD}" \
    >"${E2E_STATE}/dashboard-rules.yml"
  out=$(promtool check rules "${E2E_STATE}/dashboard-rules.yml" 2>&1) || fail "promtool check rules on the dashboard's queries:"$'\n'"${out}"
  say "promtool: $(grep -o 'SUCCESS: [0-9]* rules found' <<<"${out}")"
  # Only metrics the operator exports: each name is in METRICS.md and in src/metrics/.
  local metric short metrics_md="${HSO_SOURCE_DIR}/METRICS.md"
  for metric in $(jq -r '.panels[].targets[]?.expr' "${DASHBOARD}" \
    | grep -oE '\b(headless_service_operator_|leader_election_|process_)[a-z_]+' | sort -u); do
    metric=${metric%_bucket}
    grep -q "\`${metric}\`" "${metrics_md}" || fail "the dashboard's metric ${metric} is not in METRICS.md"
    short=${metric#headless_service_operator_}
    grep -rqF "\"${short}\"" "${HSO_SOURCE_DIR}/src/metrics/" \
      || fail "the dashboard's metric ${metric} is not made in src/metrics/"
  done
  # METRICS.md shows each panel with its queries.
  local title expr
  while IFS=$'\t' read -r title expr; do
    grep -qxF "#### ${title}" "${metrics_md}" || fail "METRICS.md has no heading for the panel '${title}'"
    grep -qxF "${expr}" "${metrics_md}" || fail "METRICS.md does not show the query of '${title}': ${expr}"
  done < <(jq -r '.panels[] | select(.type != "row") | .title as $t | .targets[] | [$t, .expr] | @tsv' "${DASHBOARD}")
  say "dashboard: every metric exported, every panel's queries in METRICS.md"
}

lint_init
run_case 1 "kube-score: manifests and the rendered chart" case_1
run_case 2 "helm-unittest: the chart's unit tests" case_2
run_case 3 "ct lint with yamllint" case_3
run_case 4 "Artifact Hub annotations; README.md current with helm-docs" case_4
run_case 5 "values.schema.json refuses bad values, naming them" case_5
run_case 6 "Grafana dashboard: valid model, real metrics, documented queries" case_6
e2e_finish
