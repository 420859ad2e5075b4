"""Inbound adapters: aiogram Routers (one module per audience) and aiohttp routes."""

from collections.abc import Callable

from aiogram import Router

from handlers import (
    admin,
    application_form,
    application_review,
    binding,
    board,
    common,
    dashboard_command,
    deliberation,
    errors,
    fallback,
    feedback,
    frontdesk,
    households,
    lawyer_asker,
    lawyer_booking,
    lawyer_desk,
    lawyer_form,
    lawyer_hours,
    mediation_form,
    mediation_history,
    mediation_org,
    mediation_place,
    mediation_referral,
    mediation_resident,
    my_requests,
    neighbours,
    rental,
    report_form,
    roles,
    staff,
    tourist_certificate,
    volunteer_tasks,
    volunteers,
)
from handlers.gates import NEVER, Shape, Shaped

COMMAND, GROUP, FORM, MENU, PLAIN = Shape
Build = Callable[[], Router]
NONE: frozenset[Shape] = frozenset()

# In the order they are tried, each with the shapes of message (besides commands, which every
# router may answer) that one of its message handlers can match. A router left out of a shape
# never sees those messages, so a shape may be left out only when none of the router's message
# handlers can match it: they are all commands, or all for group chats (GROUPS), or all for
# private chats (PRIVATE), or all steps of a form (a state filter), or, for PLAIN, all presses
# of a menu button (MenuButton). When in doubt, name the shape: it costs a little time only.
ROUTERS: list[tuple[Build, frozenset[Shape]]] = [
    (roles.router, NONE),  # before common: /start with an invitation code
    (rental.start_router, NONE),  # before common: /start rent_<join code>
    # Mediation, before the greeting and the staff's: /start mc-…, the org chat's /stats, buttons
    (mediation_resident.router, frozenset({FORM})),
    (mediation_history.router, NONE),  # buttons only: a case's history, withdrawing it
    (mediation_org.router, frozenset({GROUP})),
    (mediation_referral.router, NONE),
    (common.router, frozenset({GROUP, FORM, MENU})),  # menu buttons, in any chat
    (rental.router, frozenset({GROUP, FORM, MENU})),  # before staff and residents
    (admin.router, NONE),
    (dashboard_command.router, NONE),  # /dashboard
    (binding.router, NONE),  # /bind, /unbound
    # Tourists: the way in, the application's questions, the verifiers' decision
    (tourist_certificate.router, frozenset({MENU})),
    (application_form.router, frozenset({FORM, MENU})),
    (application_review.router, frozenset({GROUP, FORM})),
    (deliberation.router, frozenset({GROUP, FORM})),  # before staff and residents
    (board.router, frozenset({GROUP})),  # before staff: a summary for the board is not a reply
    # The legal service point, before staff (a group's messages) and residents (a private reply
    # to the bot): a message about a legal question is matched here.
    (lawyer_hours.router, NONE),
    (lawyer_form.router, frozenset({FORM, MENU})),
    (lawyer_desk.router, frozenset({GROUP})),
    (lawyer_asker.router, frozenset({FORM, MENU, PLAIN})),
    (lawyer_booking.router, NONE),  # buttons only: consultations booked, moved, cancelled
    (households.router, NONE),  # before staff: /contacts in a grid's chat
    (volunteer_tasks.router, frozenset({GROUP})),  # before staff: /task's answers
    (volunteers.router, frozenset({FORM})),
    (staff.router, frozenset({GROUP})),
    (frontdesk.router, frozenset({FORM, MENU, PLAIN})),  # before residents: a certificate code
    (mediation_place.router, frozenset({FORM})),  # the form's area step
    (mediation_form.router, frozenset({FORM, MENU})),  # before the report form's plain text
    # Residents: feedback, their requests and comments, neighbours' reports, and last the
    # report form, which takes any plain text.
    (feedback.router, frozenset({FORM})),
    (my_requests.router, frozenset({FORM, MENU, PLAIN})),
    (neighbours.router, frozenset({FORM})),
    (report_form.router, frozenset({FORM, MENU, PLAIN})),
    (fallback.router, frozenset({FORM, MENU, PLAIN})),
]


def telegram_routers() -> list[Router]:
    """Messages go by their shape, through the routers that can answer it, in their order;
    every other update (buttons, edits, members …) through all of them, in the same order.

    The handler modules' routers are built once per shape: a Router belongs to one parent.
    """
    routers = [errors.router()]
    for shape in (PLAIN, MENU, GROUP, FORM, COMMAND):  # disjoint: their order does not matter
        gate = Router(name=f"messages: {shape.value}")
        for name, observer in gate.observers.items():
            observer.filter(Shaped(shape) if name == "message" else NEVER)
        gate.include_routers(
            *(build() for build, shapes in ROUTERS if shape is COMMAND or shape in shapes)
        )
        routers.append(gate)
    others = Router(name="everything but messages")
    others.message.filter(NEVER)
    others.include_routers(*(build() for build, _shapes in ROUTERS))
    routers.append(others)
    return routers
