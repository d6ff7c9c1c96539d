"""The `virtual-office` command: serve, demo, and administration without a browser."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import gc
import getpass
import logging
import os
import signal
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from virtual_office import __version__, logs, redis_client
from virtual_office.embedded_redis import EmbeddedRedis
from virtual_office.payments import PaymentError, ProviderConfig, ProviderDirectory
from virtual_office.payments.config import take_provider
from virtual_office.queue import (
    ADMIN,
    CLERK,
    DEFAULT,
    OPERATOR,
    ClerkDirectory,
    InvalidInput,
    Office,
    OfficeDirectory,
    Tenant,
    TenantDirectory,
    keys,
)
from virtual_office.queue.passwords import deployment_context
from virtual_office.queue.second_factor import SecondFactors
from virtual_office.settings import Settings, SettingsError

log = logging.getLogger("virtual_office")

ROLE_HELP = {
    CLERK: "add a clerk account",
    ADMIN: "add an administrator account (of one tenant: --tenant)",
    OPERATOR: "add an operator account: the provider's, administers every tenant",
}
# The tenant's optional settings, each a --option of add-tenant.
TENANT_OPTIONS = {
    "logo": "the logo's address (https://... or a path on this server)",
    "colour": "the accent colour, #rrggbb",
    "hotline": "the phone number for citizens whose video cannot work (where an office names none)",
    "privacy_url": "the tenant's privacy statement (https://...)",
    "accessibility_url": "the tenant's accessibility statement (https://...)",
    "mail_from": "the sender of the tenant's mail",
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="virtual-office", description="A self-hosted virtual citizen office.")
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True)

    def server_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--host", help="address to bind (VO_HOST, default 127.0.0.1)")
        p.add_argument("--port", type=int, help="port (VO_PORT, default 8000)")
        p.add_argument("--data-dir", type=Path, help="data directory (VO_DATA_DIR, default ./vo-data)")

    serve = commands.add_parser("serve", help="run the server (settings from VO_* variables and VO_CONFIG)")
    server_options(serve)
    serve.add_argument("--workers", help="node processes sharing the port: a number or auto, one per core (VO_WORKERS, default 1)")
    demo = commands.add_parser("demo", help="run with demo offices, demo accounts and the example city page")
    server_options(demo)

    imp = commands.add_parser("import-offices", help="create or update offices from a TOML file")
    imp.add_argument("file", type=Path)
    imp.add_argument("--data-dir", type=Path)

    for role in (CLERK, ADMIN, OPERATOR):
        add = commands.add_parser(f"add-{role}", help=ROLE_HELP[role])
        add.add_argument("login")
        add.add_argument("--name", required=True)
        add.add_argument("--offices", default="", help="comma-separated office ids this account staffs")
        if role != OPERATOR:
            add.add_argument("--tenant", default=DEFAULT, help="the tenant (municipality) of the account (default: the default tenant)")
        add.add_argument("--password-env", metavar="VAR", help="read the password from this environment variable instead of asking")
        add.add_argument("--data-dir", type=Path)

    tenant = commands.add_parser("add-tenant", help="create or update a tenant (a municipality); then add its first administrator")
    tenant.add_argument("id", help="lowercase letters, digits and '-' (used in the snippet's data-tenant)")
    tenant.add_argument("--name", required=True)
    tenant.add_argument("--ags", required=True, help="the official municipality key (8 digits)")
    for option, helps in TENANT_OPTIONS.items():
        tenant.add_argument(f"--{option.replace('_', '-')}", default="", help=helps)
    tenant.add_argument("--website", action="append", default=[], help="a website allowed to embed the tenant's widget (repeatable)")
    tenant.add_argument("--data-dir", type=Path)

    reset = commands.add_parser("reset-mfa", help="remove an account's second factor (a lost phone, the last administrator's too)")
    reset.add_argument("login")
    reset.add_argument("--data-dir", type=Path)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    # The demo's quick start stays two commands: its administrator need not enrol a second factor.
    demo_mfa = "optional" if args.command == "demo" and "VO_ADMIN_MFA" not in os.environ else None
    return Settings.from_env(
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
        data_dir=getattr(args, "data_dir", None),
        workers=getattr(args, "workers", None),
        admin_mfa=demo_mfa,
    )


@contextlib.contextmanager
def _redis_url(settings: Settings, *, owner: bool = False) -> Iterator[str]:
    """The configured Redis, or an embedded one in the data directory for the duration.

    The server is the embedded Redis's owner and stops it on the way out, also one it
    adopted after a crash. An administration command that finds the server's Redis
    running leaves it running.
    """
    if settings.redis_url:
        yield settings.redis_url
        return
    embedded = EmbeddedRedis(settings.data_dir)
    started = not embedded.running()
    url = embedded.start()
    try:
        yield url
    finally:
        if started or owner:
            embedded.stop()


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    # Everything this process and the embedded Redis write (the secret key, the Redis
    # data with names and concerns, visits' files) is for this user's eyes only.
    os.umask(0o077)
    logs.install()
    try:
        settings = _settings(args)
        if args.command in ("serve", "demo"):
            _serve(settings, demo=args.command == "demo")
        elif args.command == "import-offices":
            with _redis_url(settings) as url:
                count = asyncio.run(import_offices(url, args.file))
            print(f"{count} office(s) imported")
        elif args.command == "add-tenant":
            made = Tenant(args.id, args.name, args.ags, **{o: getattr(args, o) for o in TENANT_OPTIONS})
            with _redis_url(settings) as url:
                asyncio.run(add_tenant(url, made, args.website))
            print(f"tenant {made.id} saved; add its first administrator with: virtual-office add-admin LOGIN --name NAME --tenant {made.id}")
        elif args.command == "reset-mfa":
            with _redis_url(settings) as url:
                asyncio.run(reset_second_factor(url, args.login))
            print(f"the second factor of {args.login} is reset: it logs in with its password and enrols again")
        else:
            role = args.command.removeprefix("add-")
            password = os.environ.get(args.password_env, "") if args.password_env else getpass.getpass("Password: ")
            offices = tuple(o.strip() for o in args.offices.split(",") if o.strip())
            with _redis_url(settings) as url:
                asyncio.run(_add_account(url, args.login, args.name, password, role, offices, host=urlsplit(settings.base_url).hostname,
                                         tenant=getattr(args, "tenant", DEFAULT)))
            print(f"{role} {args.login} added")
    except (SettingsError, InvalidInput) as exc:
        sys.exit(f"virtual-office: {exc}")


async def import_offices(redis_url: str, path: Path) -> int:
    """Create or replace the tenants and offices in a TOML file (a [[tenant]] and an [[office]] table each;
    an office names its tenant with ``tenant``, the default tenant without)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInput(f"{path}: {exc}") from exc
    tenants, tenant_providers = [], {}
    for entry in data.get("tenant", []):
        try:  # [tenant.payments.provider]: the provider of its offices that name none of their own
            entry, provider = take_provider(entry) if isinstance(entry, dict) else (entry, None)
        except PaymentError as exc:
            raise InvalidInput(f"tenant {entry.get('id')!r}: payments.provider: {exc}") from exc
        if isinstance(entry, dict) and entry.get("payments") == {}:
            del entry["payments"]
        tenants.append(Tenant.from_config(entry))
        if provider is not None:
            tenant_providers[tenants[-1].id] = provider
    providers: dict[str, ProviderConfig] = {}
    offices = []
    for entry in data.get("office", []):
        try:  # [office.payments.provider] is kept apart from the office: it holds a secret
            entry, provider = take_provider(entry) if isinstance(entry, dict) else (entry, None)
        except PaymentError as exc:
            raise InvalidInput(f"office {entry.get('id')!r}: payments.provider: {exc}") from exc
        offices.append(Office.from_config(entry))
        if provider is not None:
            providers[offices[-1].id] = provider
    client = redis_client.connect(redis_url)
    try:
        for made in tenants:
            await TenantDirectory(client).save(made)
        for tenant_id, provider in tenant_providers.items():
            await ProviderDirectory(client).save_for_tenant(tenant_id, provider)
        for office in offices:
            if not await TenantDirectory(client).exists(office.tenant):
                raise InvalidInput(f"office {office.id!r}: unknown tenant {office.tenant!r}")
        directory = OfficeDirectory(client)
        for office in offices:
            await directory.save(office)
        for office_id, provider in providers.items():
            await ProviderDirectory(client).save(office_id, provider)
    finally:
        await client.aclose()
    return len(offices)


