"""Message text handling: UTF-16 lengths and Telegram's parse modes.

Telegram counts text limits in UTF-16 code units *after* entity parsing, so the
stand-in parses HTML / MarkdownV2 / Markdown the way the Bot API does (closely
enough for tests) and measures the resulting plain text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "EntityParseError",
    "ParsedText",
    "find_entities",
    "parse_text",
    "utf16_len",
]


class EntityParseError(ValueError):
    """Raised when formatted text cannot be parsed (Telegram's "can't parse entities")."""


@dataclass
class ParsedText:
    """Plain text plus its MessageEntity dicts (offsets in UTF-16 code units)."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, as Telegram counts it."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


class _Builder:
    """Accumulates plain text and tracks the UTF-16 position."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0
        self.entities: list[dict[str, Any]] = []

    def add(self, chunk: str) -> None:
        self.parts.append(chunk)
        self.pos += utf16_len(chunk)

    def entity(self, kind: str, start: int, **extra: Any) -> None:
        length = self.pos - start
        if length <= 0:
            return
        entity: dict[str, Any] = {"type": kind, "offset": start, "length": length}
        entity.update({k: v for k, v in extra.items() if v is not None})
        self.entities.append(entity)

    def result(self) -> ParsedText:
        entities = sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))
        return ParsedText("".join(self.parts), entities)


# --------------------------------------------------------------------------- HTML

_HTML_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "tg-time",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_HTML_SPACE = " \t\r\n\v\f"
_NAMED_REFS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _decode_charref(source: str, i: int) -> tuple[str, int] | None:
    """Decode ``&...`` at ``i`` like the Bot API (semicolon optional, 4 named refs)."""
    end = i + 1
    if source.startswith("&#", i):
        end += 1
        if source.startswith("x", end):
            end += 1
            digits_start = end
            while end < len(source) and source[end] in "0123456789abcdefABCDEF":
                end += 1
            code = int(source[digits_start:end], 16) if end > digits_start else 0
        else:
            digits_start = end
            while end < len(source) and source[end].isdigit() and source[end].isascii():
                end += 1
            code = int(source[digits_start:end]) if end > digits_start else 0
        if code == 0 or code >= 0x10FFFF or end - i >= 10:
            return None
        char = chr(code)
    else:
        while end < len(source) and source[end].isascii() and source[end].isalpha():
            end += 1
        named = _NAMED_REFS.get(source[i + 1 : end])
        if named is None:
            return None
        char = named
    if source.startswith(";", end):
        end += 1
    return char, end


def _checked_link(url: str) -> str | None:
    """A usable link (scheme added when missing) or None, like get_checked_link."""
    url = url.strip()
    if not url or any(c in url for c in ' \n<>"'):
        return None
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", url):
        return url if url.split(":", 1)[0].lower() in ("http", "https", "tg", "ton") else None
    return "http://" + url


