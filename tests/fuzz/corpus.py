"""The fuzzer's inputs: a fixed, deterministic list of malformed values, as JSON text.

Every value is the JSON *text* a hostile client could send, so that it can also be
what no JSON library writes: NaN, Infinity, 200-digit integers, lone surrogates
(``"\\ud800"``), nesting a thousand deep.
"""

from __future__ import annotations

import json

DEEP = 1000

BAD_VALUES: dict[str, str] = {
    "null": "null",
    "true": "true",
    "zero": "0",
    "negative": "-1",
    "float": "1.5",
    "nan": "NaN",
    "infinity": "-Infinity",
    "huge int": "1" * 200,
    "huge exponent": "1e400",
    "empty string": '""',
    "long string": json.dumps("x" * 60_000),
    "lone surrogate": '"\\ud800"',
    "low surrogate": '"a\\udfffb"',
    "nul and controls": json.dumps("\x00\x01\x1b[2J\u202e"),
    "path": json.dumps("../../../etc/passwd"),
    "unknown id": json.dumps("0123456789abcdef"),
    "markup": json.dumps("<script>alert(1)</script>"),
    "empty list": "[]",
    "list": '["buergerbuero"]',
    "empty object": "{}",
    "object": '{"id": "buergerbuero"}',
    "deep list": "[" * DEEP + "]" * DEEP,
    "deep object": '{"a":' * DEEP + "1" + "}" * DEEP,
}
"""Values for a field (and for the whole payload)."""

POISON: dict[str, str] = {
    name: BAD_VALUES[name]
    for name in ("nan", "infinity", "huge int", "huge exponent", "lone surrogate", "low surrogate", "deep list", "deep object")
}
"""Values that must be refused wherever they appear, even beside an otherwise valid payload."""


def obj(fields: dict[str, str]) -> str:
    """A JSON object from field name -> JSON text."""
    return "{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in fields.items()) + "}"


FREE_TEXT = {"nul and controls", "path", "unknown id", "markup"}
"""Values that are valid where any text is (a chat message, an announcement)."""


def event_inputs(
    event: str, valid: dict[str, str], *, empty_is_valid: bool, also_valid: dict[str, set[str]] | None = None
) -> list[tuple[str, str]]:
    """(label, args JSON text) for one event: ``valid`` maps its fields to valid JSON text.

    None of them is a valid action, unless ``empty_is_valid`` (the event takes ``{}``
    and changes nothing): then the empty payloads are sent too. ``also_valid`` names
    the values of ``BAD_VALUES`` a field accepts (they are not sent there).
    """
    name = json.dumps(event)
    cases: list[tuple[str, str]] = []
    for label, value in BAD_VALUES.items():
        if value in ("null", "{}") and not (empty_is_valid or valid):
            continue  # that is the valid empty payload of an event that acts
        cases.append((f"payload {label}", f"{name},{value}"))
    if empty_is_valid:
        cases.append(("no payload", name))
    for field in valid:
        for label, value in BAD_VALUES.items():
            if label not in (also_valid or {}).get(field, set()):
                cases.append((f"{field}={label}", f"{name},{obj({**valid, field: value})}"))
        others = {k: v for k, v in valid.items() if k != field}
        cases.append((f"{field} missing", f"{name},{obj(others)}"))
    for label, value in POISON.items():
        cases.append((f"extra field {label}", f"{name},{obj({**valid, 'extra': value})}"))
    cases.append(("surrogate key", f'{name},{{"\\ud800":1}}'))
    cases.append(("two arguments", f"{name},{obj(valid)},{{}}"))
    cases.append(("three arguments", f"{name},{obj(valid)},1,2"))
    cases.append(("binary-looking object", f'{name},{{"_placeholder":true,"num":0}}'))  # undeclared fields: refused
    return cases


