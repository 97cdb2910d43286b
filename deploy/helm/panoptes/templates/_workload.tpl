{{/*
The pod template of one Panoptes workload.
(dict "ctx" $ "component" "querier" "target" "querier" "v" .Values.querier "pvc" false "args" (list …))
pvc: the StatefulSet has a volumeClaimTemplate named data; otherwise /data is an emptyDir.
*/}}
{{- define "panoptes.podTemplate" -}}
{{- $ctx := .ctx -}}
{{- $v := .v -}}
metadata:
  labels:
    {{- include "panoptes.metaLabels" $ctx | nindent 4 }}
    {{- include "panoptes.selectorLabels" (dict "ctx" $ctx "component" .component) | nindent 4 }}
    {{- with .extraLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    checksum/config: {{ include "panoptes.config" $ctx | sha256sum }}
    {{- with $v.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  {{- with $ctx.Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  securityContext:
    runAsNonRoot: true
    runAsUser: 10001
    runAsGroup: 10001
    fsGroup: 10001
  terminationGracePeriodSeconds: {{ $v.terminationGracePeriodSeconds }}
  containers:
    - name: panoptes
      image: {{ include "panoptes.image" $ctx }}
      imagePullPolicy: {{ $ctx.Values.image.pullPolicy }}
      args:
        - -target={{ .target }}
        - -config.file=/etc/panoptes/config/panoptes.yaml
        - -config.expand-env=true
        {{- with include "panoptes.secretArgs" $ctx | trim }}
        {{- . | nindent 8 }}
        {{- end }}
        {{- range .args }}
        - {{ . | quote }}
        {{- end }}
        {{- range $v.extraArgs }}
        - {{ . | quote }}
        {{- end }}
      env:
        {{- include "panoptes.env" $ctx | nindent 8 }}
        {{- with $v.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      ports:
        - {name: http, containerPort: {{ $ctx.Values.server.httpPort }}, protocol: TCP}
        - {name: grpc, containerPort: {{ $ctx.Values.server.grpcPort }}, protocol: TCP}
      # Readiness only: a liveness probe on /ready would kill an ingester replaying its partition.
      readinessProbe:
        httpGet: {path: /ready, port: http}
        initialDelaySeconds: 5
        periodSeconds: 10
        failureThreshold: 3
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities: {drop: [ALL]}
      resources:
        {{- toYaml $v.resources | nindent 8 }}
      volumeMounts:
        - {name: config, mountPath: /etc/panoptes/config}
        - {name: runtime, mountPath: /etc/panoptes/runtime}
        - {name: data, mountPath: /data}
        - {name: tmp, mountPath: /tmp}
  {{- with $v.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $v.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $v.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  volumes:
    - name: config
      configMap: {name: {{ include "panoptes.fullname" $ctx }}-config}
    - name: runtime
      configMap: {name: {{ include "panoptes.fullname" $ctx }}-runtime}
    # The root filesystem is read-only; scratch files go here.
    - name: tmp
      emptyDir: {}
    {{- if not .pvc }}
    - name: data
      emptyDir: {}
    {{- end }}
{{- end -}}

{{/* The data volumeClaimTemplate of a StatefulSet, from a persistence block. */}}
{{- define "panoptes.volumeClaim" -}}
volumeClaimTemplates:
  - metadata:
      name: data
    spec:
      accessModes: [ReadWriteOnce]
      {{- with .storageClass }}
      storageClassName: {{ . }}
      {{- end }}
      resources:
        requests:
          storage: {{ .size }}
{{- end -}}