def parse_html(source: str) -> ParsedText:
    """Parse Telegram-flavoured HTML into plain text and entities.

    A port of the Bot API's parser: the same tags, attribute rules and error
    messages (byte offsets are into the UTF-8 source).
    """
    out = _Builder()
    stack: list[tuple[str, str, int, int]] = []  # tag, argument, utf16 start, text index
    extra: dict[int, dict[str, str]] = {}  # per stack depth: tg-time / blockquote attributes
    n = len(source)

    def at(index: int) -> str:
        return source[index] if index < n else ""

    def is_space(char: str) -> bool:
        return char == "" or char in _HTML_SPACE

    i = 0
    while i < n:
        char = source[i]
        if char == "&":
            decoded = _decode_charref(source, i)
            if decoded is not None:
                out.add(decoded[0])
                i = decoded[1]
                continue
        if char != "<":
            out.add(char)
            i += 1
            continue
        begin = i
        offset = _byte_offset(source, begin)
        i += 1
        if at(i) != "/":
            while not is_space(at(i)) and at(i) != ">":
                i += 1
            if i >= n:
                raise EntityParseError(f"Unclosed start tag at byte offset {offset}")
            tag = source[begin + 1 : i].lower()
            if tag not in _HTML_TAGS:
                raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {offset}')
            argument = ""
            attrs: dict[str, str] = {}
            while at(i) != ">":
                while i < n and is_space(at(i)):
                    i += 1
                if at(i) == ">":
                    break
                name_start = i
                while not is_space(at(i)) and at(i) not in "=>":
                    i += 1
                name = source[name_start:i]
                if not name:
                    raise EntityParseError(
                        f'Empty attribute name in the tag "{tag}" at byte offset {offset}'
                    )
                while i < n and is_space(at(i)):
                    i += 1
                if at(i) != "=":
                    if tag == "blockquote" and name.lower() == "expandable":
                        attrs["expandable"] = ""
                        continue
                    raise EntityParseError(
                        "Expected equal sign in declaration of an attribute of the tag "
                        f'"{tag}" at byte offset {offset}'
                    )
                i += 1
                while i < n and is_space(at(i)):
                    i += 1
                if i >= n:
                    raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {offset}')
                if at(i) not in ("'", '"'):
                    token_start = i
                    while at(i) and ((at(i).isascii() and at(i).isalnum()) or at(i) in ".-"):
                        i += 1
                    value = source[token_start:i].lower()
                    if not is_space(at(i)) and at(i) != ">":
                        raise EntityParseError(
                            "Unexpected end of name token at byte offset "
                            f"{_byte_offset(source, token_start)}"
                        )
                else:
                    quote = source[i]
                    i += 1
                    chunk: list[str] = []
                    while i < n and source[i] != quote:
                        if source[i] == "&":
                            decoded = _decode_charref(source, i)
                            if decoded is not None:
                                chunk.append(decoded[0])
                                i = decoded[1]
                                continue
                        chunk.append(source[i])
                        i += 1
                    if at(i) == quote:
                        i += 1
                    value = "".join(chunk)
                if i >= n:
                    raise EntityParseError(f"Unclosed start tag at byte offset {offset}")
                attrs[name.lower()] = value
                if tag == "a" and name == "href":
                    argument = value
                elif tag == "code" and name == "class" and value.startswith("language-"):
                    argument = value[9:]
                elif tag == "span" and name == "class" and value.startswith("tg-"):
                    argument = value[3:]
                elif tag == "tg-emoji" and name == "emoji-id":
                    argument = value
            if tag == "span" and argument != "spoiler":
                raise EntityParseError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {offset}'
                )
            extra[len(stack)] = attrs
            stack.append((tag, argument, out.pos, len(out.parts)))
            i += 1
            continue
        # an end tag
        if not stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {offset}")
        while not is_space(at(i)) and at(i) != ">":
            i += 1
        end_tag = source[begin + 2 : i].lower()
        while i < n and is_space(at(i)):
            i += 1
        if at(i) != ">":
            raise EntityParseError(f"Unclosed end tag at byte offset {offset}")
        tag, argument, start, part_index = stack.pop()
        if end_tag and end_tag != tag:
            raise EntityParseError(
                f'Unmatched end tag at byte offset {offset}, expected "</{tag}>", '
                f'found "</{end_tag}>"'
            )
        attrs = extra.pop(len(stack), {})
        if out.pos > start:
            inner = "".join(out.parts[part_index:])
            _close_html_entity(out, tag, argument, start, inner, attrs)
        i += 1
    if stack:
        raise EntityParseError(f"Can't find end tag corresponding to start tag {stack[-1][0]}")
    for entity in out.entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    return out.result()