UNKNOWN_EVENTS = [
    '"no_such_event"', '""', '"on_connect"', '"__init__"', '"dispatch"', '"trigger_event"', '"emit"',
    '"connect"', '"disconnect"', '"message"', '"x' + "y" * 5000 + '"', '"\\ud800"', '"on_\\u0000"',
    "7", "null", "true", "[]", '["call"]', "{}", '{"event":"call"}', "1" * 200, "NaN",
]
"""Event names (JSON text) no namespace answers, or that are not names at all."""

BAD_FRAMES = [
    "4", "42", "42[", "42/clerk", "42/clerk,", "42/clerk,1", "42/clerk,1[", "42/clerk,1{}", "42/clerk,1[]",
    '42/clerk,1["x"', "42/clerk,abc[]", "42/nope,1[\"x\"]", "43/clerk,1[]", "44/clerk,{}", "46/clerk,1[]",
    "49", "4x", "7", "", "42/clerk," + "9" * 200 + '["x"]', "42" + "[" * DEEP, '451-/clerk,1["x",{"_placeholder":true,"num":5}]',
    '452-/clerk,1["x"]', '42/clerk,1["x",' + "1" * 5000 + "]", "40/clerk,{", "40/clerk,[]", "41/nope,",
]
"""Engine.IO / socket.io frames that are broken, sent on a connection of the /clerk namespace."""


def bad_headers(own_origin: str) -> list[dict[str, str]]:
    """Headers a browser would never send: malformed origins, credentials, names and languages."""
    host = own_origin.removeprefix("http://")
    return [
        {"Origin": own_origin.rsplit(":", 1)[0] + ":99999"},
        {"Origin": own_origin.rsplit(":", 1)[0] + ":abc"},
        {"Origin": "http://[::1"},
        {"Origin": "null"},
        {"Origin": "http://"},
        {"Origin": "//" + host},
        {"Origin": f"http://user:pw@{host}"},
        {"Origin": "javascript:alert(1)"},
        {"Origin": "http://" + "a" * 4000 + ".example"},
        {"Origin": own_origin, "Cookie": "vo_session=garbage"},
        {"Origin": own_origin, "Cookie": "vo_session="},
        {"Origin": own_origin, "Cookie": "vo_session=" + "x" * 4000},
        {"Origin": own_origin, "Cookie": "=; ;; vo_session"},
        {"Origin": own_origin, "Cookie": "vo_session=a.b.c; vo_session=d"},
        {"Origin": own_origin, "Authorization": "Bearer"},
        {"Origin": own_origin, "Authorization": "Bearer " + "a" * 5000},
        {"Origin": own_origin, "Authorization": "Bearer 0123456789abcdef.x"},
        {"Origin": own_origin, "Authorization": "Basic Zm9vOmJhcg=="},
        {"Origin": own_origin, "Accept-Language": "*;q=nan, ;;;, de-DE;q=2"},
        {"Origin": own_origin, "Accept-Language": "x" * 5000},
        {"Origin": own_origin, "X-Forwarded-For": "not an address, , ::ffff:999.1.1.1"},
        {"Origin": own_origin, "Host": "bad host:99999"},
    ]


DEEP_LIST = ("[" * DEEP + "]" * DEEP).encode()
DEEP_OBJECT = ('{"a":' * DEEP + "1" + "}" * DEEP).encode()

JSON = "application/json"

