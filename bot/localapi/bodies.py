"""Decoding Bot API request bodies (JSON, urlencoded, multipart)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import BodyPartReader, ClientResponse, MultipartReader, web
from aiohttp.multipart import MultipartResponseWrapper

from .models import Upload

__all__ = ["BodyError", "RawParams", "read_request", "read_response"]

RawParams = tuple[dict[str, Any], dict[str, Upload]]
"""Decoded parameters (values still raw strings for form bodies) and file parts."""


class BodyError(ValueError):
    """The request body could not be decoded."""


async def read_request(request: web.Request) -> RawParams:
    """Decode the query string and body of an incoming Bot API request."""
    params: dict[str, Any] = dict(request.query)
    uploads: dict[str, Upload] = {}
    if request.method != "POST" or not request.can_read_body:
        return params, uploads
    ctype = request.content_type
    if ctype.startswith("multipart/"):
        body_params, uploads = await _read_multipart(await request.multipart())
        params.update(body_params)
    else:
        params.update(_decode(ctype, await request.read(), request.charset))
    return params, uploads


async def read_response(response: ClientResponse) -> RawParams:
    """Decode a webhook response body (aiogram may answer with a method call)."""
    ctype = response.content_type
    if ctype.startswith("multipart/"):
        return await _read_multipart(MultipartReader.from_response(response))
    return _decode(ctype, await response.read(), response.charset), {}


def _decode(ctype: str, body: bytes, charset: str | None) -> dict[str, Any]:
    if not body.strip():
        return {}
    text = body.decode(charset or "utf-8", errors="replace")
    if ctype == "application/x-www-form-urlencoded":
        return dict(parse_qsl(text, keep_blank_values=True))
    try:
        data = json.loads(text)
    except ValueError as exc:
        if ctype == "application/json":
            raise BodyError("can't parse JSON body") from exc
        return {}
    if not isinstance(data, dict):
        raise BodyError("request body must be a JSON object")
    return data


async def _read_multipart(reader: MultipartReader | MultipartResponseWrapper) -> RawParams:
    params: dict[str, Any] = {}
    uploads: dict[str, Upload] = {}
    while True:
        part = await reader.next()
        if part is None:
            break
        if not isinstance(part, BodyPartReader):
            continue  # nested multipart is not part of the Bot API
        name = part.name or ""
        data = await part.read(decode=True)
        if part.filename is not None:
            content_type = part.headers.get("Content-Type")
            uploads[name] = Upload(name, part.filename, content_type, bytes(data))
        else:
            params[name] = bytes(data).decode(part.get_charset("utf-8"), errors="replace")
    return params, uploads
