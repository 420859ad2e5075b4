"""The public board's "Decisions" section: what consultations decided, and how satisfied the
residents were once it was carried out. Only the question and staff's words: no voter, no
opinion, no tally of a person."""

from __future__ import annotations

import html
from collections.abc import Callable

from services.certificates import CHINA_TIME
from services.deliberation_outcome import PublicDecision
from services.routing import Routing, text


def decisions_section(
    decisions: list[PublicDecision], routing: Routing, _: Callable[[str], str], locale: str
) -> str:
    e = html.escape
    heading = "<h2>" + e(_("Decisions")) + "</h2>"
    if not decisions:
        return f"<section>{heading}<p>{e(_('No decisions published yet.'))}</p></section>"
    items = []
    for item in decisions:
        places = ", ".join(
            text(routing.grid(code).name, locale) for code in item.grids if _known(routing, code)
        )
        kind = _("Minutes of the joint meeting") if item.minutes else _("Consultation")
        when = _("Decided on {date}").format(
            date=f"{item.decided_at.astimezone(CHINA_TIME):%Y-%m-%d}"
        )
        status = [when]
        if item.carried_out:
            status.append(_("carried out"))
        if item.rating is not None:
            status.append(
                _("satisfaction {rating} of 5 ({count} ratings)").format(
                    rating=f"{item.rating:.1f}", count=item.ratings
                )
            )
        items.append(
            f"<li><strong>{e(kind)} · {e(item.question)}</strong>"
            + (f"<br><small>{e(places)}</small>" if places else "")
            + f"<p>{e(item.decision)}</p>"
            + f"<small>{e(' · '.join(status))}</small></li>"
        )
    return f'<section>{heading}<ul class="fixed">{"".join(items)}</ul></section>'


def _known(routing: Routing, code: str) -> bool:
    try:
        routing.grid(code)
    except KeyError:
        return False
    return True
