"""The mediator shares the applicant's evidence with the other party.

Until then the other party's invitation link shows the case summary only; from then on it lists
the evidence and sends the files, and if the other party already answered the link, the files
are sent to them at once. A step of its own (recorded as an event), taken by a member of the
organisation's chat (handlers ask services/mediation_access.py first).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from services.mediation import OPEN_STATES, MediationService, WrongState
from services.mediation_models import MediationCase, MediationEvidence
from services.outbox import Outgoing


class SharingNotices(Protocol):
    def evidence_shared(
        self, case: MediationCase, evidence: Sequence[MediationEvidence]
    ) -> list[Outgoing]: ...


async def share_evidence(
    cases: MediationService, notices: SharingNotices, case_id: int, actor_id: int
) -> MediationCase:
    """Let the other party see the evidence (once; a second press changes nothing)."""
    async with cases.db.session() as session:
        case = await cases._get(session, case_id)
        if case.status not in OPEN_STATES or case.evidence_shared:
            raise WrongState(case)
        case.evidence_shared = True
        cases.record(session, case, "evidence_shared", actor_id, "")
        cases.notify(session, notices.evidence_shared(case, await cases._evidence(session, case)))
        return await cases._commit(session, case)
