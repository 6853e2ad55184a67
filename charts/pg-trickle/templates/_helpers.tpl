{{/* Chart name, overridable. */}}
{{- define "pg-trickle.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-qualified name; the release name alone when it already contains the chart name. */}}
{{- define "pg-trickle.fullname" -}}
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

{{/* Name of the operator's Deployment, Service, Roles and bindings: pg-trickle-operator by default. */}}
{{- define "pg-trickle.operatorName" -}}
{{- printf "%s-operator" (include "pg-trickle.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "pg-trickle.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "pg-trickle.operatorName" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "pg-trickle.selectorLabels" -}}
app.kubernetes.io/name: {{ include "pg-trickle.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{- define "pg-trickle.labels" -}}
{{ include "pg-trickle.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "pg-trickle.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/*
Leader election is on when asked for, and must be with more than one replica: two operators
reconciling the same clusters at once would fight over every child.
*/}}
{{- define "pg-trickle.leaderElection" -}}
{{- if and (gt (int .Values.replicaCount) 1) (not .Values.leaderElection.enabled) }}
{{- fail "leaderElection.enabled must be true when replicaCount is greater than 1" }}
{{- end }}
{{- if .Values.leaderElection.enabled }}true{{ else }}false{{ end }}
{{- end }}

{{/*
What the operator does in the namespaces it watches, derived from its code
(operator/src/main/java/io/pgtrickle/operator). JOSDK keeps an informer (list, watch) on the
PostgresClusters, the StreamTableClusters and on every child type, and applies children with server-side apply (patch;
create when the object does not exist yet). Nothing here is updated with a plain update, except
through subresources.
*/}}
{{- define "pg-trickle.namespacedRules" -}}
# PostgresClusters: watched; finalizer added by server-side apply and removed by a JSON patch.
- apiGroups: ["postgres.example.com"]
  resources: ["postgresclusters"]
  verbs: ["get", "list", "watch", "patch"]
# Status written by server-side apply on the status subresource.
- apiGroups: ["postgres.example.com"]
  resources: ["postgresclusters/status"]
  verbs: ["patch"]
# Owner references with blockOwnerDeletion on the children need this where the
# OwnerReferencesPermissionEnforcement admission plugin is on (OpenShift, for example).
- apiGroups: ["postgres.example.com"]
  resources: ["postgresclusters/finalizers"]
  verbs: ["update"]
# The StatefulSet of PostgreSQL members, the PodDisruptionBudget, the Services.
- apiGroups: ["apps"]
  resources: ["statefulsets"]
  verbs: ["get", "list", "watch", "create", "patch"]
- apiGroups: ["policy"]
  resources: ["poddisruptionbudgets"]
  verbs: ["get", "list", "watch", "create", "patch"]
- apiGroups: [""]
  resources: ["serviceaccounts"]
  verbs: ["get", "list", "watch", "create", "patch"]
# The Services; delete for NAME-pooler when spec.pgbouncer.enabled is turned off.
- apiGroups: [""]
  resources: ["services"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
# The pgBackRest repository volume of spec.backup.destination.type PVC (NAME-pgbackrest-repo):
# created once, never deleted by the operator (backups outlive their cluster). patch: volume
# expansion, the only change made to a claim (its storage request raised when spec.storage.size,
# or destination.size, grows); the members' claims come from the StatefulSet.
- apiGroups: [""]
  resources: ["persistentvolumeclaims"]
  verbs: ["get", "create", "patch"]
# Secrets users see (NAME-credentials, NAME-replication) are generated once and never changed by
# the operator: no update, no delete (the garbage collector removes them with their cluster).
# patch: its own record NAME-applied-credentials, written by server-side apply when a user
# changes a password. The informer has no label selector so that a Secret the user made
# beforehand is found, hence list and watch on all Secrets.
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "list", "watch", "create", "patch"]
# ConfigMaps: its own two, plus Patroni's DCS ConfigMaps, deleted as a collection by label on
# cluster deletion. update and delete are not used by the operator itself: it holds them because
# it grants them to Patroni's Role, and the API server lets nobody grant more than they hold.
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["get", "list", "watch", "create", "patch", "update", "delete", "deletecollection"]
# Pods: watched; deleted for ordered restarts; resized in place. patch and update are granted
# to Patroni (role labels), hence held.
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list", "watch", "patch", "update", "delete"]
- apiGroups: [""]
  resources: ["pods/resize"]
  verbs: ["update"]
# Patroni's Role and RoleBinding, created per PostgresCluster.
- apiGroups: ["rbac.authorization.k8s.io"]
  resources: ["roles", "rolebindings"]
  verbs: ["get", "list", "watch", "create", "patch"]
# Events on PostgresClusters (ClusterReady, Failover, Scaling, ...) and StreamTableClusters; list
# and watch for the StatefulSet controller's FailedCreate Events, its only report of a pod it
# cannot create.
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "list", "watch"]
# PostgresBackups: watched; the trigger annotation removed (JSON patch) once acted on; status
# written by server-side apply; NAME-schedule (spec.backup.schedule) created by server-side apply
# and deleted when the schedule goes.
- apiGroups: ["postgres.example.com"]
  resources: ["postgresbackups"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["postgres.example.com"]
  resources: ["postgresbackups/status"]
  verbs: ["patch"]
# pgBackRest's short commands in the primary's PostgreSQL container (info, expire after a backup,
# the streaming replicas for backupFromReplica); the backups themselves run as Jobs.
- apiGroups: [""]
  resources: ["pods/exec"]
  verbs: ["create"]
# StreamTableClusters: watched; finalizer and status as for PostgresClusters.
- apiGroups: ["trickle-labs.io"]
  resources: ["streamtableclusters"]
  verbs: ["get", "list", "watch", "patch"]
- apiGroups: ["trickle-labs.io"]
  resources: ["streamtableclusters/status"]
  verbs: ["patch"]
- apiGroups: ["trickle-labs.io"]
  resources: ["streamtableclusters/finalizers"]
  verbs: ["update"]
# The workers' Deployment (the CDC consumers' StatefulSet is covered above).
- apiGroups: ["apps"]
  resources: ["deployments"]
  verbs: ["get", "list", "watch", "create", "patch"]
# The workers' HorizontalPodAutoscaler; deleted when spec.workers.autoscaler becomes none.
- apiGroups: ["autoscaling"]
  resources: ["horizontalpodautoscalers"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
# Decommission Jobs dropping a removed CDC consumer's replication slot; deleted once done (their
# pods with them, by the garbage collector). Backup Jobs of PostgresBackups (one-off and
# triggered), watched for their outcome; their pods are read (list above) for a failure's reason.
- apiGroups: ["batch"]
  resources: ["jobs"]
  verbs: ["get", "list", "watch", "create", "delete"]
# The CronJob of a scheduled PostgresBackup: server-side applied, deleted when the schedule goes.
- apiGroups: ["batch"]
  resources: ["cronjobs"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
# ServiceMonitors (Prometheus Operator) for spec.monitoring.serviceMonitor; whether their CRD exists
# is read from API discovery, which needs no rule.
- apiGroups: ["monitoring.coreos.com"]
  resources: ["servicemonitors"]
  verbs: ["get", "create", "patch", "delete"]
# The PodMonitor of a PostgresCluster with spec.metrics.enabled (server-side applied); deleted when
# metrics are turned off.
- apiGroups: ["monitoring.coreos.com"]
  resources: ["podmonitors"]
  verbs: ["get", "create", "patch", "delete"]
# cert-manager Certificates for spec.tls.certManager; deleted when certManager is removed.
- apiGroups: ["cert-manager.io"]
  resources: ["certificates"]
  verbs: ["get", "create", "patch", "delete"]
# The workers' KEDA ScaledObject for spec.workers.autoscaler keda; deleted when it changes.
- apiGroups: ["keda.sh"]
  resources: ["scaledobjects"]
  verbs: ["get", "create", "patch", "delete"]
{{- end }}

{{/* The metrics adapter's Deployment, Service, ServiceAccount, Roles: pg-trickle-metrics-adapter by default. */}}
{{- define "pg-trickle.adapterName" -}}
{{- printf "%s-metrics-adapter" (include "pg-trickle.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "pg-trickle.adapterSelectorLabels" -}}
app.kubernetes.io/name: {{ include "pg-trickle.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: metrics-adapter
{{- end }}

{{- define "pg-trickle.adapterLabels" -}}
{{ include "pg-trickle.adapterSelectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "pg-trickle.adapterTlsSecret" -}}
{{- default (printf "%s-tls" (include "pg-trickle.adapterName" .)) .Values.metricsAdapter.tls.existingSecret }}
{{- end }}

{{/* The APIService names, one per served version: v1beta2.custom.metrics.k8s.io, ... */}}
{{- define "pg-trickle.adapterApiServices" -}}
{{- $names := list }}
{{- range .Values.metricsAdapter.apiVersions }}
{{- if not (has . (list "v1beta2" "v1beta1")) }}
{{- fail (printf "metricsAdapter.apiVersions: %s is not a custom.metrics.k8s.io version the adapter serves (v1beta2, v1beta1)" .) }}
{{- end }}
{{- $names = append $names (printf "%s.custom.metrics.k8s.io" .) }}
{{- end }}
{{- join "," $names }}
{{- end }}
