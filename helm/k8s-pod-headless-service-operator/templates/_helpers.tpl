{{/* Names and labels shared by the templates. */}}

{{- define "hso.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "hso.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* A name with a suffix, kept within 63 characters. */}}
{{- define "hso.suffixed" -}}
{{- $root := index . 0 -}}
{{- $suffix := index . 1 -}}
{{- printf "%s-%s" (include "hso.fullname" $root | trunc (int (sub 62 (len $suffix))) | trimSuffix "-") $suffix -}}
{{- end -}}

{{- define "hso.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "hso.selectorLabels" -}}
app.kubernetes.io/name: {{ include "hso.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{/*
Common labels. managed-by is Helm's: never the operator's own value, or the operator would take
the chart's metrics Service for one of its own.
*/}}
{{- define "hso.labels" -}}
helm.sh/chart: {{ include "hso.chart" . }}
app.kubernetes.io/name: {{ include "hso.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "hso.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "hso.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "hso.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "hso.leaseName" -}}
{{- default "k8s-pod-headless-service-operator" .Values.leaderElection.id -}}
{{- end -}}

{{/* The job label Prometheus gives the scraped series: the metrics Service's name. */}}
{{- define "hso.metricsServiceName" -}}
{{- include "hso.suffixed" (list . "metrics") -}}
{{- end -}}

{{/* Rules of the operator's work in the watched namespaces (ClusterRole or per-namespace Role). */}}
{{- define "hso.workRules" -}}
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list, watch]
- apiGroups: [""]
  resources: [services]
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [get, list, watch, create, update, patch, delete]
{{- if .Values.legacyEndpoints }}
# --legacy-endpoints writes core/v1 Endpoints (and --adopt-legacy deletes the original's).
- apiGroups: [""]
  resources: [endpoints]
  verbs: [get, list, watch, create, update, patch, delete]
{{- else if .Values.adoptLegacy }}
# --adopt-legacy deletes the original Go operator's unlabelled Endpoints.
- apiGroups: [""]
  resources: [endpoints]
  verbs: [get, list, watch, delete]
{{- end }}
- apiGroups: [events.k8s.io]
  resources: [events]
  verbs: [get, create, patch]
{{- end -}}

{{/* Fail early on values the operator would refuse. */}}
{{- define "hso.validate" -}}
{{- range .Values.watchNamespaces -}}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" .) -}}
{{- fail (printf "watchNamespaces: %q is not a valid namespace name" .) -}}
{{- end -}}
{{- end -}}
{{- if and .Values.namespaceSelector .Values.watchNamespaces -}}
{{- fail "namespaceSelector selects among all namespaces: it needs watchNamespaces empty" -}}
{{- end -}}
{{- if and .Values.metrics.certSecret (not .Values.metrics.secure) -}}
{{- fail "metrics.certSecret needs metrics.secure=true" -}}
{{- end -}}
{{- if and (not .Values.metrics.enabled) (or .Values.metrics.serviceMonitor.enabled .Values.metrics.prometheusRule.enabled) -}}
{{- fail "metrics.serviceMonitor and metrics.prometheusRule need metrics.enabled=true" -}}
{{- end -}}
{{- end -}}
