module k8s-pod-headless-service-operator/hack/tools/tcpproxy

go 1.26.0
