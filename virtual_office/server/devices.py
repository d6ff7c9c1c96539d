"""A coarse description of a staff member's device, for their list of sessions: browser family
and operating system, read from the User-Agent. Only these two words are kept, never the
User-Agent itself (it identifies a browser far more finely than "Firefox on Windows")."""

from __future__ import annotations

BROWSERS = (("Edg/", "edge"), ("OPR/", "opera"), ("Firefox/", "firefox"), ("Chrome/", "chrome"), ("Chromium/", "chrome"),
            ("Safari/", "safari"))
"""Substring -> family, in the order to look (Edge and Opera also say Chrome, Chrome also says Safari)."""
SYSTEMS = (("Windows", "windows"), ("iPhone", "ios"), ("iPad", "ios"), ("Android", "android"), ("CrOS", "chromeos"),
           ("Mac OS X", "macos"), ("Macintosh", "macos"), ("Linux", "linux"))
NAMES = {"edge": "Edge", "opera": "Opera", "firefox": "Firefox", "chrome": "Chrome", "safari": "Safari",
         "windows": "Windows", "ios": "iOS", "android": "Android", "chromeos": "ChromeOS", "macos": "macOS", "linux": "Linux"}


def describe(user_agent: str | None) -> str:
    """``family/system`` from our own vocabulary (``firefox/windows``); an empty part when unknown."""
    ua = (user_agent or "")[:512]
    browser = next((family for marker, family in BROWSERS if marker in ua), "")
    system = next((name for marker, name in SYSTEMS if marker in ua), "")
    return f"{browser}/{system}"


def parts(description: str) -> tuple[str | None, str | None]:
    """The display names of a stored description's browser and system (None when unknown)."""
    browser, _, system = description.partition("/")
    return NAMES.get(browser), NAMES.get(system)
