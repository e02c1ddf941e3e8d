"""Telegram text formatting: HTML / MarkdownV2 / Markdown → (plain text, entities).

The parsers follow the Bot API "Formatting options" section closely enough to catch the mistakes a bot
makes in practice (unsupported tags such as ``<br>``, unclosed tags, unescaped ``<`` or MarkdownV2 reserved
characters).  Entity offsets and lengths are in UTF-16 code units, as Telegram reports them.
"""

from __future__ import annotations

import re
from typing import Any

PARSE_MODES = ("HTML", "MarkdownV2", "Markdown")


class FormatError(ValueError):
    """Raised for text Telegram would reject with "can't parse entities: ..."."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


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
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ATTR_RE = re.compile(r"""\s*([a-zA-Z][a-zA-Z0-9_-]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_ENTITY_RE = re.compile(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z][a-zA-Z0-9]*);")


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


def _parse_attrs(raw: str, source: str, pos: int) -> dict[str, str]:
    attrs: dict[str, str] = {}
    i = 0
    raw = raw.rstrip()
    while i < len(raw):
        m = _ATTR_RE.match(raw, i)
        if not m or m.end() == i:
            raise FormatError(f"Can't parse attributes of a tag at byte offset {_byte_offset(source, pos)}")
        value = next((g for g in m.groups()[1:] if g is not None), "")
        attrs[m.group(1).lower()] = _unescape_html(value)
        i = m.end()
    return attrs


def _unescape_html(value: str) -> str:
    def repl(m: re.Match[str]) -> str:
        name = m.group(1)
        if name.startswith(("#x", "#X")):
            return chr(int(name[2:], 16))
        if name.startswith("#"):
            return chr(int(name[1:]))
        return _NAMED_ENTITIES.get(name, m.group(0))

    return _ENTITY_RE.sub(repl, value)


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    out: list[str] = []
    out_len = 0  # utf-16 length of the text produced so far
    stack: list[tuple[str, int, dict[str, Any]]] = []
    entities: list[dict[str, Any]] = []
    i = 0
    n = len(source)
    while i < n:
        ch = source[i]
        if ch == "<":
            end = source.find(">", i)
            if end < 0:
                raise FormatError(
                    f"Can't find end of the tag starting at byte offset {_byte_offset(source, i)}"
                )
            body = source[i + 1 : end]
            if body.startswith("/"):
                name = body[1:].strip().lower()
                if not stack:
                    raise FormatError(f"Unexpected end tag at byte offset {_byte_offset(source, i)}")
                open_name, start, entity = stack.pop()
                if name and name != open_name:
                    raise FormatError(
                        f"Unmatched end tag at byte offset {_byte_offset(source, i)}, "
                        f'expected "</{open_name}>", '
                        f'found "</{name}>"'
                    )
                length = out_len - start
                if entity and length > 0:
                    entity.update(offset=start, length=length)
                    entities.append(entity)
            else:
                m = re.match(r"([a-zA-Z][a-zA-Z0-9-]*)(.*)$", body, re.S)
                if not m:
                    raise FormatError(f"Unsupported start tag at byte offset {_byte_offset(source, i)}")
                name = m.group(1).lower()
                if name not in _SIMPLE_TAGS:
                    raise FormatError(
                        f'Unsupported start tag "{name}" at byte offset {_byte_offset(source, i)}'
                    )
                attrs = _parse_attrs(m.group(2), source, i)
                entity: dict[str, Any] | None = {"type": _SIMPLE_TAGS[name]}
                if name == "span" and attrs.get("class") != "tg-spoiler":
                    raise FormatError(
                        f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(source, i)}'
                    )
                if name == "a":
                    href = attrs.get("href", "")
                    if href.startswith("tg://user?id="):
                        entity = {"type": "text_mention", "user": {"id": int(href.split("=", 1)[1] or 0)}}
                    elif href:
                        entity["url"] = href
                    else:
                        entity = None
                elif name == "tg-emoji":
                    if "emoji-id" not in attrs:
                        raise FormatError("Custom emoji entity must have emoji-id attribute")
                    entity["custom_emoji_id"] = attrs["emoji-id"]
                elif name == "blockquote" and "expandable" in attrs:
                    entity["type"] = "expandable_blockquote"
                elif name == "code" and stack and stack[-1][0] == "pre":
                    lang = attrs.get("class", "")
                    if lang.startswith("language-") and stack[-1][2] is not None:
                        stack[-1][2]["language"] = lang[len("language-") :]
                    entity = None  # merged into the enclosing pre
                stack.append((name, out_len, entity))
            i = end + 1
            continue
        if ch == "&":
            m = _ENTITY_RE.match(source, i)
            if m and (m.group(1).startswith("#") or m.group(1) in _NAMED_ENTITIES):
                text = _unescape_html(m.group(0))
                out.append(text)
                out_len += utf16_len(text)
                i = m.end()
                continue
        if ch == ">":
            # Telegram accepts a bare '>' in HTML text
            pass
        out.append(ch)
        out_len += utf16_len(ch)
        i += 1
    if stack:
        raise FormatError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")


