"""`cdnpub doctor`'s checks of what the app's pages point at: CDN_DOMAIN (and CDN_HTTPS)
against the distribution's domain and aliases, and the keys the app's manifest names
against the bucket. Pure: set-up in, a verdict (or None: not judged) out, one function
per check id; doctor.checks registers them in the report's order."""

from __future__ import annotations

from cdnpub.doctor.documents import behavior_for, items, probe_path
from cdnpub.doctor.model import CONSOLE, FAIL, PASS, WARN, SetUp, Verdict

SHOWN = 3  # missing keys named in the report; the count says how many more


def _served_by(domain: str, names: list[str]) -> bool:
    """CloudFront's host matching: an alias `*.example.com` covers one label."""
    host = domain.lower().split(":", 1)[0]
    for name in (n.lower() for n in names):
        if name == host or (name.startswith("*.") and host.split(".", 1)[-1] == name[2:] and "." in host):
            return True
    return False


def cdn_domain(setup: SetUp) -> Verdict | None:
    app, dist = setup.app, setup.distribution
    if app is None or not app.domain or dist is None:
        return None
    config = dist.get("DistributionConfig") or {}
    names = [str(dist.get("DomainName", "")), *[str(a) for a in items(config.get("Aliases"))]]
    console = CONSOLE.format(id=dist.get("Id", ""))
    if not _served_by(app.domain, names):
        return Verdict(
            FAIL,
            f"CDN_DOMAIN {app.domain} is neither distribution {dist.get('Id', '')}'s domain nor one of "
            f"its aliases ({', '.join(n for n in names if n)}): the pages point at a host that does "
            "not serve the bucket",
            f"set CDN_DOMAIN to {names[0]}, or add {app.domain} to {console} > General > Edit: "
            "Alternate domain names (with a certificate that covers it)",
        )
    policy = str(behavior_for(config, probe_path(setup.prefix)).get("ViewerProtocolPolicy", ""))
    if not app.https and policy in ("https-only", "redirect-to-https"):
        refused = policy == "https-only"
        return Verdict(
            FAIL if refused else WARN,
            f"CDN_HTTPS is False, so the pages use http:// URLs, and the behavior is {policy}: "
            + ("CloudFront refuses them (403)" if refused else "every asset costs a redirect"),
            "set CDN_HTTPS = True",
        )
    return Verdict(PASS, f"CDN_DOMAIN {app.domain} is served by distribution {dist.get('Id', '')}")


def manifest_keys(setup: SetUp) -> Verdict | None:
    app = setup.app
    if app is None or not app.manifest:
        return None
    if app.manifest_error:
        return Verdict(WARN, app.manifest_error, "flask cdn build (or cdnpub build) writes it")
    if "manifest_keys" in setup.denied:
        return None  # published.release-record says the listing was refused
    if not app.missing:
        return Verdict(PASS, f"the {app.keys} keys manifest {app.manifest} names are in the bucket")
    shown = ", ".join(app.missing[:SHOWN]) + (
        f" and {len(app.missing) - SHOWN} more" if len(app.missing) > SHOWN else ""
    )
    return Verdict(
        FAIL,
        f"{len(app.missing)} of the {app.keys} keys manifest {app.manifest} names are not in "
        f"s3://{setup.bucket}: {shown}; the pages get 403 for them (built, never published)",
        f"{app.publish} (uploads them, then writes the manifest)",
    )
