"""What members of a visit exchange besides media: chat, files, signatures, the ID check,
and the visit record. Nothing of it outlives the visit.

``events`` answers the socket.io events, ``routes`` the file uploads and downloads;
underneath are the file store (``files``, ``sniff``), what is remembered while the
visit lasts (``state``), signature requests (``signature``), the chat (``chat``) and
the record (``record``). ``Exchange`` ties one process's store together.
"""

from virtual_office.server.visit.exchange.events import ExchangeEvents
from virtual_office.server.visit.exchange.exchange import Exchange
from virtual_office.server.visit.exchange.files import StoredFile, VisitFiles
from virtual_office.server.visit.exchange.routes import routes
from virtual_office.server.visit.exchange.state import VisitState

__all__ = ["Exchange", "ExchangeEvents", "StoredFile", "VisitFiles", "VisitState", "routes"]
