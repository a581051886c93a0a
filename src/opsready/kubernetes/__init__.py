"""The Kubernetes target: a Deployment on a real cluster driven through the official client (see docs/kubernetes.md)."""
