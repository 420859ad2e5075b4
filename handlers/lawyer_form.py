"""Ask a lawyer: a person or a small firm describes a question for the lawyers on duty.

Who asks (for themself or a small firm), the topic (buttons; a typed topic must be one of
them), the question in words, voice notes or documents, a summary to confirm, and a numbered
question. The answers of the form stay in the FSM storage, sealed in Redis (bot/forms.py).
"""

from __future__ import annotations

from uuid import uuid4

from aiogram import Bot, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import KeyboardButton, Message, ReplyKeyboardMarkup
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from handlers.gates import PRIVATE
from handlers.lawyer_notices import KIND_LABELS, TOPIC_LABELS, kb_size
from handlers.menu import ASK_LAWYER, CANCEL, N_, MenuButton, MenuEntry, keyboard, main_menu
from handlers.topics import open_topic
from services.legal import LegalDesk
from services.legal_contract import TEXT_LIMIT, TOPICS, Attachment, LegalDraft
from services.legal_routing import CurrentPoint

FILE_LIMIT_BYTES = 20 * 1024 * 1024  # what a bot may fetch from Telegram: lawyers can open it
FILES_PER_QUESTION = 10
FOR_ME = MenuEntry("🙋", N_("For myself"))
FOR_FIRM = MenuEntry("🏢", N_("For a small firm"))
DONE = MenuEntry("✅", N_("Done"))
SEND = MenuEntry("📨", N_("Send to the lawyers"))


class Asking(StatesGroup):
    kind = State()
    topic = State()
    describing = State()
    confirming = State()


def words_in_every_locale(i18n: I18n, message: str) -> set[str]:
    return {i18n.gettext(message, locale=locale) for locale in i18n.available_locales} | {message}


def topic_of(typed: str, i18n: I18n) -> str | None:
    """The topic whose button (or name, in any language, any case) was sent."""
    cleaned = typed.strip().lstrip("⚖️ ").strip().casefold()
    for code, label in TOPIC_LABELS.items():
        names = {name.casefold() for name in words_in_every_locale(i18n, label)}
        if cleaned in names or cleaned == code:
            return code
    return None


def topic_keyboard() -> ReplyKeyboardMarkup:
    labels = [KeyboardButton(text="⚖️ " + _(TOPIC_LABELS[code])) for code in TOPICS]
    return keyboard(labels[:2], labels[2:4], labels[4:], [KeyboardButton(text=CANCEL.text())])


async def start(message: Message, state: FSMContext, current: CurrentPoint) -> None:
    await state.clear()
    if current.point is None:
        await message.answer(
            _("Legal advice is not offered here yet. Ask your street office."),
            reply_markup=main_menu(),
        )
        return
    await state.set_state(Asking.kind)
    await state.update_data(intake=uuid4().hex, words=[], files=[])
    await message.answer(
        _(
            "👩‍⚖️ Ask the lawyers on duty at the legal service point, free of charge. "
            "Are you asking for yourself or for a small firm?"
        ),
        reply_markup=keyboard(
            [KeyboardButton(text=FOR_ME.text()), KeyboardButton(text=FOR_FIRM.text())],
            [KeyboardButton(text=CANCEL.text())],
        ),
    )


async def take_kind(message: Message, state: FSMContext, i18n: I18n) -> None:
    typed = message.text or ""
    if typed in FOR_ME.texts_in_every_locale(i18n):
        kind = "person"
    elif typed in FOR_FIRM.texts_in_every_locale(i18n):
        kind = "firm"
    else:
        await message.answer(_("Please press “For myself” or “For a small firm”."))
        return
    await state.update_data(kind=kind)
    await state.set_state(Asking.topic)
    await message.answer(_("What is your question about?"), reply_markup=topic_keyboard())


async def take_topic(message: Message, state: FSMContext, i18n: I18n) -> None:
    code = topic_of(message.text or "", i18n)
    if code is None:
        choices = ", ".join(_(TOPIC_LABELS[topic]) for topic in TOPICS)
        await message.answer(
            _("“{typed}” is not one of the topics. Choose one: {choices}.").format(
                typed=(message.text or "")[:60], choices=choices
            ),
            reply_markup=topic_keyboard(),
        )
        return
    await state.update_data(topic=code)
    await state.set_state(Asking.describing)
    await message.answer(
        _(
            "Describe your question: write it, send a voice note, or send documents "
            "(up to 20 MB each). Press “✅ Done” when everything is in."
        ),
        reply_markup=keyboard(
            [KeyboardButton(text=DONE.text()), KeyboardButton(text=CANCEL.text())]
        ),
    )


def attachment_of(message: Message) -> Attachment | None:
    if message.document is not None:
        document = message.document
        return Attachment(
            "document", document.file_id, document.file_name or "", document.file_size or 0
        )
    if message.voice is not None:
        return Attachment("voice", message.voice.file_id, "", message.voice.file_size or 0)
    if message.audio is not None:
        audio = message.audio
        return Attachment("audio", audio.file_id, audio.file_name or "", audio.file_size or 0)
    if message.photo:
        photo = message.photo[-1]
        return Attachment("photo", photo.file_id, "", photo.file_size or 0)
    return None


