"""Which controller serves a Kubernetes Ingress: the class it names, the IngressClass objects given, its annotations.

An Ingress says which controller it is for with ``spec.ingressClassName`` (resolved through an ``IngressClass``
object's ``spec.controller`` when the manifests contain one) or the older ``kubernetes.io/ingress.class``
annotation; the annotations it carries are the next hint. Sources: AWS Load Balancer Controller (class ``alb``,
controller ``ingress.k8s.aws/alb``, ``alb.ingress.kubernetes.io/*``), GKE (``kubernetes.io/ingress.class: gce`` or
``gce-internal``), Azure AGIC (``azure/application-gateway``, ``appgw.ingress.kubernetes.io/*``), F5 NGINX Ingress
Controller (controller ``nginx.org/ingress-controller``, ``nginx.org/*``), ingress-nginx (``k8s.io/ingress-nginx``,
``nginx.ingress.kubernetes.io/*``). An Ingress that names none of them is read as ingress-nginx, as before.
"""

from __future__ import annotations

from collections.abc import Iterable

INGRESS_NGINX = "ingress-nginx"
ALB = "aws-alb"
GCE = "gce"
AGIC = "azure-application-gateway"
F5_NGINX = "f5-nginx-ingress"
OTHER = "other"  # a controller lpdoctor does not read from Ingress manifests (Traefik, Kong, HAProxy ...)

CLASS_NAMES = {
    "alb": ALB,
    "gce": GCE,
    "gce-internal": GCE,
    "azure/application-gateway": AGIC,
    "azure-application-gateway": AGIC,
    "nginx": INGRESS_NGINX,
    "traefik": OTHER,
    "kong": OTHER,
    "haproxy": OTHER,
    "contour": OTHER,
    "istio": OTHER,
    "cilium": OTHER,
    "openshift-default": OTHER,
}
CONTROLLERS = {
    "ingress.k8s.aws/alb": ALB,
    "azure/application-gateway": AGIC,
    "k8s.io/ingress-nginx": INGRESS_NGINX,
    "nginx.org/ingress-controller": F5_NGINX,
    "traefik.io/ingress-controller": OTHER,
}
ANNOTATION_PREFIXES = (
    ("alb.ingress.kubernetes.io/", ALB),
    ("appgw.ingress.kubernetes.io/", AGIC),
    ("nginx.org/", F5_NGINX),
    ("nginx.ingress.kubernetes.io/", INGRESS_NGINX),
)


def controller_of(class_name: str | None, annotation_keys: Iterable[str], classes: dict[str, str]) -> str:
    """The controller family of one Ingress.

    ``class_name``: ``spec.ingressClassName`` or the ``kubernetes.io/ingress.class`` annotation; ``classes``:
    IngressClass name -> ``spec.controller`` from the manifests.
    """
    if class_name:
        name = class_name.strip()
        controller = classes.get(name)
        if controller is not None:
            return CONTROLLERS.get(controller.strip(), OTHER if "nginx" not in controller else INGRESS_NGINX)
        if name in CLASS_NAMES and CLASS_NAMES[name] != INGRESS_NGINX:
            return CLASS_NAMES[name]
    keys = list(annotation_keys)  # class ``nginx`` is used by both NGINX controllers: the annotations tell
    for prefix, family in ANNOTATION_PREFIXES:
        if any(k.startswith(prefix) for k in keys):
            return family
    return INGRESS_NGINX


def is_ingress_nginx(class_name: str | None, annotation_keys: Iterable[str], classes: dict[str, str]) -> bool:
    return controller_of(class_name, annotation_keys, classes) == INGRESS_NGINX
