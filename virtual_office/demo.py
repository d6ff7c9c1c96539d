"""`virtual-office demo`: demo offices, demo accounts, the example city page and a test payment platform.

Paying can be tried with no contract: the local XBezahldienste platform (``payments/sandbox.py``)
runs in the demo's own process under ``/sandbox/xbezahldienste/``, and the Bürgerbüro takes its
fees there; the Kfz-Zulassungsstelle asks for a bank transfer by GiroCode. No money moves.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route

from virtual_office import redis_client
from virtual_office.payments import ProviderConfig, ProviderDirectory
from virtual_office.payments.sandbox import SandboxPlatform
from virtual_office.queue import ADMIN, CLERK, ClerkDirectory, Office, OfficeDirectory
from virtual_office.settings import Settings

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
ALL_DAYS = (*WEEKDAYS, "sat", "sun")

DEMO_OFFICES = [
    {
        "id": "buergerbuero",
        "name": "Bürgerbüro",
        "name_en": "Citizens' Office",
        "description": "Personalausweis, Reisepass, Ummeldung, Führungszeugnis",
        "description_en": "ID cards, passports, registering an address, certificates of good conduct",
        "services": ["Personalausweis", "Reisepass", "Ummeldung", "Führungszeugnis"],
        "languages": ["de", "en"],
        # Open around the clock so the demo works whenever it is tried.
        "hours": {day: [["00:00", "24:00"]] for day in ALL_DAYS},
        "early_queue_minutes": 15,
        "order": 0,
        # Appointments too, bookable from a few minutes on, so the whole way (booking, the mails in
        # the demo's mailbox, entering on time) can be tried at once.
        "appointments": {
            "mode": "also", "lead_minutes": 0, "slot_minutes": 5, "capacity": 2, "early_check_in_minutes": 30,
            "services": [{"id": "personalausweis", "name": "Personalausweis", "name_en": "Identity card", "minutes": 15},
                         {"id": "ummeldung", "name": "Ummeldung", "name_en": "Registering an address", "minutes": 10}],
        },
        "payments": {
            "fees": [
                {"id": "fuehrungszeugnis", "name": "Führungszeugnis", "name_en": "Certificate of good conduct", "amount": "13,00",
                 "purpose": "Fuehrungszeugnis", "description": "Führungszeugnis für private Zwecke",
                 "booking_data": {"Haushaltsstelle": "1.1220.1100"}},
                {"id": "personalausweis", "name": "Personalausweis", "name_en": "Identity card", "amount": "37,00",
                 "purpose": "Personalausweis", "booking_data": {"Haushaltsstelle": "1.1220.1200"}},
                {"id": "meldebescheinigung", "name": "Meldebescheinigung", "name_en": "Certificate of registration",
                 "amount": "5,00", "purpose": "Meldebescheinigung", "booking_data": {"Haushaltsstelle": "1.1220.1300"}},
            ],
            "free_amount": True,
            "free_amount_max": "200,00",
            "free_booking_data": {"Haushaltsstelle": "1.1220.1999"},
        },
    },
    {
        "id": "kfz",
        "name": "Kfz-Zulassungsstelle",
        "name_en": "Vehicle Registration",
        "description": "Zulassung, Ummeldung und Abmeldung von Fahrzeugen",
        "description_en": "Registering, transferring and deregistering vehicles",
        "services": ["Zulassung", "Abmeldung", "Wunschkennzeichen"],
        "languages": ["de"],
        "hours": {day: [["00:00", "24:00"]] for day in ALL_DAYS},
        "order": 1,
        "payments": {"fees": [
            {"id": "zulassung", "name": "Zulassung", "name_en": "Registration", "amount": "30,70", "purpose": "Zulassung",
             "booking_data": {"Haushaltsstelle": "1.1221.1100"}},
            {"id": "wunschkennzeichen", "name": "Wunschkennzeichen", "name_en": "Personalised plate", "amount": "10,20",
             "purpose": "Wunschkennzeichen", "booking_data": {"Haushaltsstelle": "1.1221.1200"}},
        ]},
    },
    {
        "id": "standesamt",
        "name": "Standesamt",
        "name_en": "Registry Office",
        "description": "Geburten, Eheschließungen, Urkunden",
        "description_en": "Births, marriages, certificates",
        "services": ["Geburtsurkunde", "Eheschließung"],
        "languages": ["de", "en"],
        "hours": {day: [["08:00", "12:00"]] for day in WEEKDAYS} | {"thu": [["08:00", "12:00"], ["14:00", "18:00"]]},
        "closed_days": ["2026-12-24", "2026-12-25", "2026-12-26", "2026-12-31", "2027-01-01"],
        "order": 2,
    },
]

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "musterstadt"

SANDBOX_PATH = "/sandbox/xbezahldienste"
SANDBOX_CLIENT = ("virtual-office-demo", "demo-client-secret-no-money-moves")
SANDBOX_ORIGINATOR, SANDBOX_ENDPOINT = "virtuelles-buergerbuero", "demo"
sandbox = SandboxPlatform()
"""The demo's payment platform: in this process, its payments in memory (gone with the process)."""
sandbox.add_client(*SANDBOX_CLIENT, SANDBOX_ORIGINATOR, SANDBOX_ENDPOINT)
DEMO_TRANSFER = {"kind": "girocode", "recipient": "Stadtkasse Musterstadt", "iban": "DE89 3704 0044 0532 0130 00",
                 "reference_prefix": "KFZ"}
