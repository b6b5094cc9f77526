"""Terraform (HCL) → the load balancers, CDNs and platforms it declares, as hops with ``file:line``.

Parsed with python-hcl2's grammar (a real HCL parser, positions kept); only literal values are read, an
expression (``var.idle``) is reported as unknown and the default shown. Resources read, with the attribute and
its default when unset:

- ``aws_lb`` / ``aws_alb`` (application): ``idle_timeout``, 60 s, idle. A ``network`` load balancer has no HTTP
  timer. ``aws_lb_target_group`` has no timer that ends a held request (noted).
- ``google_compute_backend_service`` / ``google_compute_region_backend_service``: ``timeout_sec``, 30 s, a total
  response timeout.
- ``azurerm_application_gateway``: each ``backend_http_settings`` block's ``request_timeout``, 30 s.
- Cloudflare: a proxied ``cloudflare_record`` / ``cloudflare_dns_record`` puts Cloudflare in front (proxy read
  timeout 120 s, raised only on Enterprise plans); ``cloudflare_zone_settings_override``
  ``settings.proxy_read_timeout`` (provider v4) or ``cloudflare_zone_setting`` with ``setting_id =
  "proxy_read_timeout"`` (v5) set it.
- ``google_cloud_run_v2_service`` ``template.timeout`` (``"300s"``) and ``google_cloud_run_service``
  ``template.spec.timeout_seconds``: 300 s, total.

Every resource is one hop in front of whatever the other configurations serve, outermost first (Cloudflare,
then the load balancer, then the platform).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from lpdoctor.dialects.base import ConfigReadError, RoutedSource, read_text
from lpdoctor.dialects.edges.common import (
    MAX_NESTING,
    EdgeRoute,
    PathRule,
    Speller,
    default_timer,
    edge_hop,
    routed,
    set_timer,
    too_deep,
)
from lpdoctor.model import HopKind, SourceLocation, Timeout
from lpdoctor.text.durations import DurationError, parse_duration

KIND = "terraform"


class TerraformError(ConfigReadError):
    pass


def looks_like(name: str, text: str) -> bool:
    return name.endswith(".tf")


@dataclass(slots=True)
class Attr:
    value: object  # int | float | str | bool, or None for an expression
    raw: str
    line: int


@dataclass(slots=True)
class Block:
    type: str
    labels: list[str]
    line: int
    end_line: int
    attrs: dict[str, Attr] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)

    def sub(self, name: str) -> list[Block]:
        return [b for b in self.blocks if b.type == name]


def parse_hcl(text: str, file: str) -> list[Block]:
    """Top-level blocks of an HCL file. Raises :class:`TerraformError` (with the line) when it is not HCL."""
    import hcl2
    from lark import Tree
    from lark.exceptions import LarkError, UnexpectedInput

    if too_deep(text):
        raise TerraformError(f"brackets nested more than {MAX_NESTING} deep; not a Terraform file", file)
    try:
        tree = hcl2.parses_to_tree(text)
    except UnexpectedInput as exc:
        raise TerraformError("not valid HCL", file, getattr(exc, "line", None)) from None
    except (LarkError, RecursionError, ValueError) as exc:
        raise TerraformError(f"not valid HCL ({exc.__class__.__name__})", file) from None

    def children(node: Any, name: str) -> list[Any]:
        return [c for c in node.children if isinstance(c, Tree) and c.data == name]

    def ident(node: Any) -> str:
        return "".join(str(t) for t in node.scan_values(lambda _: True))

    def string_value(node: Any) -> str | None:
        parts = []
        for part in children(node, "string_part"):
            if any(isinstance(c, Tree) for c in part.children):
                return None  # an interpolation
            parts.append("".join(str(c) for c in part.children))
        return "".join(parts)

    def value(expr: Any) -> object:
        node = expr
        while isinstance(node, Tree) and node.data == "expr_term" and len(node.children) == 1:
            node = node.children[0]
        if not isinstance(node, Tree):
            return None
        if node.data in ("int_lit", "float_lit"):
            digits = str(node.children[0])
            if len(digits) > 15:  # no timer is written with more digits (and int() refuses past 4300)
                return None
            try:
                return int(digits) if node.data == "int_lit" else float(digits)
            except ValueError:
                return None
        if node.data == "string":
            return string_value(node)
        if node.data == "literal_value":
            word = str(node.children[0])
            return {"true": True, "false": False}.get(word)
        return None

    def block(node: Any) -> Block:
        labels: list[str] = []
        type_ = ""
        for c in node.children:
            if isinstance(c, Tree) and c.data == "identifier":
                if not type_:
                    type_ = ident(c)
                else:
                    labels.append(ident(c))
            elif isinstance(c, Tree) and c.data == "string":
                labels.append(string_value(c) or "")
        out = Block(type_, labels, node.meta.line, node.meta.end_line)
        for body in children(node, "body"):
            fill(out, body)
        return out

    def fill(out: Block, body: Any) -> None:
        for c in body.children:
            if not isinstance(c, Tree):
                continue
            if c.data == "attribute":
                name = ident(c.children[0])
                expr = c.children[-1]
                raw = text[expr.meta.start_pos : expr.meta.end_pos] if not expr.meta.empty else ""
                out.attrs[name] = Attr(value(expr), raw.strip(), c.meta.line)
            elif c.data == "block":
                out.blocks.append(block(c))

    root = Block("", [], 1, 1)
    for body in children(tree, "body"):
        fill(root, body)
    return root.blocks


def tf_files(directory: str) -> list[str]:
    """The ``*.tf`` files of a module folder, in name order (Terraform reads a folder, not recursively)."""
    return sorted(os.path.join(directory, f) for f in os.listdir(directory) if f.endswith(".tf"))


def load_source(path: str) -> RoutedSource:
    return load_sources([path])


def load_sources(paths: list[str]) -> RoutedSource:
    """Every ``.tf`` file given (a module folder) read together. Raises :class:`TerraformError`."""
    files: list[str] = []
    resources: list[tuple[str, Block]] = []
    for path in paths:
        shown = "<stdin>" if path == "-" else path
        try:
            text = read_text(path)
        except ConfigReadError as exc:
            raise TerraformError(exc.problem, exc.file, exc.line) from None
        files.append(shown)
        resources.extend((shown, b) for b in parse_hcl(text, shown) if b.type == "resource" and len(b.labels) >= 2)
    reader = _Reader()
    for file, res in resources:
        reader.resource(file, res)
    label = files[0] if len(files) == 1 else f"{os.path.dirname(files[0]) or '.'} ({len(files)} .tf files)"
    if not reader.hops:
        reader.warnings.append(f"{label}: no load balancer, CDN or platform resource with a request timer found")
    order = {"cloudflare": 0, "aws-alb": 1, "gcp-lb": 1, "azure-application-gateway": 1, "cloud-run": 2}
    hops = sorted(reader.hops, key=lambda r: order.get(r.facts.hop.component, 1))
    files = [f for f in files if f != "<stdin>"] or files
    return routed(KIND, label, hops, files, reader.warnings, in_series=True)


def _seconds(attr: Attr | None, default_unit: str = "s") -> float | None:
    if attr is None or attr.value is None or isinstance(attr.value, bool):
        return None
    if isinstance(attr.value, (int, float)):
        return float(attr.value) if attr.value >= 0 else None
    try:
        return parse_duration(str(attr.value), default_unit=default_unit)
    except DurationError:
        return None


class _Reader:
    def __init__(self) -> None:
        self.hops: list[EdgeRoute] = []
        self.warnings: list[str] = []
        self.cloudflare_setting: tuple[str, Attr, str] | None = None
        self.cloudflare_front: tuple[str, Block] | None = None

    def resource(self, file: str, res: Block) -> None:
        rtype, rname = res.labels[0], res.labels[1]
        handler = {
            "aws_lb": self.aws_lb,
            "aws_alb": self.aws_lb,
            "google_compute_backend_service": self.gcp_backend,
            "google_compute_region_backend_service": self.gcp_backend,
            "azurerm_application_gateway": self.app_gateway,
            "google_cloud_run_v2_service": self.cloud_run_v2,
            "google_cloud_run_service": self.cloud_run_v1,
            "cloudflare_zone_settings_override": self.cloudflare_override,
            "cloudflare_zone_setting": self.cloudflare_zone_setting,
            "cloudflare_record": self.cloudflare_record,
            "cloudflare_dns_record": self.cloudflare_record,
        }.get(rtype)
        if rtype == "aws_lb_target_group":
            self.warnings.append(
                f"{file}:{res.line}: aws_lb_target_group {rname} has no timer that ends a held request "
                "(the load balancer's idle_timeout does)"
            )
        if handler is not None:
            handler(file, res, f'resource "{rtype}" "{rname}"')

    def add(self, kind: HopKind, component: str, name: str, file: str, res: Block, t: Timeout, spell: Speller) -> None:
        facts = edge_hop(
            kind,
            component,
            name,
            SourceLocation(file, res.line, t.location.context if t.location else None),
            [(t, spell)],
            catch_all=True,
        )
        self.hops.append(EdgeRoute([], [PathRule("prefix", "/")], facts))

    def timer(
        self,
        component: str,
        catalog_setting: str,
        setting: str,
        file: str,
        res: Block,
        attr: Attr | None,
        context: str,
        seconds: float | None,
    ) -> Timeout:
        if attr is not None and seconds is not None:
            return set_timer(component, catalog_setting, setting, seconds, SourceLocation(file, attr.line, context))
        if attr is not None:
            self.warnings.append(
                f"{file}:{attr.line}: {setting.rsplit('.', 1)[-1]} = {_short(attr.raw)} is not a literal lpdoctor can read; "
                "the default is shown"
            )
            return default_timer(component, catalog_setting, setting, SourceLocation(file, attr.line, context))
        return default_timer(component, catalog_setting, setting, SourceLocation(file, res.line, context))

    def aws_lb(self, file: str, res: Block, context: str) -> None:
        lb_type = res.attrs.get("load_balancer_type")
        if lb_type is not None and lb_type.value not in (None, "application"):
            self.warnings.append(
                f"{file}:{lb_type.line}: {context} is a {lb_type.value} load balancer: no HTTP timer read"
            )
            return
        attr = res.attrs.get("idle_timeout")
        t = self.timer("aws-alb", "idle_timeout", "aws_lb.idle_timeout", file, res, attr, context, _seconds(attr))
        self.add(
            HopKind.EDGE, "aws-alb", f"AWS ALB ({context})", file, res, t, _attr_speller("idle_timeout", context, t)
        )
        facts = self.hops[-1].facts  # the ALB's idle timeout also closes its idle connections to the targets
        facts.pool_idle, facts.pool_owner = t, facts.block

    def gcp_backend(self, file: str, res: Block, context: str) -> None:
        attr = res.attrs.get("timeout_sec")
        setting = f"{res.labels[0]}.timeout_sec"
        t = self.timer("gcp-lb", "timeoutSec", setting, file, res, attr, context, _seconds(attr))
        self.add(
            HopKind.EDGE,
            "gcp-lb",
            f"GCP load balancer ({context})",
            file,
            res,
            t,
            _attr_speller("timeout_sec", context, t),
        )

    def app_gateway(self, file: str, res: Block, context: str) -> None:
        for settings in res.sub("backend_http_settings"):
            name_attr = settings.attrs.get("name")
            name = str(name_attr.value) if name_attr is not None and name_attr.value is not None else "?"
            where = f"{context} backend_http_settings {name}"
            attr = settings.attrs.get("request_timeout")
            slot = Block(settings.type, [], settings.line, settings.end_line)
            t = self.timer(
                "azure-application-gateway",
                "request-timeout",
                "backend_http_settings.request_timeout",
                file,
                slot,
                attr,
                where,
                _seconds(attr),
            )
            self.add(
                HopKind.EDGE,
                "azure-application-gateway",
                f"Azure Application Gateway ({where})",
                file,
                slot,
                t,
                _attr_speller("request_timeout", where, t),
            )

    def cloud_run_v2(self, file: str, res: Block, context: str) -> None:
        template = next(iter(res.sub("template")), None)
        attr = template.attrs.get("timeout") if template is not None else None
        slot = Block("template", [], template.line, template.end_line) if template is not None else res
        t = self.timer("cloud-run", "timeoutSeconds", "template.timeout", file, slot, attr, context, _seconds(attr))

        def spell(n: int) -> str:
            at = f"{t.location.file}:{t.location.line}" if t.location is not None else "?"
            line = f'timeout = "{n}s"  # in the template block of {context} ({at})'
            return line + ("; Cloud Run allows at most 3600 s: hold for less" if n > 3600 else "")

        self.add(HopKind.EDGE, "cloud-run", f"Cloud Run ({context})", file, slot, t, spell)

    def cloud_run_v1(self, file: str, res: Block, context: str) -> None:
        template = next(iter(res.sub("template")), None)
        spec = next(iter(template.sub("spec")), None) if template is not None else None
        attr = spec.attrs.get("timeout_seconds") if spec is not None else None
        slot = Block("spec", [], spec.line, spec.end_line) if spec is not None else res
        t = self.timer(
            "cloud-run", "timeoutSeconds", "template.spec.timeout_seconds", file, slot, attr, context, _seconds(attr)
        )
        self.add(
            HopKind.EDGE,
            "cloud-run",
            f"Cloud Run ({context})",
            file,
            slot,
            t,
            _attr_speller("timeout_seconds", f"the template.spec block of {context}", t),
        )

    # Cloudflare: the hop exists when a record is proxied or the zone setting is written
    def cloudflare_override(self, file: str, res: Block, context: str) -> None:
        for settings in res.sub("settings"):
            attr = settings.attrs.get("proxy_read_timeout")
            if attr is not None:
                self.cloudflare_setting = (file, attr, f"{context} settings")
                self.cloudflare(file, res)

    def cloudflare_zone_setting(self, file: str, res: Block, context: str) -> None:
        sid = res.attrs.get("setting_id")
        attr = res.attrs.get("value")
        if sid is not None and sid.value == "proxy_read_timeout" and attr is not None:
            self.cloudflare_setting = (file, attr, context)
            self.cloudflare(file, res)

    def cloudflare_record(self, file: str, res: Block, context: str) -> None:
        proxied = res.attrs.get("proxied")
        if proxied is not None and proxied.value is True and self.cloudflare_front is None:
            self.cloudflare_front = (file, res)
            self.cloudflare(file, res)

    def cloudflare(self, file: str, res: Block) -> None:
        self.hops = [h for h in self.hops if h.facts.hop.component != "cloudflare"]
        if self.cloudflare_setting is not None:
            sfile, attr, where = self.cloudflare_setting
            t = self.timer(
                "cloudflare", "proxy_read_timeout", "proxy_read_timeout", sfile, res, attr, where, _seconds(attr)
            )
            block_file, block = sfile, res
        else:
            assert self.cloudflare_front is not None
            block_file, block = self.cloudflare_front
            context = f'resource "{block.labels[0]}" "{block.labels[1]}" (proxied)'
            t = default_timer(
                "cloudflare",
                "proxy_read_timeout",
                "proxy_read_timeout",
                SourceLocation(block_file, block.line, context),
            )
        self.add(HopKind.EDGE, "cloudflare", "Cloudflare", block_file, block, t, lambda n: "")


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _attr_speller(attribute: str, context: str, t: Timeout) -> Speller:
    def spell(n: int) -> str:
        return f"{attribute} = {n}  # in {context} ({t.location.file}:{t.location.line})" if t.location else ""

    return spell
