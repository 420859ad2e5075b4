"""What the steps of a mediation case say, to whom, in each reader's language.

The applicant reads their own language; an organisation's chat reads its own (the routing
file's `chat_locales`, else STAFF_LOCALE); the other party the bot's default language until
they answer. Messages that carry personal data (names, contact, the account, evidence, the
agreement) are sealed in the outbox; every one is referenced `mediation:<id>` so a purge wipes
them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton
from aiogram.utils.i18n import I18n

from handlers.notices import markup
from services.mediation import Opened
from services.mediation_models import MediationCase, MediationEvidence
from services.mediation_routing import MediationDirectory
from services.models import as_utc
from services.outbox import Outgoing, Priority
from services.routing import Routing, text


def N_(message: str) -> str:
    return message


KIND_NAMES = {
    "neighbours": N_("Neighbours"),
    "property": N_("Property"),
    "consumer": N_("Consumer"),
    "labour": N_("Labour"),
    "medical": N_("Medical"),
    "family": N_("Family"),
    "other": N_("Other"),
}
KIND_ICONS = {
    "neighbours": "🏘",
    "property": "🏠",
    "consumer": "🛒",
    "labour": "👷",
    "medical": "🏥",
    "family": "👪",
    "other": "❔",
}


class CaseAction(CallbackData, prefix="mcase"):
    action: str  # accept, decline, evidence, settle, refer, withdraw, judicial
    case_id: int


class Book(CallbackData, prefix="mbook"):
    case_id: int
    index: int  # an offered time; -1 cancels, -2 shows the times again (move)


class Rate(CallbackData, prefix="mrate"):
    case_id: int
    stars: int


class Attend(CallbackData, prefix="mattend"):
    code: str


class AddEvidence(CallbackData, prefix="mmore"):
    case_id: int


def size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size} B"


class TelegramMediationNotices:
    def __init__(
        self,
        i18n: I18n,
        routing: Routing,
        directory: MediationDirectory,
        staff_locale: str,
        default_locale: str,
        zone: tzinfo,
        card_font: Any = None,
    ) -> None:
        self.i18n = i18n
        self.routing = routing
        self.directory = directory
        self.staff_locale = staff_locale
        self.default_locale = default_locale
        self.zone = zone
        self.card_font = card_font

    # words

    def _(self, message: str, locale: str) -> str:
        return self.i18n.gettext(message, locale=locale)

    def kind(self, kind: str, locale: str) -> str:
        return f"{KIND_ICONS.get(kind, '')} {self._(KIND_NAMES.get(kind, kind), locale)}".strip()

    def org(self, case: MediationCase, locale: str) -> str:
        found = self.directory.organisation(case.org_code) if case.org_code else None
        if found is None:
            return text(self.routing.street_office_name, locale)
        return text(found.name, locale)

    def at(self, moment: datetime) -> str:
        return as_utc(moment).astimezone(self.zone).strftime("%Y-%m-%d %H:%M")

    def chat_locale(self, chat_id: int | None) -> str:
        if chat_id is None:
            return self.staff_locale
        return self.routing.chat_locales.get(chat_id, self.staff_locale)

    def _ref(self, case: MediationCase) -> str:
        return f"mediation:{case.id}"

    def to_org(self, case: MediationCase, words: str, **params: Any) -> Outgoing:
        assert case.org_chat_id is not None
        return Outgoing(
            case.org_chat_id,
            "sendMessage",
            {"text": words, **params},
            Priority.URGENT,
            self._ref(case),
        )

    def to_resident(self, case: MediationCase, words: str, **params: Any) -> Outgoing:
        return Outgoing(
            case.resident_id,
            "sendMessage",
            {"text": words, **params},
            Priority.URGENT,
            self._ref(case),
        )

    # the card

    def card_text(
        self, case: MediationCase, opened: Opened, evidence: Sequence[MediationEvidence]
    ) -> str:
        locale = self.chat_locale(case.org_chat_id)
        _ = self.i18n.gettext
        other = opened.other_name + (f" ({opened.other_contact})" if opened.other_contact else "")
        files = self.evidence_list(evidence, locale)
        words = _(
            "⚖️ Mediation case {number} · {kind}\nApplicant: {applicant}\nOther party: {other}"
            "\n\nWhat happened:\n“{account}”\n\nWhat they ask for:\n“{claim}”\n\nEvidence: {count}",
            locale=locale,
        ).format(
            number=case.number,
            kind=self.kind(case.kind, locale),
            applicant=opened.resident_name,
            other=other,
            account=opened.account,
            claim=opened.claim,
            count=len(evidence),
        )
        if files:
            words += "\n" + files
        if case.declined_by:
            names = [
                text(found.name, locale) if (found := self.directory.organisation(code)) else code
                for code in case.declined_by
            ]
            words += "\n\n" + _("Declined before by: {orgs}", locale=locale).format(
                orgs=", ".join(names)
            )
        return words

    def evidence_kind(self, kind: str, locale: str) -> str:
        names = {"photo": N_("photo"), "document": N_("document"), "voice": N_("voice note")}
        return self._(names.get(kind, kind), locale)

    def card(
        self, case: MediationCase, opened: Opened, evidence: Sequence[MediationEvidence]
    ) -> list[Outgoing]:
        assert case.id is not None
        if case.org_chat_id is None:
            return []
        locale = self.chat_locale(case.org_chat_id)
        answers = [
            InlineKeyboardButton(
                text="✅ " + self._("Accept", locale),
                callback_data=CaseAction(action="accept", case_id=case.id).pack(),
            )
        ]
        if case.org_code is not None:  # the street office, last, has no one to pass it to
            answers.append(
                InlineKeyboardButton(
                    text="❌ " + self._("Decline", locale),
                    callback_data=CaseAction(action="decline", case_id=case.id).pack(),
                )
            )
        buttons = markup(
            [
                answers,
                [
                    InlineKeyboardButton(
                        text="📎 " + self._("Ask for more evidence", locale),
                        callback_data=CaseAction(action="evidence", case_id=case.id).pack(),
                    )
                ],
            ]
        )
        card = Outgoing(
            case.org_chat_id,
            "sendMessage",
            {"text": self.card_text(case, opened, evidence), "reply_markup": buttons},
            Priority.NORMAL,
            self._ref(case),
            sealed=True,
        )
        return [card, *self.files(case, evidence)]

    def evidence_list(self, evidence: Sequence[MediationEvidence], locale: str) -> str:
        return "\n".join(
            f"• {self.evidence_kind(item.kind, locale)}"
            + (f" {item.file_name}" if item.file_name else "")
            + f", {size_text(item.size)}, {self.at(item.added_at)}"
            for item in evidence
        )

    def files(
        self, case: MediationCase, evidence: Sequence[MediationEvidence], to: int | None = None
    ) -> list[Outgoing]:
        """The evidence files, to the organisation's chat (or to `to`)."""
        chat = to if to is not None else case.org_chat_id
        assert chat is not None
        methods = {"photo": "sendPhoto", "document": "sendDocument", "voice": "sendVoice"}
        return [
            Outgoing(
                chat,
                methods[item.kind],
                {item.kind: item.file_id, "caption": case.number},
                Priority.NORMAL,
                self._ref(case),
                sealed=True,
            )
            for item in evidence
        ]

    def working_buttons(self, case: MediationCase, locale: str) -> dict[str, Any]:
        assert case.id is not None

        def button(icon: str, label: str, action: str) -> InlineKeyboardButton:
            return InlineKeyboardButton(
                text=f"{icon} {self._(label, locale)}",
                callback_data=CaseAction(action=action, case_id=case.id or 0).pack(),
            )

        return markup(
            [
                [
                    button("🤝", N_("Settled"), "settle"),
                    button("⚖️", N_("Not settled: to court"), "refer"),
                ],
                [
                    button("📎", N_("Ask for more evidence"), "evidence"),
                    button("↩️", N_("Withdrawn"), "withdraw"),
                ],
                [button("🔓", N_("Share evidence with the other party"), "share")],
            ]
        )

    def accepted(self, case: MediationCase, invite_link: str) -> list[Outgoing]:
        org_locale = self.chat_locale(case.org_chat_id)
        resident = self.resident_locale(case)
        return [
            self.to_org(
                case,
                self._(
                    "✅ Case {number} accepted. Offer times for the session with:\n"
                    "/offer {number} 2026-12-10 09:30, 2026-12-11 14:00\n\n"
                    "The other party's invitation: {link}",
                    org_locale,
                ).format(number=case.number, link=invite_link),
                reply_markup=self.working_buttons(case, org_locale),
            ),
            self.to_resident(
                case,
                self._(
                    "✅ {org} accepted your mediation case {number}. They will offer times for "
                    "a session here.\n\nSend this link to the other party: they will see the "
                    "case summary and can confirm they will attend.\n{link}",
                    resident,
                ).format(org=self.org(case, resident), number=case.number, link=invite_link),
            ),
        ]

    def resident_locale(self, case: MediationCase) -> str:
        return case.resident_locale or self.default_locale

    def declined(self, case: MediationCase, previous: str, reason: str) -> list[Outgoing]:
        locale = self.resident_locale(case)
        found = self.directory.organisation(previous)
        before = text(found.name, locale) if found else previous
        return [
            self.to_resident(
                case,
                self._(
                    "{previous} cannot take your mediation case {number}: “{reason}”. "
                    "It has gone to {org}.",
                    locale,
                ).format(
                    previous=before,
                    number=case.number,
                    reason=reason,
                    org=self.org(case, locale),
                ),
            )
        ]

    def more_evidence(self, case: MediationCase, what: str) -> list[Outgoing]:
        assert case.id is not None
        locale = self.resident_locale(case)
        button = InlineKeyboardButton(
            text="📎 " + self._("Add evidence", locale),
            callback_data=AddEvidence(case_id=case.id).pack(),
        )
        return [
            self.to_resident(
                case,
                self._(
                    "📎 {org} asks for more evidence for your case {number}: “{what}”", locale
                ).format(org=self.org(case, locale), number=case.number, what=what),
                reply_markup=markup([[button]]),
            )
        ]

    def evidence_added(
        self, case: MediationCase, evidence: Sequence[MediationEvidence]
    ) -> list[Outgoing]:
        locale = self.chat_locale(case.org_chat_id)
        note = self.to_org(
            case,
            self._("📎 The applicant added {count} files to case {number}.", locale).format(
                count=len(evidence), number=case.number
            ),
        )
        return [note, *self.files(case, evidence)]

    def other_confirmed(self, case: MediationCase) -> list[Outgoing]:
        org = self.chat_locale(case.org_chat_id)
        resident = self.resident_locale(case)
        return [
            self.to_org(
                case,
                self._(
                    "✅ The other party confirmed they will attend (case {number}).", org
                ).format(number=case.number),
            ),
            self.to_resident(
                case,
                self._(
                    "✅ The other party confirmed they will attend (case {number}).", resident
                ).format(number=case.number),
            ),
        ]
