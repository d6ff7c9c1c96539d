"""Editing an office in the administration keeps its fee catalogue (the form does not show it)."""

from __future__ import annotations

from tests.conftest import ALWAYS
from tests.payments.conftest import FEES
from tests.server.staff_pages import Staff, staff_fixture  # noqa: F401 - the staff fixture
from virtual_office.queue import Office


def test_editing_an_office_keeps_its_fees(staff: Staff) -> None:
    staff.login("root")
    offices = staff.state.services.offices
    staff.run(offices.save, Office.from_config({"id": "kasse", "name": "Kasse", "hours": ALWAYS, "payments": FEES}))
    form = {"name": "Kasse Mitte", "name_en": "", "description": "", "description_en": "", "services": "", "languages": "de",
            "timezone": "Europe/Berlin", "max_queue": "20", "early_queue_minutes": "0", "prefix": "K", "embed_origins": "",
            "order": "1", "hotline": "", "hours-mon-start": ["08:00"], "hours-mon-end": ["12:00"], "closed_days": [""]}
    assert staff.post("/admin/offices/kasse", form).status_code == 303
    offices.forget()
    office = staff.run(offices.get, "kasse")
    assert office.name == "Kasse Mitte"
    assert office.payments.fee("fuehrungszeugnis").amount == 1300 and office.payments.free_amount