def _close_html_entity(
    out: _Builder, tag: str, argument: str, start: int, inner: str, attrs: dict[str, str]
) -> None:
    if tag in _SIMPLE_TAGS:
        out.entity(_SIMPLE_TAGS[tag], start)
    elif tag == "tg-emoji":
        if not argument.isdigit() or int(argument) == 0:
            raise EntityParseError("Invalid custom emoji identifier specified")
        out.entity("custom_emoji", start, custom_emoji_id=argument)
    elif tag == "tg-time":
        unix = attrs.get("unix", "")
        out.entity(
            "date_time",
            start,
            unix_time=int(unix) if unix.isdigit() else None,
            date_time_format=attrs.get("format"),
        )
    elif tag == "a":
        url = argument or inner
        user = re.fullmatch(r"tg://user\?id=(\d+)", url)
        if user:
            out.entity("text_mention", start, user={"id": int(user.group(1))})
        elif (checked := _checked_link(url)) is not None:
            out.entity("text_link", start, url=checked)
    elif tag == "pre":
        last = out.entities[-1] if out.entities else None
        if (
            last is not None
            and last["type"] == "code"
            and last["offset"] == start
            and last["length"] == out.pos - start
            and last.get("language")
        ):
            last["type"] = "pre"
        else:
            out.entity("pre", start)
    elif tag == "code":
        last = out.entities[-1] if out.entities else None
        if (
            last is not None
            and last["type"] == "pre"
            and last["offset"] == start
            and last["length"] == out.pos - start
            and argument
        ):
            last["language"] = argument
        else:
            out.entity("code", start, language=argument or None)
    elif tag == "blockquote":
        kind = "expandable_blockquote" if "expandable" in attrs else "blockquote"
        out.entity(kind, start)


# --------------------------------------------------------------------- MarkdownV2

_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MDV2_NAMES = {
    "*": "Bold",
    "_": "Italic",
    "__": "Underline",
    "~": "Strikethrough",
    "||": "Spoiler",
    "[": "TextUrl",
}
_MDV2_KINDS = {
    "*": "bold",
    "_": "italic",
    "__": "underline",
    "~": "strikethrough",
    "||": "spoiler",
}


def _read_until(source: str, i: int, end: str, escapable: str) -> tuple[str, int] | None:
    """Read raw text up to an unescaped ``end``; returns (text, index after end)."""
    chunk: list[str] = []
    n = len(source)
    while i < n:
        if source[i] == "\\" and i + 1 < n and source[i + 1] in escapable:
            chunk.append(source[i + 1])
            i += 2
            continue
        if source.startswith(end, i):
            return "".join(chunk), i + len(end)
        chunk.append(source[i])
        i += 1
    return None


def parse_markdown_v2(source: str) -> ParsedText:
    """Parse MarkdownV2 (a faithful approximation of the Bot API parser)."""
    out = _Builder()
    stack: list[tuple[str, int, int]] = []  # (marker, utf16 start, source index)
    i = 0
    n = len(source)
    line_start = True
    quote_start: int | None = None
    while i < n:
        char = source[i]
        if char == "\n":
            if quote_start is not None and not source.startswith(">", i + 1):
                out.entity("blockquote", quote_start)
                quote_start = None
            out.add(char)
            i += 1
            line_start = True
            continue
        at_line_start, line_start = line_start, False
        if char == "\\" and i + 1 < n and 0 < ord(source[i + 1]) <= 126:
            out.add(source[i + 1])
            i += 2
            continue
        if char not in _MDV2_RESERVED:
            out.add(char)
            i += 1
            continue
        offset = _byte_offset(source, i)
        if char == ">" and at_line_start:
            if quote_start is None:
                quote_start = out.pos
            i += 1
            continue
        if char == "`":
            if source.startswith("```", i):
                end = _read_until(source, i + 3, "```", "`\\")
                if end is None:
                    raise EntityParseError(f"Can't find end of Pre entity at byte offset {offset}")
                body, i = end
                language = None
                first, sep, rest = body.partition("\n")
                if sep and first and " " not in first:
                    language, body = first, rest
                start = out.pos
                out.add(body)
                out.entity("pre", start, language=language)
            else:
                end = _read_until(source, i + 1, "`", "`\\")
                if end is None:
                    raise EntityParseError(f"Can't find end of Code entity at byte offset {offset}")
                body, i = end
                start = out.pos
                out.add(body)
                out.entity("code", start)
            continue
        if char == "]" and stack and stack[-1][0] == "[":
            _, start, _ = stack.pop()
            if source.startswith("(", i + 1):
                end = _read_until(source, i + 2, ")", ")\\")
                if end is None:
                    raise EntityParseError(
                        f"Can't find end of a URL at byte offset {_byte_offset(source, i + 1)}"
                    )
                url, i = end
                user_match = re.fullmatch(r"tg://user\?id=(\d+)", url)
                if user_match:
                    out.entity("text_mention", start, user={"id": int(user_match.group(1))})
                else:
                    out.entity("text_link", start, url=url)
            else:
                i += 1
            continue
        marker = char
        if char in "_|" and source.startswith(char * 2, i):
            marker = char * 2
        if marker in _MDV2_KINDS or marker == "[":
            if stack and stack[-1][0] == marker and marker != "[":
                _, start, _ = stack.pop()
                out.entity(_MDV2_KINDS[marker], start)
            else:
                stack.append((marker, out.pos, i))
            i += len(marker)
            continue
        raise EntityParseError(
            f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
        )
    if quote_start is not None:
        out.entity("blockquote", quote_start)
    if stack:
        marker, _, index = stack[-1]
        raise EntityParseError(
            f"Can't find end of {_MDV2_NAMES[marker]} entity at byte offset "
            f"{_byte_offset(source, index)}"
        )
    return out.result()


