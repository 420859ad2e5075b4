"""What sessions and outcomes say: offered times, bookings, reminders, the agreement, the end."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from aiogram.types import InlineKeyboardButton

from handlers.mediation_notices import (
    KIND_NAMES,
    Book,
    CaseAction,
    Rate,
    TelegramMediationNotices,
)
from handlers.notices import markup
from services.mediation import Opened
from services.mediation_agreement import CasePaper, Party, render_pdf
from services.mediation_models import MediationCase, MediationEvent, MediationEvidence
from services.mediation_outcomes import Agreement
from services.outbox import Outgoing, Priority, inline_file


class MediationNotices(TelegramMediationNotices):
    """Every mediation notice: the case's (base class), its sessions' and its outcome's."""

    # the PDFs

    def paper(
        self, case: MediationCase, opened: Opened, title: str, body_title: str, body: str
    ) -> CasePaper:
        parties = [Party("申请人 Applicant", opened.resident_name)]
        parties.append(Party("被申请人 Other party", opened.other_name, opened.other_contact))
        return CasePaper(
            title=title,
            case_number=case.number,
            organisation=f"{self.org(case, 'zh')} / {self.org(case, 'en')}",
            kind=f"{self._(KIND_NAMES[case.kind], 'zh')} / {self._(KIND_NAMES[case.kind], 'en')}",
            parties=parties,
            account=opened.account,
            claim=opened.claim,
            body_title=body_title,
            body=body,
            moment=case.closed_at or case.updated_at,
        )

    def agreement_pdf(self, case: MediationCase, opened: Opened, agreement: Agreement) -> bytes:
        paper = self.paper(
            case,
            opened,
            "人民调解协议书 Mediation agreement",
            "协议内容 Terms agreed",
            opened.terms or "",
        )
        paper = CasePaper(**{**paper.__dict__, "serial": agreement.serial, "url": agreement.url})
        return render_pdf(paper, self.card_font)

    def case_file_pdf(
        self, case: MediationCase, opened: Opened, events: Sequence[MediationEvent], note: str
    ) -> bytes:
        paper = self.paper(
            case, opened, "调解案卷 Mediation case file", "调解未成 Not settled", note or "-"
        )
        steps = [f"{self.at(e.at)} · {e.kind} {e.detail}".strip() for e in events]
        paper = CasePaper(**{**paper.__dict__, "lines": steps})
        return render_pdf(paper, self.card_font)

    def document(
        self, chat_id: int, case: MediationCase, pdf: bytes, caption: str, **params: Any
    ) -> Outgoing:
        return Outgoing(
            chat_id,
            "sendDocument",
            {"document": inline_file(pdf), "caption": caption, **params},
            Priority.URGENT,
            self._ref(case),
            sealed=True,
        )

    def when_date(self, day: date) -> str:
        return day.isoformat()

    def time_buttons(self, case: MediationCase) -> dict[str, object]:
        assert case.id is not None
        rows = [
            [
                InlineKeyboardButton(
                    text="📅 " + self.at(datetime.fromisoformat(moment)),
                    callback_data=Book(case_id=case.id, index=index).pack(),
                )
            ]
            for index, moment in enumerate(case.offered)
        ]
        return markup(rows)

    def offered(self, case: MediationCase, times: Sequence[datetime]) -> list[Outgoing]:
        locale = self.resident_locale(case)
        return [
            self.to_resident(
                case,
                self._(
                    "📅 {org} offers these times for the mediation session of case {number} "
                    "(China time). Choose one:",
                    locale,
                ).format(org=self.org(case, locale), number=case.number),
                reply_markup=self.time_buttons(case),
            )
        ]

    def booked(self, case: MediationCase, starts_at: datetime, moved: bool) -> list[Outgoing]:
        assert case.id is not None
        locale = self.resident_locale(case)
        org_locale = self.chat_locale(case.org_chat_id)
        buttons = markup(
            [
                [
                    InlineKeyboardButton(
                        text="🔁 " + self._("Move", locale),
                        callback_data=Book(case_id=case.id, index=-2).pack(),
                    ),
                    InlineKeyboardButton(
                        text="✖️ " + self._("Cancel the booking", locale),
                        callback_data=Book(case_id=case.id, index=-1).pack(),
                    ),
                ]
            ]
        )
        staff = (
            self._("🔁 Case {number}: the applicant moved the session to {time}.", org_locale)
            if moved
            else self._("📅 Case {number}: the applicant booked {time}.", org_locale)
        )
        return [
            self.to_resident(
                case,
                self._(
                    "📅 Booked: {time} (China time), case {number}. You will be reminded the "
                    "day before and an hour before.",
                    locale,
                ).format(time=self.at(starts_at), number=case.number),
                reply_markup=buttons,
            ),
            self.to_org(case, staff.format(number=case.number, time=self.at(starts_at))),
        ]

    def cancelled(self, case: MediationCase, starts_at: datetime) -> list[Outgoing]:
        org_locale = self.chat_locale(case.org_chat_id)
        return [
            self.to_org(
                case,
                self._(
                    "✖️ Case {number}: the applicant cancelled the session of {time}.", org_locale
                ).format(number=case.number, time=self.at(starts_at)),
            )
        ]

    def reminder(
        self, case: MediationCase, starts_at: datetime, meeting_url: str | None, hour: bool
    ) -> list[Outgoing]:
        def words(locale: str) -> str:
            said = (
                self._(
                    "⏰ Reminder: the mediation session of case {number} begins within the hour, "
                    "at {time} (China time).",
                    locale,
                )
                if hour
                else self._(
                    "⏰ Reminder: the mediation session of case {number} is tomorrow, at {time} "
                    "(China time).",
                    locale,
                )
            ).format(number=case.number, time=self.at(starts_at))
            if meeting_url:
                said += "\n" + self._("Video session: {link}", locale).format(link=meeting_url)
            return said

        sent = [self.to_resident(case, words(self.resident_locale(case)))]
        if case.other_party_id is not None:
            sent.append(
                Outgoing(
                    case.other_party_id,
                    "sendMessage",
                    {"text": words(self.default_locale)},
                    Priority.BULK,
                    self._ref(case),
                )
            )
        return sent

    def rating_buttons(self, case: MediationCase) -> dict[str, object]:
        assert case.id is not None
        return markup(
            [
                [
                    InlineKeyboardButton(
                        text="⭐" * stars, callback_data=Rate(case_id=case.id, stars=stars).pack()
                    )
                    for stars in range(1, 6)
                ]
            ]
        )

    def rate_question(self, case: MediationCase) -> Outgoing:
        locale = self.resident_locale(case)
        return self.to_resident(
            case,
            self._("How was the mediation of case {number}? Rate it from 1 to 5:", locale).format(
                number=case.number
            ),
            reply_markup=self.rating_buttons(case),
        )

    def settled(self, case: MediationCase, opened: Opened, agreement: Agreement) -> list[Outgoing]:
        pdf = self.agreement_pdf(case, opened, agreement)
        org = self.chat_locale(case.org_chat_id)

        def caption(locale: str) -> str:
            return self._(
                "🤝 Case {number} is settled. The signed agreement {serial} is attached; its QR "
                "code verifies it: {url}",
                locale,
            ).format(number=case.number, serial=agreement.serial, url=agreement.url)

        sent = [self.document(case.resident_id, case, pdf, caption(self.resident_locale(case)))]
        if case.other_party_id is not None:
            sent.append(self.document(case.other_party_id, case, pdf, caption(self.default_locale)))
        assert case.org_chat_id is not None and case.id is not None
        judicial = InlineKeyboardButton(
            text="🏛 " + self._("Judicial confirmation requested", org),
            callback_data=CaseAction(action="judicial", case_id=case.id).pack(),
        )
        sent.append(
            self.document(
                case.org_chat_id, case, pdf, caption(org), reply_markup=markup([[judicial]])
            )
        )
        sent.append(self.rate_question(case))
        return sent

    def referred(
        self, case: MediationCase, opened: Opened, events: Sequence[MediationEvent], note: str
    ) -> list[Outgoing]:
        pdf = self.case_file_pdf(case, opened, events, note)

        def caption(locale: str) -> str:
            return self._(
                "⚖️ Case {number} was not settled and is referred to the court. The case file "
                "is attached.",
                locale,
            ).format(number=case.number)

        assert case.org_chat_id is not None
        return [
            self.document(case.resident_id, case, pdf, caption(self.resident_locale(case))),
            self.document(case.org_chat_id, case, pdf, caption(self.chat_locale(case.org_chat_id))),
            self.rate_question(case),
        ]

    def withdrawn(self, case: MediationCase, by_resident: bool) -> list[Outgoing]:
        org = self.chat_locale(case.org_chat_id)
        locale = self.resident_locale(case)
        return [
            self.to_org(
                case,
                self._("↩️ Case {number} was withdrawn.", org).format(number=case.number),
            ),
            self.to_resident(
                case,
                self._("↩️ Your mediation case {number} is withdrawn.", locale).format(
                    number=case.number
                ),
            ),
        ]

    def judicial(self, case: MediationCase, day: date) -> list[Outgoing]:
        locale = self.resident_locale(case)
        org = self.chat_locale(case.org_chat_id)
        return [
            self.to_org(
                case,
                self._(
                    "🏛 Case {number}: judicial confirmation of agreement {serial} requested on "
                    "{day}, recorded.",
                    org,
                ).format(number=case.number, serial=case.agreement_serial, day=day.isoformat()),
            ),
            self.to_resident(
                case,
                self._(
                    "🏛 Judicial confirmation of agreement {serial} was requested on {day}.", locale
                ).format(serial=case.agreement_serial, day=day.isoformat()),
            ),
        ]

    def evidence_shared(
        self, case: MediationCase, evidence: Sequence[MediationEvidence]
    ) -> list[Outgoing]:
        org, locale = self.chat_locale(case.org_chat_id), self.resident_locale(case)
        sent = [
            self.to_org(
                case,
                self._(
                    "🔓 The evidence of case {number} is shared with the other party.", org
                ).format(number=case.number),
            ),
            self.to_resident(
                case,
                self._(
                    "🔓 The mediator shared your evidence with the other party (case {number}).",
                    locale,
                ).format(number=case.number),
            ),
        ]
        if case.other_party_id is not None:
            other = self.default_locale
            words = self._("🔓 The evidence of case {number}:", other).format(number=case.number)
            sent.append(
                Outgoing(
                    case.other_party_id,
                    "sendMessage",
                    {"text": words + "\n" + self.evidence_list(evidence, other)},
                    Priority.URGENT,
                    self._ref(case),
                    sealed=True,
                )
            )
            sent += self.files(case, evidence, to=case.other_party_id)
        return sent

    def rated(self, case: MediationCase) -> list[Outgoing]:
        org = self.chat_locale(case.org_chat_id)
        return [
            self.to_org(
                case,
                self._("⭐ The applicant rated case {number}: {stars} of 5.", org).format(
                    number=case.number, stars=case.rating
                ),
            )
        ]