async def add_tenant(redis_url: str, tenant: Tenant, websites: list[str]) -> None:
    """Store the tenant and add ``websites`` to the ones allowed to embed its widget."""
    from virtual_office.server.security import normalize

    good = [normalize(w) for w in websites]
    if None in good or "*" in good:
        raise InvalidInput("--website: an address such as https://www.example.de")
    client = redis_client.connect(redis_url)
    try:
        await TenantDirectory(client).save(tenant)
        if good:
            await client.sadd(keys.allowed_origins(tenant.id), *[w for w in good if w])
    finally:
        await client.aclose()


async def _add_account(redis_url: str, login: str, name: str, password: str, role: str, offices: tuple[str, ...],
                       *, host: str | None, tenant: str = DEFAULT) -> None:
    client = redis_client.connect(redis_url)
    try:
        if not await TenantDirectory(client).exists(tenant):
            raise InvalidInput(f"unknown tenant {tenant!r} (virtual-office add-tenant creates it)")
        known = await OfficeDirectory(client).of_tenant(tenant)
        unknown = [o for o in offices if o not in {k.id for k in known}]
        if unknown:
            raise InvalidInput(f"unknown offices: {', '.join(unknown)}" + (f" (of the tenant {tenant!r})" if tenant != DEFAULT else ""))
        await ClerkDirectory(client).add(login, name, password, role=role, offices=offices, context=deployment_context(known, host),
                                         tenant=tenant)
    finally:
        await client.aclose()


