"""Open311 GeoReport v2 at /open311/v2/: JSON or XML by the path's ending, errors as a list.

- `discovery.{json|xml}`; `services.{fmt}`; `services/{service_code}.{fmt}`;
  `requests.{fmt}` (GET a search, POST a new request with `api_key`);
  `requests/{id}.{fmt}` (as the GeoReport v2 wiki: a list of one) and `request/{id}.{fmt}`
  (as the v2.1 draft spec: the request itself); `tokens/{token}.{fmt}`.
- `jurisdiction_id` may be left out (one jurisdiction); another than ours is refused.
- Errors: `[{"code": 400, "description": "..."}]` (XML: `<errors><error>...`) with that status.

The domain is services/open311.py; this module parses, asks it, and writes the answer.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiogram import Bot
from aiohttp import web

from handlers.notices import TelegramTicketNotices
from handlers.topics import open_topic
from handlers.verification import choose_locale
from handlers.web_security import AddressLimit
from services.api_keys import ApiKeys
from services.models import utcnow
from services.open311 import SPECIFICATION, Open311
from services.open311_params import Open311Error, parse_query, parse_submission
from services.ratelimit import RequestLimiter

PREFIX = "/open311/v2"
FORMATS = {"json": "application/json", "xml": "text/xml"}
# the element a list's items are named by, in XML
ITEM_TAGS = {"attributes": "attribute", "endpoints": "endpoint", "formats": "format"}
# characters XML 1.0 cannot hold at all, even escaped (a description may carry them)
NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class Open311Site:
    """What the endpoints need besides the domain: who we are, and the Telegram side."""

    service: Open311
    api_keys: ApiKeys
    post_limit: RequestLimiter  # per API key
    read_limit: AddressLimit  # GETs per client address
    bot: Bot  # a forum grid chat gets a topic per ticket, as in the chat
    notices: TelegramTicketNotices
    jurisdiction_id: str
    base_url: str
    default_locale: str


SITE = web.AppKey("open311", Open311Site)
Endpoint = Callable[[web.Request, Open311Site], Awaitable[Any]]
routes = web.RouteTableDef()


# --- writing answers -----------------------------------------------------------------------------


def _element(tag: str, value: Any) -> ElementTree.Element:
    element = ElementTree.Element(tag)
    if isinstance(value, Mapping):
        for name, inner in value.items():
            if inner is not None:
                element.append(_element(name, inner))
    elif isinstance(value, list):
        for inner in value:
            element.append(_element(ITEM_TAGS.get(tag, "item"), inner))
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    else:
        element.text = NOT_IN_XML.sub("\ufffd", str(value))
    return element


def render(fmt: str, body: Any, root: str, item: str | None, status: int = 200) -> web.Response:
    """`body` as JSON, or as XML under `root` (each list entry an `item`)."""
    if fmt == "xml":
        if item is None:
            tree = _element(root, body)
        else:
            tree = ElementTree.Element(root)
            for entry in body:
                tree.append(_element(item, entry))
        payload = ElementTree.tostring(tree, encoding="unicode", xml_declaration=True)
        return web.Response(status=status, text=payload, content_type=FORMATS["xml"])
    return web.Response(
        status=status, text=json.dumps(body, ensure_ascii=False), content_type=FORMATS["json"]
    )


def error(
    fmt: str, failure: Open311Error, headers: Mapping[str, str] | None = None
) -> web.Response:
    body = [{"code": failure.status, "description": failure.description}]
    response = render(fmt if fmt in FORMATS else "json", body, "errors", "error", failure.status)
    response.headers.update(headers or {})
    return response


def _format(request: web.Request) -> str:
    fmt = request.match_info["format"]
    if fmt not in FORMATS:
        raise Open311Error(404, "the format must be json or xml")
    return fmt


def _check_jurisdiction(params: Mapping[str, str], site: Open311Site, status: int) -> None:
    asked = params.get("jurisdiction_id")
    if asked is not None and asked != site.jurisdiction_id:
        raise Open311Error(status, f"jurisdiction_id {asked!r} is not served here")


def _locale(request: web.Request, site: Open311Site) -> str:
    return choose_locale(request, site.default_locale)


async def _answer(
    request: web.Request,
    endpoint: Endpoint,
    root: str,
    item: str | None,
    status: int,
    xml_list: bool = False,
) -> web.Response:
    """Runs the endpoint `request` matched; an Open311Error (`status` for a jurisdiction not
    served) becomes the error list. `xml_list`: one record, written in XML as a list of one."""
    site = request.app[SITE]
    fmt = request.match_info["format"]
    try:
        fmt = _format(request)
        wait = await site.read_limit.retry_after(request)
        if wait:
            busy = Open311Error(429, f"too many requests from this address; retry in {wait} s")
            return error(fmt, busy, {"Retry-After": str(wait)})
        _check_jurisdiction(request.query, site, status)
        body = await endpoint(request, site)
    except Open311Error as failure:
        return error(fmt, failure)
    if xml_list and fmt == "xml":
        body = [body]
    return render(fmt, body, root, item)


# --- the endpoints --------------------------------------------------------------------------------


async def _discovery(request: web.Request, site: Open311Site) -> Any:
    return {
        "changeset": "2026-12-01T00:00:00+00:00",
        "contact": site.base_url,
        "key_service": "python -m bot api-key create NAME (ask the street office)",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": site.base_url + PREFIX,
                "changeset": "2026-12-01T00:00:00+00:00",
                "type": "production",
                "formats": list(FORMATS.values()),
            }
        ],
    }


async def _services(request: web.Request, site: Open311Site) -> Any:
    return site.service.services(_locale(request, site))


async def _definition(request: web.Request, site: Open311Site) -> Any:
    return site.service.definition(request.match_info["code"])


async def _requests(request: web.Request, site: Open311Site) -> Any:
    query = parse_query(request.query)
    return await site.service.requests(query, _locale(request, site), utcnow())


async def _one_as_list(request: web.Request, site: Open311Site) -> Any:
    return [await site.service.request(request.match_info["id"], _locale(request, site))]


async def _one(request: web.Request, site: Open311Site) -> Any:
    return await site.service.request(request.match_info["id"], _locale(request, site))


async def _token(request: web.Request, site: Open311Site) -> Any:
    return await site.service.token(request.match_info["token"])


@routes.get(PREFIX + "/discovery.{format}")
async def discovery(request: web.Request) -> web.Response:
    return await _answer(request, _discovery, "discovery", None, 404)


@routes.get(PREFIX + "/services.{format}")
async def services(request: web.Request) -> web.Response:
    return await _answer(request, _services, "services", "service", 404)


@routes.get(PREFIX + "/services/{code}.{format}")
async def definition(request: web.Request) -> web.Response:
    return await _answer(request, _definition, "service_definition", None, 404)


@routes.get(PREFIX + "/requests.{format}")
async def search(request: web.Request) -> web.Response:
    return await _answer(request, _requests, "service_requests", "request", 401)


@routes.get(PREFIX + "/requests/{id}.{format}")
async def one_as_list(request: web.Request) -> web.Response:
    return await _answer(request, _one_as_list, "service_requests", "request", 404)


@routes.get(PREFIX + "/request/{id}.{format}")
async def one(request: web.Request) -> web.Response:
    return await _answer(request, _one, "request", None, 404)


@routes.get(PREFIX + "/tokens/{token}.{format}")
async def token(request: web.Request) -> web.Response:
    """JSON as the draft spec (the TokenResponse itself); XML as the wiki's example."""
    return await _answer(request, _token, "service_requests", "request", 404, xml_list=True)


