"""Who may act on a mediation case: a member of its organisation's chat at the moment of the
press (asked of Telegram through services.authorization, cached briefly), or an admin."""

from __future__ import annotations

from services.authorization import Actor, Authorization, ChatStanding, MembershipUnknown
from services.mediation_models import MediationCase


async def may_mediate(
    authorization: Authorization, case: MediationCase, actor: Actor, action: str
) -> bool:
    if authorization.is_admin(actor.user_id):
        return True
    target = f"mediation case {case.id}"
    if case.org_chat_id is None:
        authorization.refused(actor, action, target, "the case has no organisation chat")
        return False
    if actor.as_chat is not None:  # an anonymous administrator speaking for the group
        if actor.as_chat == case.org_chat_id:
            return True
        authorization.refused(actor, action, target, "posting as another chat")
        return False
    try:
        standing = await authorization.standing(case.org_chat_id, actor.user_id)
    except MembershipUnknown:
        authorization.refused(actor, action, target, "Telegram could not say (try again)")
        return False
    if standing is ChatStanding.OUTSIDER:
        authorization.refused(actor, action, target, "not a member of the organisation's chat")
        return False
    return True
