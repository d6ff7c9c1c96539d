"""What members of a visit exchange besides media: chat, files, signatures, the ID check,
and the visit record. Nothing of it outlives the visit.

The socket.io events are in ``realtime/visit_exchange.py``; this package holds the rest:
the file store (``files``), type sniffing (``sniff``), remembered state (``state``),
signature requests (``signature``), the record (``record``), the upload and download
routes (``routes``) and what happens when a visit ends (``lifecycle``).
"""

from virtual_office.server.exchange.exchange import Exchange, exchange_for, script_strings, staff_room
from virtual_office.server.exchange.files import StoredFile, VisitFiles
from virtual_office.server.exchange.lifecycle import sweep_leftovers, visit_over
from virtual_office.server.exchange.routes import routes

__all__ = [
    "Exchange",
    "StoredFile",
    "VisitFiles",
    "exchange_for",
    "routes",
    "script_strings",
    "staff_room",
    "sweep_leftovers",
    "visit_over",
]
