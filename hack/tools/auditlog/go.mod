module k8s-pod-headless-service-operator/hack/tools/auditlog

go 1.26.0