# ----------------------------------------------------------------- legacy Markdown

_MD_KINDS = {"*": "bold", "_": "italic"}


def parse_markdown(source: str) -> ParsedText:
    """Parse the legacy ``Markdown`` parse mode."""
    out = _Builder()
    i = 0
    n = len(source)
    while i < n:
        char = source[i]
        offset = _byte_offset(source, i)
        error = f"Can't find end of the entity starting at byte offset {offset}"
        if char == "\\" and i + 1 < n and source[i + 1] in "_*`[":
            out.add(source[i + 1])
            i += 2
        elif char in _MD_KINDS:
            end = source.find(char, i + 1)
            if end < 0:
                raise EntityParseError(error)
            start = out.pos
            out.add(source[i + 1 : end])
            out.entity(_MD_KINDS[char], start)
            i = end + 1
        elif char == "`":
            fence = "```" if source.startswith("```", i) else "`"
            end = source.find(fence, i + len(fence))
            if end < 0:
                raise EntityParseError(error)
            body = source[i + len(fence) : end]
            start = out.pos
            out.add(body)
            out.entity("pre" if fence == "```" else "code", start)
            i = end + len(fence)
        elif char == "[":
            close = source.find("]", i + 1)
            if close < 0 or not source.startswith("(", close + 1):
                raise EntityParseError(error)
            url_end = source.find(")", close + 2)
            if url_end < 0:
                raise EntityParseError(error)
            start = out.pos
            out.add(source[i + 1 : close])
            out.entity("text_link", start, url=source[close + 2 : url_end])
            i = url_end + 1
        else:
            out.add(char)
            i += 1
    return out.result()


# ------------------------------------------------------------- auto-detection

