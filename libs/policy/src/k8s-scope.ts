// Which Kubernetes resources live outside namespaces. A request without a namespace is either for
// one of these, or a list/watch of a namespaced resource across every namespace — which a
// `namespaces` criterion must not treat as "in no namespace". Pure.

/** Built-in cluster-scoped resources, by `group/resource` (`''` is the core group). */
const CLUSTER_SCOPED: ReadonlySet<string> = new Set(
  [
    '/nodes',
    '/namespaces',
    '/persistentvolumes',
    '/componentstatuses',
    'rbac.authorization.k8s.io/clusterroles',
    'rbac.authorization.k8s.io/clusterrolebindings',
    'apiextensions.k8s.io/customresourcedefinitions',
    'apiregistration.k8s.io/apiservices',
    'storage.k8s.io/storageclasses',
    'storage.k8s.io/csidrivers',
    'storage.k8s.io/csinodes',
    'storage.k8s.io/volumeattachments',
    'scheduling.k8s.io/priorityclasses',
    'node.k8s.io/runtimeclasses',
    'networking.k8s.io/ingressclasses',
    'networking.k8s.io/ipaddresses',
    'networking.k8s.io/servicecidrs',
    'certificates.k8s.io/certificatesigningrequests',
    'admissionregistration.k8s.io/mutatingwebhookconfigurations',
    'admissionregistration.k8s.io/validatingwebhookconfigurations',
    'admissionregistration.k8s.io/validatingadmissionpolicies',
    'admissionregistration.k8s.io/validatingadmissionpolicybindings',
    'flowcontrol.apiserver.k8s.io/flowschemas',
    'flowcontrol.apiserver.k8s.io/prioritylevelconfigurations',
    'authentication.k8s.io/tokenreviews',
    'authentication.k8s.io/selfsubjectreviews',
    'authorization.k8s.io/subjectaccessreviews',
    'authorization.k8s.io/selfsubjectaccessreviews',
    'authorization.k8s.io/selfsubjectrulesreviews',
  ].map((key) => key.toLowerCase()),
);

/** True for a resource known to be cluster-scoped; false for namespaced or unknown ones (custom resources). */
export function isClusterScoped(group: string, resource: string): boolean {
  return CLUSTER_SCOPED.has(`${group}/${resource}`.toLowerCase());
}
