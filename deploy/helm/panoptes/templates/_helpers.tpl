{{/* Names are cut at 63 characters (DNS labels). */}}
{{- define "panoptes.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "panoptes.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{ include "panoptes.metaLabels" . }}
{{- end -}}

{{/* The labels that are not selector labels. */}}
{{- define "panoptes.metaLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one component: (dict "ctx" $ "component" "ingester"). */}}
{{- define "panoptes.selectorLabels" -}}
app.kubernetes.io/name: {{ .ctx.Chart.Name }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "panoptes.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* Effective backing-service endpoints: a dev instance wins over the external value. */}}
{{- define "panoptes.redisEndpoint" -}}
{{- if .Values.dev.redis.enabled -}}
{{ include "panoptes.fullname" . }}-dev-redis:6379
{{- else -}}
{{ .Values.redis.endpoint }}
{{- end -}}
{{- end -}}

{{- define "panoptes.kafkaBrokers" -}}
{{- if .Values.dev.kafka.enabled -}}
{{ include "panoptes.fullname" . }}-dev-kafka:9092
{{- else -}}
{{ join "," .Values.kafka.brokers }}
{{- end -}}
{{- end -}}

{{- define "panoptes.storageBackend" -}}
{{- if .Values.dev.minio.enabled -}}s3{{- else -}}{{ .Values.storage.backend }}{{- end -}}
{{- end -}}

{{- define "panoptes.s3Endpoint" -}}
{{- if .Values.dev.minio.enabled -}}
http://{{ include "panoptes.fullname" . }}-dev-minio:9000
{{- else -}}
{{ .Values.storage.s3.endpoint }}
{{- end -}}
{{- end -}}

{{/* The Secret holding the S3 keys (accessKeyId, secretAccessKey) and the Redis password. */}}
{{- define "panoptes.s3Secret" -}}
{{- if and .Values.storage.s3.existingSecret (not .Values.dev.minio.enabled) -}}
{{ .Values.storage.s3.existingSecret }}
{{- else -}}
{{ include "panoptes.fullname" . }}-credentials
{{- end -}}
{{- end -}}

{{- define "panoptes.redisSecret" -}}
{{- if and .Values.redis.existingSecret (not .Values.dev.redis.enabled) -}}
{{ .Values.redis.existingSecret }}
{{- else -}}
{{ include "panoptes.fullname" . }}-credentials
{{- end -}}
{{- end -}}

{{/* Microservices need shared backing services: fail early with what to set. */}}
{{- define "panoptes.validate" -}}
{{- if eq .Values.mode "microservices" -}}
{{- if ne (include "panoptes.storageBackend" .) "s3" -}}
{{- fail "mode=microservices needs shared object storage: set storage.backend=s3 with storage.s3.*, or dev.minio.enabled=true" -}}
{{- end -}}
{{- if not (include "panoptes.redisEndpoint" .) -}}
{{- fail "mode=microservices keeps its rings in Redis: set redis.endpoint (host:port), or dev.redis.enabled=true" -}}
{{- end -}}
{{- if and (eq .Values.ingestMode "kafka") (not (include "panoptes.kafkaBrokers" .)) -}}
{{- fail "ingestMode=kafka needs Kafka: set kafka.brokers (host:port list), or dev.kafka.enabled=true, or ingestMode=classic" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
The Panoptes configuration file, generated from the values; .Values.config is merged over it.
Secrets stay out of the ConfigMap: they are passed as flags (panoptes.secretArgs) from the
credentials Secret through the pods' environment.
*/}}
{{- define "panoptes.config" -}}
{{- $micro := eq .Values.mode "microservices" -}}
{{- $full := include "panoptes.fullname" . -}}
{{- $http := int .Values.server.httpPort -}}
{{- $grpc := int .Values.server.grpcPort -}}
{{- $backend := include "panoptes.storageBackend" . -}}
{{- $cfg := dict
  "auth" (dict "multitenancy_enabled" .Values.multitenancy.enabled "no_auth_tenant" .Values.multitenancy.noAuthTenant)
  "server" (dict "http_listen_port" $http "grpc_listen_port" $grpc "log_level" .Values.server.logLevel "log_format" .Values.server.logFormat)
  "runtime_config" (dict "file" "/etc/panoptes/runtime/overrides.yaml")
  "blocks_storage" (dict "tsdb" (dict "dir" "/data/tsdb"))
  "querier" (dict "sync_dir" "/data/tsdb-sync")
  "compactor" (dict "data_dir" "/data/compactor")
  "ingest_storage" (dict "in_process" (dict "dir" "/data/ingest"))
  "common" (dict "storage" (dict "backend" $backend "filesystem" (dict "dir" "/data/objects")))
-}}
{{- if eq $backend "s3" -}}
{{- $_ := set $cfg.common.storage "s3" (dict
  "endpoint" (include "panoptes.s3Endpoint" .)
  "region" .Values.storage.s3.region
  "bucket_name" .Values.storage.s3.bucketName
  "force_path_style" .Values.storage.s3.forcePathStyle) -}}
{{- end -}}
{{- $brokers := include "panoptes.kafkaBrokers" . -}}
{{- if and (eq .Values.ingestMode "kafka") $brokers -}}
{{- $_ := set $cfg.ingest_storage "backend" "kafka" -}}
{{- $_ := set $cfg.ingest_storage "topic" .Values.kafka.topic -}}
{{- $_ := set $cfg.ingest_storage "kafka" (dict "brokers" (splitList "," $brokers)) -}}
{{- if $micro -}}
{{- $_ := set $cfg.ingest_storage "partitions" (int .Values.ingester.replicasPerZone) -}}
{{- end -}}
{{- end -}}
{{- if $micro -}}
{{- $redis := dict "endpoint" (include "panoptes.redisEndpoint" .) "key_prefix" .Values.redis.keyPrefix -}}
{{- $_ := set $cfg "kv" (dict "store" "redis" "redis" $redis) -}}
{{- $_ := set $cfg "distributor" (dict "ingest_mode" (ternary "ingest-log" "classic" (eq .Values.ingestMode "kafka"))) -}}
{{- $_ := set $cfg "ingester" (dict "ring" (dict "zone_awareness_enabled" true "replication_factor" (min 3 (len .Values.ingester.zones)))) -}}
{{- $_ := set $cfg.querier "frontend_address" (list (printf "%s-query-frontend-headless:%d" $full $grpc)) -}}
{{- $_ := set $cfg "frontend" (dict "results_cache_backend" "redis" "results_cache_redis" $redis) -}}
{{- $_ := set $cfg "ruler" (dict
  "alertmanager_url" (list (printf "http://%s-alert-router:%d/alertmanager" $full $http))
  "distributor_url" (printf "http://%s-distributor:%d" $full $http)) -}}
{{- $cache := dict "backend" "redis" "redis" $redis -}}
{{- $_ := set $cfg.blocks_storage "bucket_store" (dict "chunks_cache" $cache "index_cache" $cache "metadata_cache" $cache) -}}
{{- end -}}
{{- $merged := mustMergeOverwrite $cfg (deepCopy .Values.config) -}}
{{- toYaml $merged -}}
{{- end -}}

{{- define "panoptes.redisPassword" -}}
{{- if and (eq .Values.mode "microservices") (not .Values.dev.redis.enabled) (or .Values.redis.password .Values.redis.existingSecret) -}}true{{- end -}}
{{- end -}}

{{/* Environment of every Panoptes container: pod identity and the credentials. */}}
{{- define "panoptes.env" -}}
- name: POD_NAME
  valueFrom: {fieldRef: {fieldPath: metadata.name}}
{{- if eq (include "panoptes.storageBackend" .) "s3" }}
- name: PANOPTES_S3_ACCESS_KEY_ID
  valueFrom: {secretKeyRef: {name: {{ include "panoptes.s3Secret" . }}, key: accessKeyId}}
- name: PANOPTES_S3_SECRET_ACCESS_KEY
  valueFrom: {secretKeyRef: {name: {{ include "panoptes.s3Secret" . }}, key: secretAccessKey}}
{{- end }}
{{- if include "panoptes.redisPassword" . }}
- name: PANOPTES_REDIS_PASSWORD
  valueFrom: {secretKeyRef: {name: {{ include "panoptes.redisSecret" . }}, key: password}}
{{- end }}
{{- end -}}

{{/*
Credentials as flags, expanded by Kubernetes from the environment ($(VAR)): any character is safe,
unlike a secret substituted into YAML. A list, one flag a line.
*/}}
{{- define "panoptes.secretArgs" -}}
{{- if eq (include "panoptes.storageBackend" .) "s3" }}
- -common.storage.s3.access-key-id=$(PANOPTES_S3_ACCESS_KEY_ID)
- -common.storage.s3.secret-access-key=$(PANOPTES_S3_SECRET_ACCESS_KEY)
{{- end }}
{{- if include "panoptes.redisPassword" . }}
{{- range $flag := list "kv.redis.password" "query-frontend.redis.password" "blocks-storage.bucket-store.chunks-cache.redis.password" "blocks-storage.bucket-store.index-cache.redis.password" "blocks-storage.bucket-store.metadata-cache.redis.password" }}
- -{{ $flag }}=$(PANOPTES_REDIS_PASSWORD)
{{- end }}
{{- end }}
{{- end -}}
