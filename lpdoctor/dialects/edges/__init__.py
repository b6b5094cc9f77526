"""The hops in front of the proxy, read from where teams write them: Kubernetes manifests (Ingress by class,
GKE BackendConfig, OpenShift Route, Gateway API HTTPRoute, Cloud Run / Knative services) and Terraform."""