"""A well-known sample IBAN (it belongs to nobody's demo money)."""


async def prepare_demo(settings: Settings) -> Settings:
    """Create the demo offices and accounts once (kept in the data directory) and print them."""
    assert settings.redis_url
    client = redis_client.connect(settings.redis_url)
    try:
        offices = OfficeDirectory(client)
        if not await offices.ids():
            for data in DEMO_OFFICES:
                await offices.save(Office.from_config(data))
        accounts = await _demo_accounts(settings.data_dir, ClerkDirectory(client))
        await _demo_payments(settings, ProviderDirectory(client))
    finally:
        await client.aclose()
    base = settings.base_url
    print(
        "\n  virtual-office demo\n"
        f"  Example city page:  {base}/example/\n"
        f"  Clerk console:      {base}/console   (login {accounts['clerk'][0]}, password {accounts['clerk'][1]})\n"
        f"  Administration:     {base}/admin     (login {accounts['admin'][0]}, password {accounts['admin'][1]})\n"
        "  Go available in the console and the offices show as open.\n"
        f"  Fees are paid on a test platform ({base}{SANDBOX_PATH}/) or by GiroCode: no money moves.\n",
        flush=True,
    )
    mailbox = mail_directory(settings)
    if mailbox is not None:
        print(f"  E-mail is not sent (no VO_SMTP_URL): each message is written to {mailbox}/ as an .eml file.\n", flush=True)
    return settings


async def _demo_payments(settings: Settings, providers: ProviderDirectory) -> None:
    """The sandbox for the Bürgerbüro, a transfer for the Kfz office, unless an administrator set others."""
    sandbox.base_url = settings.base_url + SANDBOX_PATH
    base = settings.base_url + SANDBOX_PATH
    wanted = {
        "buergerbuero": {"kind": "xbezahldienste", "base_url": base + "/", "token_url": base + "/oauth/token",
                         "originator_id": SANDBOX_ORIGINATOR, "endpoint_id": SANDBOX_ENDPOINT,
                         "client_id": SANDBOX_CLIENT[0], "client_secret": SANDBOX_CLIENT[1]},
        "kfz": DEMO_TRANSFER,
    }
    for office_id, config in wanted.items():
        current = await providers.find(office_id)
        # The sandbox's address follows the demo's (another port): only the demo's own settings are renewed.
        if current is None or (current.kind == "xbezahldienste" and getattr(current.settings, "client_id", "") == SANDBOX_CLIENT[0]):
            await providers.save(office_id, ProviderConfig.from_config(config))


def mail_directory(settings: Settings) -> Path | None:
    """Where the demo keeps its e-mail when no mail server is configured (None: it sends through VO_SMTP_URL)."""
    return None if settings.smtp_url else settings.data_dir / "mail"


async def _demo_accounts(data_dir: Path, clerks: ClerkDirectory) -> dict[str, tuple[str, str]]:
    path = data_dir / "demo-accounts.json"
    if path.exists():
        saved = json.loads(path.read_text())
        return {k: (v[0], v[1]) for k, v in saved.items()}
    # 20 random characters: the password rule asks for 15 (queue/passwords.py).
    accounts = {"clerk": ("sachbearbeitung", secrets.token_urlsafe(15)), "admin": ("admin", secrets.token_urlsafe(15))}
    await clerks.add(accounts["clerk"][0], "Sam Sachbearbeitung", accounts["clerk"][1], role=CLERK, offices=("buergerbuero", "kfz", "standesamt"))
    await clerks.add(accounts["admin"][0], "Alex Admin", accounts["admin"][1], role=ADMIN, offices=("buergerbuero",))
    data_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(accounts))
    path.chmod(0o600)
    return accounts


async def example_page(request: Request) -> Response:
    """The Musterstadt page, embedding the widget exactly as a webmaster would."""
    page = EXAMPLES / "index.html"
    if not page.exists():
        return HTMLResponse("<p>The example site is in the source checkout (examples/musterstadt).</p>", status_code=404)
    html = page.read_text(encoding="utf-8").replace("{{ office_url }}", request.app.state.settings.base_url)
    return HTMLResponse(html)


routes = [
    Route("/example", lambda request: RedirectResponse("/example/")),
    Route("/example/", example_page),
    Mount(SANDBOX_PATH, app=sandbox.app),
]
