{{/* Chart name, overridable. */}}
{{- define "sequence-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name used as the prefix of every resource. */}}
{{- define "sequence-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "sequence-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every resource. */}}
{{- define "sequence-operator.labels" -}}
helm.sh/chart: {{ include "sequence-operator.chart" . }}
{{ include "sequence-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: operator
app.kubernetes.io/part-of: sequence-operator
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Labels that select the operator pods. */}}
{{- define "sequence-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sequence-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "sequence-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "sequence-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* repository:tag, or repository@digest when a digest is given. */}}
{{- define "sequence-operator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Checks the schema cannot express. */}}
{{- define "sequence-operator.validate" -}}
{{- if eq (int .Values.metricsPort) (int .Values.healthPort) }}
{{- fail "metricsPort and healthPort must differ" }}
{{- end }}
{{- if le (float64 .Values.alerts.nearExhaustion.criticalRatio) (float64 .Values.alerts.nearExhaustion.warningRatio) }}
{{- fail "alerts.nearExhaustion.criticalRatio must be greater than warningRatio" }}
{{- end }}
{{- end }}

{{/*
The RBAC rules the operator needs on the namespaced resources of the policies it watches, least privilege:
read the policies, write their status, read the one Secret each policy names (get only: no list, no watch, so
the operator can never enumerate Secrets), and record Events.
*/}}
{{- define "sequence-operator.policyRules" -}}
- apiGroups: ["sequences.cityforge.io"]
  resources: ["sequencesyncpolicies"]
  verbs: ["get", "list", "watch"]
- apiGroups: ["sequences.cityforge.io"]
  resources: ["sequencesyncpolicies/status"]
  verbs: ["patch", "update"]
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get"]
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- end }}

{{/*
The alerts, one definition for both the PrometheusRule and the Grafana-managed rules. `query` is the raw
PromQL (one series per alert instance); the alert fires while `query op threshold` holds for `for`.
%VALUE% in a description is replaced by each path's own way to print the query's value.
*/}}
{{- define "sequence-operator.alertDefinitions" -}}
{{- $a := .Values.alerts -}}
{{- $sequenceLabels := "namespace, policy, schema, table, column, sequence" -}}
{{- $where := `{{ $labels.schema }}.{{ $labels.table }}.{{ $labels.column }}` -}}
{{- $policy := `{{ $labels.namespace }}/{{ $labels.policy }}` -}}
alerts:
  - name: SequenceBehind
    uid: seqop-sequence-behind
    title: SequenceBehind
    anchor: sequencebehind
    query: {{ printf "max by (%s) (sequence_operator_sequence_behind)" $sequenceLabels | quote }}
    op: gt
    threshold: 0
    for: {{ $a.sequenceBehind.for }}
    severity: {{ $a.sequenceBehind.severity }}
    summary: {{ printf `Sequence {{ $labels.sequence }} is behind %s` $where | quote }}
    valueFormat: ""
    description: {{ printf `Policy %s: sequence {{ $labels.sequence }} is @VALUE@ below MAX({{ $labels.column }}) of {{ $labels.schema }}.{{ $labels.table }}; inserts that take their id from it fail with a unique-constraint error (Prisma P2002) until it is repaired.` $policy | quote }}
  - name: SequenceRepairFailing
    uid: seqop-repair-failing
    title: SequenceRepairFailing
    anchor: sequencerepairfailing
    query: {{ printf `sum by (namespace, policy) (increase(sequence_operator_repairs_total{result="failure"}[%s]))` $a.repairFailing.window | quote }}
    op: gt
    threshold: 0
    for: {{ $a.repairFailing.for }}
    severity: {{ $a.repairFailing.severity }}
    summary: {{ printf `Repairs of policy %s are failing` $policy | quote }}
    valueFormat: ""
    description: {{ printf `@VALUE@ repair(s) of policy %s failed in the last %s, so its sequences stay behind. The policy's Ready condition and Events say why: kubectl -n {{ $labels.namespace }} describe ssp {{ $labels.policy }}` $policy $a.repairFailing.window | quote }}
  - name: SequenceChecksStale
    uid: seqop-checks-stale
    title: SequenceChecksStale
    anchor: sequencechecksstale
    query: "time() - max by (namespace, policy) (sequence_operator_last_success_timestamp_seconds)"
    op: gt
    threshold: {{ $a.checksStale.afterSeconds }}
    for: {{ $a.checksStale.for }}
    severity: {{ $a.checksStale.severity }}
    summary: {{ printf `Policy %s has not been checked successfully for too long` $policy | quote }}
    valueFormat: humanize
    description: {{ printf `The last successful check of policy %s was @VALUE@ s ago (threshold %d s, three check intervals): drift in its database would go unnoticed.` $policy (int $a.checksStale.afterSeconds) | quote }}
  - name: SequenceOperatorAbsent
    uid: seqop-absent
    title: SequenceOperatorAbsent
    anchor: sequenceoperatorabsent
    query: "sum(sequence_operator_leader) or vector(0)"
    op: lt
    threshold: 1
    for: {{ $a.operatorAbsent.for }}
    severity: {{ $a.operatorAbsent.severity }}
    summary: "SequenceOperator is not running, not scraped, or has no leader"
    valueFormat: ""
    description: "No operator instance reports itself leader (sequence_operator_leader is absent or 0): no policy is being checked or repaired."
{{- range $level := list "warning" "critical" }}
{{- $ratio := ternary $a.nearExhaustion.warningRatio $a.nearExhaustion.criticalRatio (eq $level "warning") }}
  - name: SequenceNearExhaustion
    uid: seqop-near-exhaustion-{{ $level }}
    title: SequenceNearExhaustion{{ ternary "" "Critical" (eq $level "warning") }}
    anchor: sequencenearexhaustion
    query: {{ printf "max by (%s) (sequence_operator_sequence_capacity_used_ratio)" $sequenceLabels | quote }}
    op: gt
    threshold: {{ $ratio }}
    for: {{ $a.nearExhaustion.for }}
    severity: {{ $level }}
    summary: {{ printf `Sequence {{ $labels.sequence }} has used over %v %% of its range` (round (mulf $ratio 100) 2) | quote }}
    valueFormat: humanizePercentage
    description: {{ printf `Sequence {{ $labels.sequence }} (policy %s, column %s) has handed out @VALUE@ of its range; inserts fail once it is exhausted. Plan the move to bigint (or a larger MAXVALUE).` $policy $where | quote }}
{{- end }}
  - name: SequenceDriftRecurring
    uid: seqop-drift-recurring
    title: SequenceDriftRecurring
    anchor: sequencedriftrecurring
    {{- /* increase() extrapolates (2 drifts can read 2.01): round() gives the count, so "> n-1" means "at least n". */}}
    query: {{ printf "round(sum by (namespace, policy, schema, table, column) (increase(sequence_operator_drift_detected_total[%s])))" $a.driftRecurring.window | quote }}
    op: gt
    threshold: {{ sub (int $a.driftRecurring.minTransitions) 1 }}
    for: {{ $a.driftRecurring.for }}
    severity: {{ $a.driftRecurring.severity }}
    summary: {{ printf `The sequence of %s keeps falling behind its data` $where | quote }}
    valueFormat: ""
    description: {{ printf `Policy %s: the sequence of %s fell behind its data @VALUE@ times in the last %s, though it was repaired or back in sync in between. Something keeps writing ids the sequence did not hand out (an import, a restore, a job): kubectl -n {{ $labels.namespace }} describe ssp {{ $labels.policy }} shows lastDriftTime and explicitIdRows, and the runbook says how to find the writer.` $policy $where $a.driftRecurring.window | quote }}
{{- $within := $a.exhaustionForecast.within }}
{{- $seconds := mul (regexFind "^[0-9]+" $within | int) (get (dict "m" 60 "h" 3600 "d" 86400 "w" 604800) (regexFind "[a-z]+$" $within)) }}
  - name: SequenceExhaustionForecast
    uid: seqop-exhaustion-forecast
    title: SequenceExhaustionForecast
    anchor: sequenceexhaustionforecast
    query: {{ printf "min by (%s) (sequence_operator_sequence_exhaustion_timestamp_seconds) - time()" $sequenceLabels | quote }}
    op: lt
    threshold: {{ $seconds }}
    for: {{ $a.exhaustionForecast.for }}
    severity: {{ $a.exhaustionForecast.severity }}
    summary: {{ printf `Sequence {{ $labels.sequence }} runs out within %s at its current rate` $within | quote }}
    valueFormat: humanizeDuration
    description: {{ printf `At the rate it handed out values over the last 24 h, sequence {{ $labels.sequence }} (policy %s, column %s) runs out in @VALUE@; from then on every insert that takes its id from it fails. Move the column and the sequence to bigint; the runbook says how without a long lock.` $policy $where | quote }}
{{- end }}

{{/*
An alert's description with @VALUE@ replaced. Call with (dict "alert" $alert "value" "$value") for Prometheus
or "value" "$values.A.Value" for Grafana.
*/}}
{{- define "sequence-operator.alertDescription" -}}
{{- $value := .value }}
{{- if .alert.valueFormat }}
{{- $value = printf "%s | %s" .value .alert.valueFormat }}
{{- end }}
{{- .alert.description | replace "@VALUE@" (printf "{{ %s }}" $value) }}
{{- end }}

{{/* The runbook URL of one alert. */}}
{{- define "sequence-operator.runbookUrl" -}}
{{- printf "%s#%s" .root.Values.alerts.runbookBaseUrl .alert.anchor }}
{{- end }}
