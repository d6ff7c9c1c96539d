"""What members exchange in /visit besides media: chat, files, signatures, the ID check."""

from __future__ import annotations


class VisitExchange:
    """Mixed into VisitNamespace."""

    def __init__(self) -> None:
        pass