BAD_BODIES: list[tuple[str | None, bytes]] = [
    (JSON, b"{"),
    (JSON, b"null"),
    (JSON, b"[]"),
    (JSON, b'"x"'),
    (JSON, b"1" * 200),
    (JSON, DEEP_LIST),
    (JSON, DEEP_OBJECT),
    (JSON, b'{"name": NaN}'),
    (JSON, b'{"name": -Infinity}'),
    (JSON, b'{"name": 1e400}'),
    (JSON, b'{"name": ' + b"1" * 200 + b"}"),
    (JSON, b'{"name": "\\ud800", "login": "\\ud800", "password": "\\udfff"}'),
    (JSON, b'{"\\ud800": 1}'),
    (JSON, b'{"name": {"a": ' + DEEP_LIST + b"}}"),
    (JSON, b'{"name": 7, "concern": [], "language": {}, "login": 7, "password": null}'),
    (JSON, b'{"name": "' + b"x" * 15000 + b'"}'),
    (JSON, b"\xff\xfe\xfd"),
    (JSON, b"x" * 200_000),
    ("text/plain", b'{"name": 1}'),
    ("application/x-www-form-urlencoded", b"name=%ff%fe&csrf_token=x&login=\x00&password=" + b"p" * 10000),
    ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data; name=\"a\r\n\r\nbroken"),
    ("multipart/form-data", b"no boundary"),
    (None, b"\x00" * 100),
]
"""Bodies for the JSON API, the forms and uploads: not JSON, too deep, too big, the wrong type."""

def _sdp(*sections: tuple[str, str]) -> str:
    """A session description that looks like a browser's, with m-lines of the given (kind, mid)."""
    head = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
    fingerprint = "a=fingerprint:sha-256 " + ":".join(["AB"] * 32)
    body = "".join(
        f"m={kind} 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:{mid}\r\na=ice-ufrag:abcd\r\n"
        f"a=ice-pwd:{'p' * 24}\r\n{fingerprint}\r\na=setup:actpass\r\na=rtcp-mux\r\na=sendrecv\r\n"
        "a=rtpmap:111 opus/48000/2\r\n"
        for kind, mid in sections
    )
    return head + body


BROKEN_SDP = [
    _sdp(("text", "0"), ("audio", "1")),
    _sdp(("foo", "x"), ("audio", "1")),
    _sdp(("audio", "0"), ("video", "0")),
    _sdp(("audio", "0"), ("", "1")),
    "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n",
    "v=0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:0\r\n",
    "v=0\r\nm=video 9 X 96\r\nm=audio 0 Y\r\n",
    "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
    "c=IN IP4 0.0.0.0\r\na=mid:0\r\na=sendrecv\r\na=rtpmap:111 opus/48000/2\r\na=ice-ufrag:abcd\r\na=ice-pwd:"
    + "p" * 24 + "\r\na=fingerprint:sha-256 00\r\na=setup:actpass\r\n",
    "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:\r\na=rtpmap:111\r\na=ice-ufrag:\r\na=setup:\r\n",
    "v=0\r\nm=\r\nm=video\r\nm=audio x y z\r\n",
    "v=0\r\n" + "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n" * 3,
    "v=0" + "\r\na=x" * 9000 + "\r\nm=audio x\r\n",
]
"""Offers and answers that start like SDP and then are not."""


def signal_inputs() -> list[tuple[str, str]]:
    cases = []
    for index, sdp in enumerate(BROKEN_SDP):
        for kind in ("offer", "answer"):
            cases.append((f"broken {kind} {index}", '"signal",' + json.dumps({"type": kind, "sdp": sdp})))
        cases.append((f"offer {index} with bad sources", '"signal",' + json.dumps({"type": "offer", "sdp": sdp, "sources": {"0": "x"}})))
    for candidate in ("candidate:garbage", "candidate:1 1 udp x 1.2.3.4 9 typ host", "x" * 2000):
        cases.append((f"candidate {candidate[:20]}", '"signal",' + json.dumps({"type": "candidate", "candidate": candidate, "sdpMid": "0"})))
    cases.append(("candidate bad index", '"signal",{"type":"candidate","candidate":"candidate:1","sdpMLineIndex":' + "9" * 200 + "}"))
    return cases


OFFER_BODIES: list[tuple[str | None, bytes]] = [
    (JSON, json.dumps({"type": kind, "sdp": sdp}).encode()) for sdp in BROKEN_SDP for kind in ("offer", "answer")
]
"""Bodies for the connection check only: elsewhere an object with unknown fields is a valid request."""