async def reset_second_factor(redis_url: str, login: str) -> None:
    """Remove the account's second factor (InvalidInput for an unknown login); logged with its id only."""
    client = redis_client.connect(redis_url)
    try:
        clerk = await ClerkDirectory(client).by_login(login)
        if clerk is None:
            raise InvalidInput(f"no account with the login {login!r}")
        await SecondFactors(client).reset(clerk.id)
        log.info("second factor of account %s reset from the command line", clerk.id)
    finally:
        await client.aclose()


def _serve(settings: Settings, *, demo: bool) -> None:
    import uvicorn

    from virtual_office.server import create_app
    from virtual_office.server.cluster.workers import Workers, inherited_socket, worker_count

    settings = settings.with_secret()
    logs.install(settings.log_level)
    with _redis_url(settings, owner=True) as url:
        settings = dataclasses.replace(settings, redis_url=url)
        extra_routes = []
        mail_directory = None
        if demo:
            from virtual_office import demo as demo_site

            settings = asyncio.run(demo_site.prepare_demo(settings))
            extra_routes = demo_site.routes
            mail_directory = demo_site.mail_directory(settings)
        settings = _media_addresses(settings, demo=demo)
        count = 1 if demo else worker_count(settings.workers)
        if count > 1:
            # The parent only holds the port and the embedded Redis; each worker is a node.
            log.info("virtual-office %s at %s with %d workers", __version__, settings.base_url, count)
            Workers(settings, url, count).run()
            return
        inherited = inherited_socket()
        # A worker shares rooms with its siblings also through the embedded Redis's socket.
        app = create_app(settings, extra_routes=extra_routes, mail_directory=mail_directory,
                         share_rooms_through_redis=True if inherited else None)
        config = uvicorn.Config(
            app,
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level,
            # Measured (docs/benchmarks.md): status payloads are tiny, so compression only
            # costs memory; the sans-I/O websockets implementation is the fastest here.
            ws="websockets-sansio",
            ws_per_message_deflate=False,
            lifespan="on",
            # The client's address (login throttling) comes from X-Forwarded-For only
            # when the connection comes from a proxy the operator named.
            proxy_headers=bool(settings.trusted_proxies),
            forwarded_allow_ips=list(settings.trusted_proxies) or None,
            # An access log would record every citizen's address: personal data we do
            # not keep. Operators who need one have their reverse proxy's.
            access_log=False,
            # A long-polling socket.io request may wait a minute for news; a stopping
            # server does not wait for it (browsers reconnect to the next one).
            timeout_graceful_shutdown=10,
        )
        # After the Config: it sets up uvicorn's loggers.
        logging.getLogger("uvicorn.error").addFilter(_WithoutClientAddress())
        server = uvicorn.Server(config)
        # Thousands of long-lived connection objects make the default thresholds run
        # full collections of over a second; collect far less often.
        gc.set_threshold(50_000, 20, 100)
        # uvicorn re-raises the signal that stopped it once it has shut down; Python's
        # default for SIGTERM would then end the process before the embedded Redis is
        # stopped below. Exiting through an exception runs the clean-up.
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
        log.info("virtual-office %s at %s", __version__, settings.base_url)
        server.run(sockets=[inherited] if inherited else None)


def _media_addresses(settings: Settings, *, demo: bool) -> Settings:
    """On a host with only loopback, the media server would offer browsers no address at all.

    The demo then offers 127.0.0.1 (its browsers run on the same machine); ``serve``
    says which setting to set instead of leaving every video black without a word.
    """
    from virtual_office.media import ice

    if settings.media.host_addresses or ice.discovered_addresses():
        return settings
    if demo:
        log.info("this host has no network address but loopback: media is offered on the loopback address (browsers on this machine)")
        return dataclasses.replace(settings, media=dataclasses.replace(settings.media, host_addresses=("127.0.0.1",)))
    log.warning(
        "this host has no network address but loopback, so browsers cannot reach the media server and video will "
        "not connect: set VO_MEDIA_HOST_ADDRESSES to the address browsers reach (and VO_MEDIA_ANNOUNCED_ADDRESS "
        "behind NAT; docs/media.md)"
    )
    return settings


class _WithoutClientAddress(logging.Filter):
    """uvicorn logs every WebSocket handshake with the client's address and full URL
    (``'%s - "WebSocket %s" [accepted]'``, even with the access log off): a citizen's
    address is personal data we do not keep, so it becomes "-" and the query goes."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(record.msg, str) and record.msg.startswith('%s - "WebSocket') and isinstance(args, tuple) and len(args) >= 2:
            record.args = ("-", str(args[1]).split("?", 1)[0], *args[2:])
        return True


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


if __name__ == "__main__":  # pragma: no cover
    main()
