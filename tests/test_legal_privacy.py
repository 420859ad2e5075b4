"""Who asked a lawyer and what they wrote is personal data: encrypted in the database, sealed
in the outbox, and purged (the notifications that carried it wiped) a set time after the
answer, by the runner's minute round."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlmodel import col, select

from bot.factory import build
from bot.localapi import BotAPIStandin
from bot.runner import legal_round
from services.legal import Attachment, LegalDraft
from services.models import LegalNote, LegalQuestion, Notification, utcnow
from tests.support.running import bot_settings
from tests.test_legal import CHEN, LAWYERS, legal_routing


async def test_the_asker_and_the_question_are_sealed_and_purged_after_the_answer(
    standin: BotAPIStandin, tmp_path: Path, database_url: str
) -> None:
    settings = bot_settings(
        standin,
        database_url=database_url,
        data_dir=tmp_path / "data",
        routing_file=legal_routing(tmp_path),
    )
    linkage = build(settings)
    try:
        assert linkage.legal is not None
        contract = Attachment("document", "BQACAgIAAxkBAAIcontract", "contract.pdf", 2048)
        draft = LegalDraft(
            3101, "Boss Zhang", "en", "firm", "contracts", "Unpaid invoice", (contract,), LAWYERS
        )
        question = await linkage.legal.submit(draft)
        assert question.id is not None
        async with linkage.db.session() as session:
            stored = await session.get(LegalQuestion, question.id)
            notifications = list(await session.exec(select(Notification)))
        assert stored is not None
        for secret in ("Boss Zhang", "Unpaid invoice", "contract.pdf", "BQACAgIAAxkBAAIcontract"):
            assert secret not in str(stored.model_dump()), secret
            assert secret not in str([n.params for n in notifications]), secret
        assert linkage.legal.opened(stored).name == "Boss Zhang"  # the card can open it

        await linkage.legal.take(question.id, CHEN, "Lawyer Chen")
        await linkage.legal.note(question.id, CHEN, "Lawyer Chen", "Zhang's bank: ICBC 6222")
        async with linkage.db.session() as session:
            [note] = await session.exec(select(LegalNote))
        assert note.text_encrypted and "6222" not in note.text_encrypted
        await linkage.legal.mark_answered(question.id, CHEN)
        kept = timedelta(days=settings.personal_data_retention_days)
        await legal_round(linkage, utcnow())  # within the retention: kept
        async with linkage.db.session() as session:
            stored = await session.get(LegalQuestion, question.id)
        assert stored is not None and stored.name_encrypted and stored.purged_at is None
        await legal_round(linkage, utcnow() + kept + timedelta(minutes=1))
        async with linkage.db.session() as session:
            stored = await session.get(LegalQuestion, question.id)
            [note] = await session.exec(select(LegalNote))
            carried = list(
                await session.exec(
                    select(Notification).where(
                        col(Notification.reference) == f"legal:{question.id}"
                    )
                )
            )
    finally:
        await linkage.close()
    assert stored is not None and stored.purged_at is not None
    assert (stored.name_encrypted, stored.text_encrypted, stored.files_encrypted) == (None,) * 3
    assert stored.number and stored.topic == "contracts"  # what counts, kept
    assert note.text_encrypted is None and note.lawyer_name == "Lawyer Chen"
    assert carried and all(n.params == {"chat_id": n.chat_id} for n in carried)