@routes.post(PREFIX + "/requests.{format}")
async def create(request: web.Request) -> web.Response:
    """A new service request: form fields (or query parameters) with an `api_key`."""
    site = request.app[SITE]
    fmt = request.match_info["format"]
    try:
        fmt = _format(request)
        form = await request.post()
        params = {**request.query, **{k: v for k, v in form.items() if isinstance(v, str)}}
        _check_jurisdiction(params, site, 400)
        client = await site.api_keys.client(params.get("api_key", ""))
        if client is None:
            missing = not params.get("api_key")
            raise Open311Error(403, "api_key is required" if missing else "api_key is not valid")
        wait = await site.post_limit.admit(f"open311:{client.key_id}")
        if wait > 0:
            retry = str(max(1, round(wait + 0.5)))
            busy = Open311Error(429, f"too many requests with this api_key; retry in {retry} s")
            return error(fmt, busy, {"Retry-After": retry})
        submission = parse_submission(params)
        placement = site.service.place(submission)
        locale = site.default_locale
        topic = None
        if placement.forum_topic:
            label = submission.description[:40] or "Open311"
            name = site.notices.topic_name(label, placement.category.code, placement.chat_id)
            topic = await open_topic(site.bot, placement.chat_id, name)
        record = await site.service.file(client, submission, placement, locale, topic)
    except Open311Error as failure:
        return error(fmt, failure)
    return render(fmt, [record], "service_requests", "request")