_SPLITTABLE = frozenset({"bold", "italic", "underline", "strikethrough", "spoiler"})
_BLOCKS = frozenset({"blockquote", "expandable_blockquote"})
_HIDDEN = frozenset({"text_link", "text_mention", "custom_emoji"})
_DETECTORS = (
    ("url", re.compile(r"(?<![\w@])(?:https?://|www\.)[^\s<>\"]+[^\s<>\".,;:!?)\]'}]")),
    ("email", re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")),
    (
        "bot_command",
        re.compile(r"(?<![\w/<>])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/<>])"),
    ),
    ("mention", re.compile(r"(?<![\w@])@[A-Za-z0-9_]{5,32}(?!\w)")),
    ("hashtag", re.compile(r"(?<![\w#])#(?=\w*[^\W\d_])\w{1,256}(?![\w#])")),
)


def find_entities(text: str) -> list[dict[str, Any]]:
    """Entities Telegram detects by itself: URLs, e-mails, /commands, @mentions, #hashtags."""
    found: list[tuple[int, int, str]] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _DETECTORS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < b and a < end for a, b in taken):
                continue
            taken.append((start, end))
            found.append((start, end, kind))
    entities = [
        {
            "type": kind,
            "offset": utf16_len(text[:start]),
            "length": utf16_len(text[start:end]),
        }
        for start, end, kind in found
    ]
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def _merge_detected(text: str, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add detected entities that do not collide with given non-splittable ones."""
    blocking = [
        (e["offset"], e["offset"] + e["length"])
        for e in entities
        if e["type"] not in _SPLITTABLE and e["type"] not in _BLOCKS
    ]
    merged = list(entities)
    for entity in find_entities(text):
        start, end = entity["offset"], entity["offset"] + entity["length"]
        if not any(start < b and a < end for a, b in blocking):
            merged.append(entity)
    return sorted(merged, key=lambda e: (e["offset"], -e["length"]))


# ------------------------------------------------------------------------ public

# Characters the Bot API deletes from message text.
_REMOVED = frozenset("\r\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u0333\u033f\u030a")
_SPACE = (" ", "\n")


def _units(text: str) -> list[str]:
    """One entry per UTF-16 code unit (astral characters appear twice)."""
    units: list[str] = []
    for char in text:
        units.extend(char * (2 if ord(char) > 0xFFFF else 1))
    return units


def _normalize(text: str, entities: list[dict[str, Any]]) -> ParsedText:
    """Clean and trim text like Telegram's ``fix_formatted_text``.

    Control characters become spaces, ``\r`` and some invisible characters are
    dropped, entities lose leading whitespace and whitespace-only entities
    vanish, then trailing (and leading, up to the first entity) spaces and
    newlines are trimmed.
    """
    total = utf16_len(text)
    for entity in entities:
        offset, length = int(entity.get("offset", 0)), int(entity.get("length", 0))
        if offset < 0 or length < 0 or offset + length > total:
            raise EntityParseError(
                f"Entity beginning at UTF-16 offset {offset} ends after the end of the text at "
                f"UTF-16 offset {offset + length}"
            )
    cleaned: list[str] = []
    mapping: list[int] = []
    position = 0
    for char in text:
        width = 2 if ord(char) > 0xFFFF else 1
        mapping.extend([position] * width)
        if char in _REMOVED:
            continue
        cleaned.append(" " if ord(char) < 32 and char != "\n" else char)
        position += width
    mapping.append(position)
    result = "".join(cleaned)
    units = _units(result)
    fixed: list[dict[str, Any]] = []
    for entity in entities:
        start = mapping[entity["offset"]]
        end = mapping[entity["offset"] + entity["length"]]
        if entity["type"] not in _HIDDEN:
            while start < end and units[start] in _SPACE:
                start += 1
            if all(u in _SPACE for u in units[start:end]):
                continue
        if end > start:
            fixed.append({**entity, "offset": start, "length": end - start})
    cut = utf16_len(result.rstrip(" \n"))
    if cut == 0:
        return ParsedText("")
    result = result.rstrip(" \n")
    clipped: list[dict[str, Any]] = []
    for entity in fixed:
        end = min(entity["offset"] + entity["length"], cut)
        if end > entity["offset"]:
            clipped.append({**entity, "length": end - entity["offset"]})
    first = min((e["offset"] for e in clipped), default=cut)
    lead = 0
    while lead < first and result[lead] in _SPACE:
        lead += 1
    result = result[lead:]
    shifted = [{**e, "offset": e["offset"] - lead} for e in clipped]
    return ParsedText(result, sorted(shifted, key=lambda e: (e["offset"], -e["length"])))


def parse_text(
    text: str,
    parse_mode: str | None = None,
    entities: list[dict[str, Any]] | None = None,
    *,
    detect: bool = True,
) -> ParsedText:
    """Apply ``parse_mode`` (or explicit ``entities``), clean, trim and detect entities.

    Mirrors what the Bot API does before it checks lengths. Raises
    :class:`EntityParseError` for malformed markup and :class:`ValueError` for
    an unknown parse mode.
    """
    mode = (parse_mode or "").lower()
    if entities:
        parsed = ParsedText(text, [dict(e) for e in entities])
    elif not mode:
        parsed = ParsedText(text)
    elif mode == "html":
        parsed = parse_html(text)
    elif mode == "markdownv2":
        parsed = parse_markdown_v2(text)
    elif mode == "markdown":
        parsed = parse_markdown(text)
    else:
        raise ValueError("unsupported parse_mode")
    result = _normalize(parsed.text, parsed.entities)
    if detect and result.text:
        result.entities = _merge_detected(result.text, result.entities)
    return result
