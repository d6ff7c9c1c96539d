"""The media part of /visit: signaling between each member's browser and the media server."""

from __future__ import annotations

from typing import Any


class VisitMedia:
    """Mixed into VisitNamespace. Hooks called by it: member_joined, member_left."""

    def __init__(self) -> None:
        pass

    async def member_joined(self, sid: str, ticket: Any, member: Any) -> None:
        """A member connected to the visit (admit them to the media session here)."""

    async def member_left(self, sid: str, visit_id: str, participant: str) -> None:
        """A member's connection closed."""
