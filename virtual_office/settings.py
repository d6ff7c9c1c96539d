"""Settings: one frozen object, read once at start from VO_* variables and an optional TOML file."""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from virtual_office.media import IceServer, MediaConfig


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    """Everything the server needs to know, fixed for the life of the process."""

    host: str = "127.0.0.1"
    """Address the HTTP server binds to."""
    port: int = 8000
    data_dir: Path = Path("vo-data")
    """Embedded Redis data, generated secret key, built widget bundle."""
    redis_url: str | None = None
    """External Redis; None starts an embedded one in data_dir."""
    secret_key: str = ""
    """Signs session cookies; generated and kept in data_dir when not given."""
    public_url: str | None = None
    """The URL citizens reach the server at (for the embed snippet); default http://host:port."""
    allowed_origins: tuple[str, ...] = ()
    """Websites that may embed the widget, e.g. https://www.musterstadt.de. '*' allows any."""
    grace_seconds: int = 120
    """How long a waiting citizen keeps the place after the connection drops."""
    call_timeout_seconds: int = 90
    """How long a called citizen has to accept before counting as a no-show."""
    confirm_seconds: int = 45
    """How long a joined ticket waits for its page to connect (which gives it its place) before it ends."""
    presence_timeout_seconds: int = 45
    """A clerk with no heartbeat for this long counts as offline."""
    status_interval: float = 0.25
    """Changes within one interval become one status update."""
    login_attempts: int = 5
    """Failed logins per account and address before throttling."""
    session_idle_minutes: float = 30
    """A staff login session ends after this long without activity (docs/security.md says what counts)."""
    admin_mfa: str = "required"
    """``required``: administrators must use a second factor (TOTP) and are led to enrol right after
    logging in; ``optional``: anyone may enrol (the demo's choice, so its quick start stays short)."""
    max_upload_bytes: int = 10 * 1024 * 1024
    upload_types: tuple[str, ...] = ("application/pdf", "image/png", "image/jpeg")
    secure_cookies: bool | None = None
    """None: Secure cookies when public_url is https."""
    log_level: str = "info"
    workers: str = "1"
    """Node processes ``serve`` starts on this machine, sharing its port: a number, or ``auto`` for one
    per core (docs/cluster.md)."""
    signaling_only: bool = False
    """This node takes no visit's media: it serves pages and signaling and hands each visit to a node
    that takes visits (docs/cluster.md); only when there is none, or the one chosen fails, it takes it."""
    joins_per_address: int = 20
    """Tickets one address may draw in ten minutes (a library's public PC stays below)."""
    checks_per_address: int = 6
    """Connection checks one address may start a minute."""
    connections_per_address: int = 200
    """socket.io connections one address may hold open at once in one process (0: no cap). Generous:
    a city hall's network, behind one NAT address, has hundreds of staff with the city's homepage
    and its widget open all day; list such networks in uncapped_networks rather than lowering it."""
    uncapped_networks: tuple[str, ...] = ()
    """Networks (CIDRs, e.g. 192.0.2.0/24) whose connections are not capped: the city's own offices."""
    trusted_proxies: tuple[str, ...] = ()
    """Addresses (or networks, e.g. 10.0.0.0/8) of the reverse proxies whose X-Forwarded-For and
    X-Forwarded-Proto are believed. None by default: a header anyone can send must not decide
    which address a login is counted against."""
    smtp_url: str | None = None
    """Mail server: smtp://user:password@host:port (STARTTLS when offered, port 587 by default) or
    smtps://… (TLS from the start, 465). None: ``serve`` sends no mail; the demo writes .eml files."""
    mail_from: str = ""
    """Sender of every message, e.g. ``Stadt Musterstadt <termine@musterstadt.de>``; needed with smtp_url."""
    bot_check_cost: int = 5000
    """Bot check (ALTCHA): PBKDF2 rounds per try; a browser needs about 256 tries, a second or two."""
    bot_checks_per_address: int = 30
    """Bot check challenges one address may fetch a minute."""
    metrics_token: str | None = None
    """Bearer token that may read /metrics from anywhere (Authorization: Bearer …); None: networks only."""
    metrics_networks: tuple[str, ...] = ("127.0.0.1/32", "::1/128")
    """Networks (CIDRs) that may read /metrics without the token; the client's address as for the
    limits (a trusted proxy's X-Forwarded-For applied). Empty: the token only."""
    media: MediaConfig = field(default_factory=MediaConfig)

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"

    @property
    def cookies_secure(self) -> bool:
        if self.secure_cookies is not None:
            return self.secure_cookies
        return self.base_url.startswith("https://")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Read VO_* variables (and the TOML file named by VO_CONFIG); overrides win."""
        env = dict(os.environ if environ is None else environ)
        values: dict[str, object] = {}
        config_file = env.get("VO_CONFIG")
        if config_file:
            values.update(_read_toml(Path(config_file)))
        for f in dataclasses.fields(cls):
            name = f"VO_{f.name.upper()}"
            if name in env and f.name != "media":
                values[f.name] = env[name]
        media = _media_from(env, values.pop("media", None))
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(media=media, **{k: _coerce(k, v) for k, v in values.items()})
        settings.check_mail()
        settings.check_sessions()
        return settings

    def check_sessions(self) -> None:
        """SettingsError for an idle timeout that is not positive or an unknown VO_ADMIN_MFA."""
        if not self.session_idle_minutes > 0:
            raise SettingsError("VO_SESSION_IDLE_MINUTES: minutes without activity, more than 0")
        if self.admin_mfa not in ("required", "optional"):
            raise SettingsError("VO_ADMIN_MFA: required or optional")

    def check_mail(self) -> None:
        """SettingsError for a malformed VO_SMTP_URL or one without VO_MAIL_FROM, at start rather than at the first mail."""
        from virtual_office.mail import MailError, parse_smtp_url, valid_address

        if not self.smtp_url:
            return
        try:
            parse_smtp_url(self.smtp_url)
        except MailError as exc:
            raise SettingsError(str(exc)) from None  # not chained: the URL holds the password
        _, address = parseaddr(self.mail_from)
        if not valid_address(address):
            raise SettingsError("VO_MAIL_FROM: the sender's address (e.g. Stadt Musterstadt <termine@musterstadt.de>) is needed with VO_SMTP_URL")

    def with_secret(self) -> Settings:
        """Return settings whose secret_key is set, generating one kept in data_dir."""
        if self.secret_key:
            return self
        path = self.data_dir / "secret_key"
        private_directory(self.data_dir)
        if not path.exists():
            with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
                out.write(secrets.token_urlsafe(48))
        return dataclasses.replace(self, secret_key=path.read_text().strip())


def private_directory(path: Path) -> Path:
    """Make ``path`` (and parents) if needed, readable by this user alone, before anything is written in it."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)  # also a directory made earlier, or under a permissive umask
    return path


