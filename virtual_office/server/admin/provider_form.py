"""The payment provider's form fields, shared by the office form and the tenant form, and back.

The provider is stored apart from the office or tenant (payments/config.py); its client secret is
write-only: the page shows only whether one is set, an empty field keeps it, and "remove" clears it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from starlette.datastructures import FormData

from virtual_office.payments import GiroCodeSettings, ProviderConfig
from virtual_office.payments.errors import InvalidFee
from virtual_office.payments.girocode import BIC, REFERENCE_PREFIX, normalize_iban
from virtual_office.payments.xbezahldienste import PATH_ID, XBezahldiensteSettings

NONE = "none"
KINDS = (NONE, "xbezahldienste", "girocode")
XB_FIELDS = ("base_url", "token_url", "originator_id", "endpoint_id", "client_id")
GC_FIELDS = ("recipient", "iban", "bic", "reference_prefix")

Err = Callable[..., None]


def _http_url(text: str) -> bool:
    try:
        url = urlsplit(text)
    except ValueError:
        return False
    return url.scheme in ("https", "http") and bool(url.hostname)


@dataclass
class ProviderForm:
    """The provider fields as typed; ``secret_set`` says whether a client secret is stored.

    ``tenant_kind`` is the kind of the tenant's provider, which an office without its own pays through
    (the office form says so); empty where there is none or it does not apply."""

    values: dict[str, str] = field(default_factory=dict)
    secret_set: bool = False
    tenant_kind: str = ""
    _provider: ProviderConfig | None = None
    _secret: str = field(default="", repr=False)

    @classmethod
    def of(cls, provider: ProviderConfig | None) -> ProviderForm:
        values = {"provider": NONE, **{f"xb_{n}": "" for n in XB_FIELDS}, **{f"gc_{n}": "" for n in GC_FIELDS}}
        secret_set = False
        if provider is not None:
            values["provider"] = provider.kind
            prefix = "xb_" if provider.kind == "xbezahldienste" else "gc_"
            for name, value in provider.public().items():
                if name == "client_secret":
                    secret_set = bool(value)
                elif f"{prefix}{name}" in values:
                    values[f"{prefix}{name}"] = str(value)
        return cls(values=values, secret_set=secret_set, _provider=provider)

    @classmethod
    def parse(cls, form: FormData, err: Err, *, provider: ProviderConfig | None) -> ProviderForm:
        """Read the posted fields; ``provider`` is what is stored (kept when no provider fields are posted)."""
        if "pay_provider" not in form:  # a client that posts no payment fields changes nothing of them
            return cls.of(provider)
        self = cls(secret_set=provider is not None and provider.public().get("client_secret") is True)

        def text(name: str) -> str:
            value = form.get(name, "")
            return value.strip()[:300] if isinstance(value, str) else ""

        v = self.values
        v["provider"] = text("pay_provider")
        if v["provider"] not in KINDS:
            err("pay_provider", "pay_choice")
        for name in (*(f"xb_{n}" for n in XB_FIELDS), *(f"gc_{n}" for n in GC_FIELDS)):
            v[name] = text(f"pay_{name}")
        secret = form.get("pay_xb_client_secret", "")
        self._secret = secret.strip()[:500] if isinstance(secret, str) else ""
        remove = bool(text("pay_xb_client_secret_remove"))
        if v["provider"] == "xbezahldienste":
            old = provider.settings if provider is not None and isinstance(provider.settings, XBezahldiensteSettings) else None
            secret = self._secret or ("" if remove or old is None else old.client_secret)
            self._provider = self._parse_xbezahldienste(err, secret, 10.0 if old is None else old.timeout_seconds)
        elif v["provider"] == "girocode":
            self._provider = self._parse_girocode(err)
        if remove and not self._secret:
            self.secret_set = False
        return self

    def _parse_xbezahldienste(self, err: Err, secret: str, timeout: float) -> ProviderConfig | None:
        """The settings, the secret typed or kept; the timeout is not in the form (the TOML import sets it)."""
        v = self.values
        for name in ("base_url", "token_url"):
            if not _http_url(v[f"xb_{name}"]):
                err(f"pay_xb_{name}", "pay_url")
        for name in ("originator_id", "endpoint_id"):
            if not PATH_ID.fullmatch(v[f"xb_{name}"]):
                err(f"pay_xb_{name}", "pay_path_id")
        if not v["xb_client_id"]:
            err("pay_xb_client_id", "pay_required")
        if not secret:
            err("pay_xb_client_secret", "pay_secret_needed")
        try:
            return ProviderConfig("xbezahldienste", XBezahldiensteSettings(
                base_url=v["xb_base_url"], token_url=v["xb_token_url"], originator_id=v["xb_originator_id"],
                endpoint_id=v["xb_endpoint_id"], client_id=v["xb_client_id"], client_secret=secret, timeout_seconds=timeout))
        except InvalidFee:  # each reason is already at its field, unless the model knows more
            err("pay_provider", "pay_invalid")
            return None

    def _parse_girocode(self, err: Err) -> ProviderConfig | None:
        v = self.values
        if not v["gc_recipient"] or len(v["gc_recipient"]) > 70:
            err("pay_gc_recipient", "pay_recipient")
        try:
            normalize_iban(v["gc_iban"])
        except InvalidFee:
            err("pay_gc_iban", "pay_iban")
        if v["gc_bic"] and not BIC.match(v["gc_bic"].replace(" ", "").upper()):
            err("pay_gc_bic", "pay_bic")
        if not REFERENCE_PREFIX.match(v["gc_reference_prefix"].upper()):
            err("pay_gc_reference_prefix", "pay_reference_prefix")
        try:
            return ProviderConfig("girocode", GiroCodeSettings(
                recipient=v["gc_recipient"], iban=v["gc_iban"], bic=v["gc_bic"], reference_prefix=v["gc_reference_prefix"].upper()))
        except InvalidFee:
            err("pay_provider", "pay_invalid")
            return None

    def config(self) -> ProviderConfig | None:
        """The provider to store, None for none (of a form without errors)."""
        return self._provider if self.values.get("provider") != NONE else None
