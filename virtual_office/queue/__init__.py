"""The waiting room in Redis: offices, opening hours, tickets, clerks, presence, estimates.

Knows nothing of HTTP or socket.io. Every ticket transition is one atomic Lua script.
The Redis client it is given decodes responses (``decode_responses=True``): replies
are ``str``, which redis-py's types (``bytes | str`` for either setting) cannot say,
so the replies are cast where they are read.
"""

from virtual_office.queue.appointment_settings import AppointmentSettings, Service
from virtual_office.queue.appointments import Appointments, CheckedIn, Held
from virtual_office.queue.bookings import Booking
from virtual_office.queue.clerks import ADMIN, CLERK, OPERATOR, Clerk, ClerkDirectory, WeakPassword
from virtual_office.queue.errors import (
    AlreadyServing,
    AppointmentCancelled,
    AppointmentExpired,
    AppointmentNotFound,
    AppointmentsOnly,
    CallExpired,
    InThePast,
    InvalidAppointment,
    InvalidInput,
    NotAuthorized,
    NotCalled,
    NotInVisit,
    NotWaiting,
    OfficeClosed,
    OutsideHours,
    QueueEmpty,
    QueueError,
    QueueFull,
    SlotFull,
    StoreUnavailable,
    TooEarly,
    TooLate,
    TooManyGuests,
    UnknownOffice,
    UnknownTicket,
)
from virtual_office.queue.estimate import Estimate, estimate_wait
from virtual_office.queue.hours import OpeningHours
from virtual_office.queue.offices import Office, OfficeDirectory
from virtual_office.queue.presence import AVAILABLE, OFFLINE, PAUSED, Presence
from virtual_office.queue.stats import DayStats, day_stats, recent_stats
from virtual_office.queue.status import OfficeStatus, office_status
from virtual_office.queue.tenants import DEFAULT, Tenant, TenantDirectory, UnknownTenant
from virtual_office.queue.tickets import CALLED, IN_VISIT, WAITING, Ticket
from virtual_office.queue.waiting_room import Ended, Joined, WaitingRoom

__all__ = [
    "AppointmentCancelled", "AppointmentExpired", "AppointmentNotFound", "AppointmentSettings", "AppointmentsOnly",
    "Appointments", "Booking", "CheckedIn", "Held", "InThePast", "InvalidAppointment", "OutsideHours",
    "Service", "SlotFull", "TooLate",
    "ADMIN", "AVAILABLE", "DEFAULT", "OPERATOR", "Tenant", "TenantDirectory", "UnknownTenant", "CALLED", "CLERK", "IN_VISIT", "OFFLINE", "PAUSED", "WAITING",
    "AlreadyServing", "CallExpired", "Clerk", "ClerkDirectory", "DayStats", "Ended",
    "Estimate", "InvalidInput", "Joined", "NotAuthorized", "NotCalled", "NotInVisit",
    "NotWaiting", "Office", "OfficeClosed", "OfficeDirectory", "OfficeStatus",
    "OpeningHours", "Presence", "QueueEmpty", "QueueError", "QueueFull",
    "StoreUnavailable", "Ticket", "TooEarly", "TooManyGuests", "UnknownOffice", "UnknownTicket",
    "WaitingRoom", "WeakPassword", "day_stats", "estimate_wait", "office_status", "recent_stats",
]