async def take_description(message: Message, state: FSMContext, i18n: I18n) -> None:
    if message.text in DONE.texts_in_every_locale(i18n):
        await show_summary(message, state)
        return
    data = await state.get_data()
    words, files = list(data.get("words", [])), list(data.get("files", []))
    attachment = attachment_of(message)
    if attachment is not None:
        if attachment.size > FILE_LIMIT_BYTES:
            await message.answer(
                _("That file is too large ({size}): send documents of up to 20 MB.").format(
                    size=kb_size(attachment.size)
                )
            )
            return
        if len(files) >= FILES_PER_QUESTION:
            await message.answer(_("That is 10 files already; press “✅ Done” to go on."))
            return
        files.append(vars(attachment))
    said = (message.text or message.caption or "").strip()
    if said:
        words.append(said)
    if attachment is None and not said:
        await message.answer(_("Send words, a voice note or a document, or press “✅ Done”."))
        return
    if len("\n".join(words)) > TEXT_LIMIT:
        await message.answer(
            _("That is longer than {limit} characters; please shorten it.").format(limit=TEXT_LIMIT)
        )
        return
    await state.update_data(words=words, files=files)
    await message.answer(_("Got it. Add more, or press “✅ Done”."))


async def show_summary(message: Message, state: FSMContext) -> None:
    data = await state.get_data()
    if not data.get("words") and not data.get("files"):
        await message.answer(_("Write your question first, or send a voice note or a document."))
        return
    files = [Attachment(**item) for item in data.get("files", [])]
    lines = [
        _("Your question to the lawyers on duty:"),
        _("Asking as: {kind}").format(kind=_(KIND_LABELS[data["kind"]])),
        _("Topic: {topic}").format(topic=_(TOPIC_LABELS[data["topic"]])),
    ]
    if data.get("words"):
        lines.append("“" + "\n".join(data["words"]) + "”")
    voice = _("voice note")
    lines += [f"📎 {item.name or voice} ({kb_size(item.size)})" for item in files]
    lines += ["", _("Send it? The lawyers see your name; the answer comes from “Lawyer on duty”.")]
    await state.set_state(Asking.confirming)
    await message.answer(
        "\n".join(lines),
        reply_markup=keyboard(
            [KeyboardButton(text=SEND.text()), KeyboardButton(text=CANCEL.text())]
        ),
    )


async def confirm(
    message: Message,
    state: FSMContext,
    i18n: I18n,
    bot: Bot,
    legal: LegalDesk,
    current: CurrentPoint,
) -> None:
    if message.text not in SEND.texts_in_every_locale(i18n):
        await message.answer(_("Press “📨 Send to the lawyers”, or “✖️ Cancel”."))
        return
    point = current.point
    assert message.from_user is not None
    if point is None:
        await state.clear()
        await message.answer(_("Legal advice is not offered here yet. Ask your street office."))
        return
    data = await state.get_data()
    question, filed_now = await legal.submit_once(
        LegalDraft(
            asker_id=message.from_user.id,
            asker_name=message.from_user.full_name,
            asker_locale=i18n.current_locale,
            asker_kind=data["kind"],
            topic=data["topic"],
            text="\n".join(data.get("words", [])),
            attachments=tuple(Attachment(**item) for item in data.get("files", [])),
            chat_id=point.chat_id,
            intake_key=data.get("intake"),
            card_later=point.forum,
        )
    )
    # A forum chat: one topic per question, opened once the question is filed, by the call
    # that filed it (a Send delivered again opens none), or by a later one if that call
    # died before the card went out.
    assert question.id is not None
    if (filed_now and point.forum) or (not filed_now and not await legal.card_posted(question.id)):
        topic_id = None
        if point.forum and question.chat_id == point.chat_id:
            label = _(TOPIC_LABELS[question.topic])
            topic_id = await open_topic(bot, point.chat_id, f"⚖️ {label}")
        question = await legal.post_card(question.id, topic_id)
    await state.clear()
    await message.answer(
        _(
            "📨 Your question {number} has gone to the lawyers on duty. The answer comes "
            "here, from “Lawyer on duty”; follow it under “My requests”."
        ).format(number=question.number),
        reply_markup=main_menu(),
    )


def router() -> Router:
    router = Router(name="lawyer-form")
    router.message.filter(PRIVATE)
    router.message.register(start, Command("lawyer"))
    router.message.register(start, MenuButton(ASK_LAWYER))
    router.message.register(take_kind, StateFilter(Asking.kind))
    router.message.register(take_topic, StateFilter(Asking.topic))
    router.message.register(take_description, StateFilter(Asking.describing))
    router.message.register(confirm, StateFilter(Asking.confirming))
    return router
