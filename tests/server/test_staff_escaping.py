"""Names are text: office and account names with HTML in them never become markup on staff pages."""

from __future__ import annotations

from tests.server.staff_pages import Staff, staff_fixture  # noqa: F401 - the staff fixture

EVIL_OFFICE = '<img src=x onerror="alert(1)">Amt</script><script>alert(2)</script>'
EVIL_NAME = "<script>alert('clerk')</script><b>Anna</b>"


def test_names_with_markup_are_shown_as_text_everywhere(staff: Staff) -> None:
    staff.login("root")
    office = {"id": "boese", "name": EVIL_OFFICE, "name_en": EVIL_OFFICE, "description": EVIL_OFFICE,
              "services": EVIL_OFFICE, "timezone": "Europe/Berlin", "languages": "de", "max_queue": "5",
              "early_queue_minutes": "0", "order": "9", "hours-mon-start": "08:00", "hours-mon-end": "12:00"}
    assert staff.post("/admin/offices/new", office).status_code == 303
    anna = staff.accounts["anna"]
    root = staff.accounts["root"]
    assert staff.post(f"/admin/clerks/{anna.id}", {"name": EVIL_NAME, "role": "clerk", "offices": ["boese"]}).status_code == 303
    assert staff.post(f"/admin/clerks/{root.id}", {"name": EVIL_NAME, "role": "admin", "offices": ["boese"]}).status_code == 303

    pages = ["/console", "/console?lang=en", "/admin", "/admin/offices/boese", "/admin/offices/boese/delete",
             f"/admin/clerks/{anna.id}", f"/admin/clerks/{anna.id}/delete", "/admin/clerks/new", "/admin/embed",
             "/admin/stats?office=boese"]
    for path in pages:
        page = staff.client.get(path)
        assert page.status_code == 200, path
        text = page.text
        assert "<img src=x" not in text and "<script>alert" not in text and "<b>Anna" not in text, path
        assert "&lt;img src=x" in text or "&lt;script&gt;alert(&#39;clerk" in text, path  # shown, as text
    # the console hands the names to its script as JSON that cannot close the <script> element
    console = staff.client.get("/console?lang=de").text
    config = console.split('<script type="application/json" id="console-config">', 1)[1].split("</script>", 1)[0]
    assert "<" not in config and "\\u003cimg src=x" in config
    # the logged-in name in the header is text as well
    assert "Angemeldet: &lt;script&gt;alert(&#39;clerk&#39;)&lt;/script&gt;&lt;b&gt;Anna&lt;/b&gt;" in console
