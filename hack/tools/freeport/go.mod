module k8s-pod-headless-service-operator/hack/tools/freeport

go 1.26.0
