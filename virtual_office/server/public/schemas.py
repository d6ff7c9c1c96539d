"""What the widget sends over /public: only when it connects (it never sends an event)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from virtual_office.queue import DEFAULT
from virtual_office.server.schemas import Connect


class WidgetConnect(Connect):
    """``offices``: the ids the page's snippet names (``data-offices``), or none for all of its tenant's.

    Ids are only compared with the offices that exist, so any text will do; an unknown one
    is simply not shown.
    """

    offices: Annotated[list[Annotated[str, StringConstraints(max_length=100)]], Field(max_length=1000)] | None = None
    tenant: Annotated[str, StringConstraints(max_length=40)] = DEFAULT
    """The municipality whose offices the page shows (``data-tenant``); the default tenant when absent."""

