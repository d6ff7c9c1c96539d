"""An office that takes appointments only refuses walk-ins over the API, in the citizen's language."""

from __future__ import annotations

from tests.conftest import ALWAYS
from tests.server.staff_pages import Staff, staff_fixture  # noqa: F401 - the staff fixture
from virtual_office.queue import AVAILABLE, Office

ONLY = {"mode": "only", "hours": ALWAYS, "services": [{"id": "ausweis", "name": "Personalausweis", "minutes": 15}]}


def test_a_walk_in_is_refused_with_a_translated_message(staff: Staff) -> None:
    office = Office.from_config({"id": "buergerbuero", "name": "Bürgerbüro", "hours": ALWAYS, "appointments": ONLY})
    staff.run(staff.state.services.offices.save, office)
    for lang, words in (("de", "nur mit Termin"), ("en", "by appointment only")):
        answer = staff.client.post(f"/api/offices/buergerbuero/tickets?lang={lang}", json={"name": "Max"})
        assert answer.status_code == 409, answer.text
        assert answer.json()["error"] == "appointments_only" and words in answer.json()["message"]
    assert staff.run(staff.state.services.room.waiting, "buergerbuero") == []
    # The other office takes walk-ins as before (with a clerk on duty).
    staff.run(staff.state.services.presence.set, "kfz", staff.accounts["anna"].id, AVAILABLE)
    assert staff.client.post("/api/offices/kfz/tickets", json={"name": "Max"}).status_code == 201
