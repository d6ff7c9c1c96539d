"""Passwords for tests: ones the password rule (virtual_office/queue/passwords.py) accepts, and one it refuses for each reason."""

PASSWORD = "correct horse battery"
"""Most tests' accounts; accepted (21 characters, not on the list, no pattern)."""
NEW_PASSWORD = "ein ganz neues passwort"
"""A second accepted password, for a change of password."""

REFUSED = {
    "too_short": "kurz und gut",
    "too_long": "ein langer satz " * 17,
    "unprintable": "zeile eins\nzeile zwei und drei",
    "common": "Passwort 12345678",
    "context": "Anna Amt im Bürgerbüro",
    "repetitive": "abcabcabcabcabcabc",
    "sequential": "qwertzuiop123456",
}
"""For each reason (passwords.REASONS), a password refused for that reason alone (context: Anna Amt, login anna,
the office Bürgerbüro)."""
