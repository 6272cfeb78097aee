"""Text from outside (URLs, server messages) made safe to show: no control characters,
no credentials. Display code builds `rich.text.Text`/Textual `Content` from these strings,
never markup."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def has_control(text: str) -> bool:
    return _CONTROL.search(text) is not None


def plain(text: str) -> str:
    """Control characters (ESC, CR, BEL, bidi overrides...) shown as visible escapes."""
    return _CONTROL.sub(_escape, text)


def mask_userinfo(url: str) -> str:
    """`http://user:secret@host/x` -> `http://user:***@host/x` (a password is a secret)."""
    if "@" not in url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    masked = f"{user}:***@{hostport}" if ":" in userinfo else f"***@{hostport}"
    return urlunsplit(parts._replace(netloc=masked))


def display_url(url: str) -> str:
    """What a screen or report shows for a URL: credentials masked, controls escaped."""
    return plain(mask_userinfo(url))


def shorten_middle(text: str, width: int) -> str:
    """Shorten to `width` cells by cutting the middle (keeps the host and the file name)."""
    if width <= 0:
        return ""
    if len(text) <= width:
        return text
    if width <= 3:
        return text[:width]
    head = (width - 1) // 2
    tail = width - 1 - head
    return text[:head] + "…" + text[-tail:]