def _read_toml(path: Path) -> dict[str, object]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"VO_CONFIG: cannot read {path}: {exc}") from exc


_TYPES = {f.name: f.type for f in dataclasses.fields(Settings)}


def _coerce(name: str, value: Any) -> Any:
    kind = _TYPES.get(name)
    if kind is None:
        raise SettingsError(f"unknown setting {name!r}")
    try:
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
        if kind == "Path":
            return Path(str(value))
        if kind.startswith("tuple"):
            if isinstance(value, str):
                return tuple(v.strip() for v in value.split(",") if v.strip())
            return tuple(str(v) for v in value)
        if kind.startswith("bool"):
            if isinstance(value, bool):
                return value
            return str(value).lower() in ("1", "true", "yes", "on")
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"VO_{name.upper()}: {value!r} is not a valid {kind}") from exc
    return value if value is None else str(value) if kind.startswith("str") else value


def _media_from(env: Mapping[str, str], table: object) -> MediaConfig:
    """Media settings from VO_MEDIA_* variables or a [media] TOML table."""
    values: dict[str, Any] = dict(table) if isinstance(table, Mapping) else {}
    for key in ("host_addresses", "announced_address", "port_min", "port_max", "ice_servers", "forward"):
        name = f"VO_MEDIA_{key.upper()}"
        if name in env:
            values[key] = env[name]
    try:
        ice = values.get("ice_servers", [])
        if isinstance(ice, str):
            ice = json.loads(ice) if ice.strip() else []
        hosts = values.get("host_addresses", ())
        if isinstance(hosts, str):
            hosts = [h.strip() for h in hosts.split(",") if h.strip()]
        forward = values.get("forward", True)
        if isinstance(forward, str):
            forward = forward.lower() not in ("0", "false", "no", "off")
        return MediaConfig(
            ice_servers=tuple(_ice_server(s) for s in ice),
            host_addresses=tuple(hosts),
            announced_address=str(values.get("announced_address") or "").strip() or None,
            port_min=int(values["port_min"]) if values.get("port_min") else None,
            port_max=int(values["port_max"]) if values.get("port_max") else None,
            forward=bool(forward),
        )
    except (TypeError, ValueError, KeyError) as exc:
        raise SettingsError(f"VO_MEDIA_*: {exc}") from exc


def _ice_server(spec: Mapping[str, Any]) -> IceServer:
    urls = spec["urls"]
    return IceServer(
        urls=(urls,) if isinstance(urls, str) else tuple(urls),
        username=spec.get("username"),
        credential=spec.get("credential"),
    )