def parse_markdown_v2(source: str) -> tuple[str, list[dict[str, Any]]]:
    out: list[str] = []
    out_len = 0
    entities: list[dict[str, Any]] = []
    stack: list[tuple[str, int, int]] = []  # marker, start offset, source index
    names = {"*": "bold", "_": "italic", "__": "underline", "~": "strikethrough", "||": "spoiler"}
    i = 0
    n = len(source)

    def emit(text: str) -> None:
        nonlocal out_len
        out.append(text)
        out_len += utf16_len(text)

    while i < n:
        ch = source[i]
        if ch == "\\":
            if i + 1 < n:
                emit(source[i + 1])
                i += 2
                continue
            raise FormatError("Character '\\' is reserved and must be escaped with the preceding '\\'")
        if source.startswith("```", i):
            end = source.find("```", i + 3)
            if end < 0:
                raise FormatError(f"Can't find end of Pre entity at byte offset {_byte_offset(source, i)}")
            body = source[i + 3 : end]
            language = ""
            if "\n" in body:
                first, rest = body.split("\n", 1)
                if first and " " not in first:
                    language, body = first, rest
            body = re.sub(r"\\([`\\])", r"\1", body)
            start = out_len
            emit(body)
            entity: dict[str, Any] = {"type": "pre", "offset": start, "length": out_len - start}
            if language:
                entity["language"] = language
            if entity["length"]:
                entities.append(entity)
            i = end + 3
            continue
        if ch == "`":
            end = i + 1
            while end < n and source[end] != "`":
                end += 2 if source[end] == "\\" else 1
            if end >= n:
                raise FormatError(f"Can't find end of Code entity at byte offset {_byte_offset(source, i)}")
            start = out_len
            emit(re.sub(r"\\([`\\])", r"\1", source[i + 1 : end]))
            if out_len > start:
                entities.append({"type": "code", "offset": start, "length": out_len - start})
            i = end + 1
            continue
        marker = None
        for cand in ("__", "||", "*", "_", "~"):
            if source.startswith(cand, i):
                marker = cand
                break
        if marker:
            if stack and stack[-1][0] == marker:
                _, start, _src = stack.pop()
                if out_len > start:
                    entities.append({"type": names[marker], "offset": start, "length": out_len - start})
            elif any(m == marker for m, _, _ in stack):
                raise FormatError(f"Can't find end of {names[stack[-1][0]].title()} entity")
            else:
                stack.append((marker, out_len, i))
            i += len(marker)
            continue
        if ch == "[":
            close = i + 1
            depth_ok = False
            while close < n:
                if source[close] == "\\":
                    close += 2
                    continue
                if source[close] == "]":
                    depth_ok = True
                    break
                close += 1
            if not depth_ok or not source.startswith("(", close + 1):
                raise FormatError("Character '[' is reserved and must be escaped with the preceding '\\'")
            url_end = source.find(")", close + 2)
            if url_end < 0:
                raise FormatError(f"Can't find end of a URL at byte offset {_byte_offset(source, close + 1)}")
            inner_text, inner_entities = parse_markdown_v2(source[i + 1 : close])
            start = out_len
            for e in inner_entities:
                e["offset"] += start
            entities.extend(inner_entities)
            emit(inner_text)
            url = source[close + 2 : url_end].replace("\\)", ")").replace("\\\\", "\\")
            if out_len > start:
                if url.startswith("tg://user?id="):
                    entities.append(
                        {
                            "type": "text_mention",
                            "offset": start,
                            "length": out_len - start,
                            "user": {"id": int(url.split("=", 1)[1] or 0)},
                        }
                    )
                else:
                    entities.append(
                        {"type": "text_link", "offset": start, "length": out_len - start, "url": url}
                    )
            i = url_end + 1
            continue
        if ch == ">" and (i == 0 or source[i - 1] == "\n"):
            # blockquote line marker; treat the line as a blockquote
            i += 1
            continue
        if ch in _MDV2_RESERVED:
            raise FormatError(f"Character '{ch}' is reserved and must be escaped with the preceding '\\'")
        emit(ch)
        i += 1
    if stack:
        marker, _, src = stack[-1]
        raise FormatError(
            f"Can't find end of {names[marker].title()} entity at byte offset {_byte_offset(source, src)}"
        )
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def parse_markdown(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Legacy Markdown: *bold* _italic_ `code` ```pre``` [text](url); no nesting, no escaping inside."""
    out: list[str] = []
    out_len = 0
    entities: list[dict[str, Any]] = []
    names = {"*": "bold", "_": "italic", "`": "code", "```": "pre"}
    i = 0
    n = len(source)
    while i < n:
        ch = source[i]
        if ch == "\\" and i + 1 < n and source[i + 1] in "*_`[":
            out.append(source[i + 1])
            out_len += utf16_len(source[i + 1])
            i += 2
            continue
        marker = "```" if source.startswith("```", i) else ch if ch in "*_`" else None
        if marker:
            end = source.find(marker, i + len(marker))
            if end < 0:
                raise FormatError(
                    f"Can't find end of the entity starting at byte offset {_byte_offset(source, i)}"
                )
            body = source[i + len(marker) : end]
            start = out_len
            out.append(body)
            out_len += utf16_len(body)
            if body:
                entities.append({"type": names[marker], "offset": start, "length": out_len - start})
            i = end + len(marker)
            continue
        if ch == "[":
            m = re.match(r"\[([^\]]*)\]\(([^)]*)\)", source[i:])
            if m:
                start = out_len
                out.append(m.group(1))
                out_len += utf16_len(m.group(1))
                if m.group(1):
                    entities.append(
                        {"type": "text_link", "offset": start, "length": out_len - start, "url": m.group(2)}
                    )
                i += m.end()
                continue
            raise FormatError(
                f"Can't find end of the entity starting at byte offset {_byte_offset(source, i)}"
            )
        out.append(ch)
        out_len += utf16_len(ch)
        i += 1
    return "".join(out), entities


def parse_formatted(text: str, parse_mode: str | None) -> tuple[str, list[dict[str, Any]]]:
    if not parse_mode:
        return text, []
    if parse_mode == "HTML":
        return parse_html(text)
    if parse_mode == "MarkdownV2":
        return parse_markdown_v2(text)
    if parse_mode == "Markdown":
        return parse_markdown(text)
    raise FormatError(f"Unsupported parse_mode {parse_mode!r}")


_COMMAND_RE = re.compile(r"(?<![\w/])/[a-zA-Z0-9_]{1,32}(?:@[a-zA-Z0-9_]{3,32})?")


def auto_entities(text: str) -> list[dict[str, Any]]:
    """Entities Telegram detects by itself in user text: bot commands, mentions, urls."""
    entities: list[dict[str, Any]] = []
    for m in _COMMAND_RE.finditer(text):
        offset = utf16_len(text[: m.start()])
        entities.append({"type": "bot_command", "offset": offset, "length": utf16_len(m.group(0))})
    for m in re.finditer(r"(?<!\w)@[a-zA-Z0-9_]{5,32}", text):
        if any(e["offset"] <= utf16_len(text[: m.start()]) < e["offset"] + e["length"] for e in entities):
            continue
        entities.append(
            {"type": "mention", "offset": utf16_len(text[: m.start()]), "length": utf16_len(m.group(0))}
        )
    for m in re.finditer(r"https?://[^\s]+", text):
        entities.append(
            {"type": "url", "offset": utf16_len(text[: m.start()]), "length": utf16_len(m.group(0))}
        )
    entities.sort(key=lambda e: e["offset"])
    return entities
