"""The tourist's certificate: "🏨 Accommodation certificate" or /certificate.

Explains what is kept and asks for consent before the form (handlers.application_form).
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    WebAppInfo,
)
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from handlers.application_questions import Apply, ask
from handlers.application_summary import fields_of, show_summary
from handlers.gates import PRIVATE
from handlers.menu import (
    CERTIFICATE,
    MenuButton,
    main_menu,
    take_press,
)
from services.applications import (
    ApplicationService,
)
from services.routing import Routing


class Consent(CallbackData, prefix="cons"):
    agreed: bool


async def start(
    message: Message,
    state: FSMContext,
    applications: ApplicationService,
    retention_days: int,
    verifier_chat_id: int | None,
    miniapp_url: str | None = None,
) -> None:
    assert message.from_user is not None
    if miniapp_url and (current := await applications.current_certificate(message.from_user.id)):
        await message.answer(
            _(
                "Your accommodation certificate {serial} is valid {valid_from} to {valid_until}. "
                "Open it to show the live code at the front desk, or apply for another stay."
            ).format(
                serial=current.serial,
                valid_from=current.valid_from.isoformat(),
                valid_until=current.valid_until.isoformat(),
            ),
            reply_markup=my_certificate_button(miniapp_url, another_stay=True),
        )
        return
    await apply(message, state, applications, retention_days, verifier_chat_id)


async def another_stay(
    query: CallbackQuery,
    state: FSMContext,
    applications: ApplicationService,
    retention_days: int,
    verifier_chat_id: int | None,
) -> None:
    """A tourist with a current certificate applies for another stay: the usual way in."""
    message = await take_press(query)
    if message is None:
        return
    await apply(message, state, applications, retention_days, verifier_chat_id, query.from_user.id)


async def apply(
    message: Message,
    state: FSMContext,
    applications: ApplicationService,
    retention_days: int,
    verifier_chat_id: int | None,
    tourist_id: int | None = None,
) -> None:
    """Explain what is kept and ask for consent, unless an application waits already."""
    assert message.from_user is not None
    tourist_id = tourist_id or message.from_user.id
    if verifier_chat_id is None:  # nobody to review: ask for nothing (see VERIFIER_CHAT_ID)
        await message.answer(
            _(
                "Accommodation certificates are not offered here yet: this office has no "
                "reviewers for them. Please show your ID card at the hotel, or ask the "
                "street office."
            ),
            reply_markup=main_menu(),
        )
        return
    latest = await applications.latest_for(tourist_id)
    if latest is not None and latest.status == "submitted":
        await message.answer(
            _("Your application is with the reviewers; the answer will come here."),
            reply_markup=main_menu(),
        )
        return
    await state.set_state(Apply.consent)
    if latest is not None and latest.status == "rejected" and latest.full_name_encrypted:
        await state.update_data(resend_from=latest.id)  # correct and send again
    await message.answer(
        _(
            "An accommodation certificate lets you check in at a hotel without your ID card.\n\n"
            "What is kept: your name, document type and number, date of birth, phone, hotel, "
            "dates of stay, and a reference to your selfie. Where: encrypted in the street "
            "office's database; the selfie photo itself stays in Telegram. They are used only "
            "to confirm who you are for this stay.\n\n"
            "Who sees them: the reviewers see the full details in their chat only until they "
            "decide; then what they saw is cut down to your application number and masked name. "
            "The certificate shows only your masked name and document number.\n\n"
            "For how long: if no reviewer decides within {undecided} days, the application "
            "lapses and the details are deleted then. Otherwise they are deleted {days} days "
            "after the certificate expires or the application is declined.\n\nDo you agree?"
        ).format(days=retention_days, undecided=applications.undecided_days),
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(
                        text="✅ " + _("I agree"), callback_data=Consent(agreed=True).pack()
                    ),
                    InlineKeyboardButton(
                        text=_("No, thanks"), callback_data=Consent(agreed=False).pack()
                    ),
                ]
            ]
        ),
    )


async def consent(
    query: CallbackQuery,
    callback_data: Consent,
    state: FSMContext,
    applications: ApplicationService,
    routing: Routing,
    i18n: I18n,
) -> None:
    message = await take_press(query)
    if message is None:
        return
    if not callback_data.agreed:
        await state.clear()
        await message.answer(_("Understood: nothing was recorded."), reply_markup=main_menu())
        return
    resend_from = (await state.get_data()).get("resend_from")
    previous = await applications.get(int(resend_from)) if resend_from else None
    if previous is not None and previous.tourist_id == query.from_user.id:
        await state.update_data(**fields_of(previous, applications.personal_data(previous)))
        await message.answer(
            _("Your last application was declined: {reason}\nCorrect what is needed below.").format(
                reason=_(previous.reject_reason) if previous.reject_reason else ""
            ),
        )
        await show_summary(message, state, routing, i18n)
        return
    await ask(message, state, "name", routing, i18n)


class AnotherStay(CallbackData, prefix="stay"):
    pass


def my_certificate_button(miniapp_url: str, *, another_stay: bool = False) -> InlineKeyboardMarkup:
    """The web_app button opening the "My certificate" Mini App (handlers.miniapp_certificate),
    and, for /certificate, a way to apply for another stay."""
    rows = [
        [
            InlineKeyboardButton(
                text="📱 " + _("My certificate"),
                web_app=WebAppInfo(url=f"{miniapp_url}/app/certificate"),
            )
        ]
    ]
    if another_stay:
        rows.append(
            [
                InlineKeyboardButton(
                    text="➕ " + _("Apply for another stay"), callback_data=AnotherStay().pack()
                )
            ]
        )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def router() -> Router:
    """The way in; a new Router for every Dispatcher."""
    router = Router(name="tourist-certificate")
    private = PRIVATE
    router.message.register(start, private, StateFilter(None), Command("certificate"))
    router.message.register(start, private, StateFilter(None), MenuButton(CERTIFICATE))
    router.callback_query.register(consent, StateFilter(Apply.consent), Consent.filter())
    router.callback_query.register(another_stay, StateFilter(None), AnotherStay.filter())
    return router
