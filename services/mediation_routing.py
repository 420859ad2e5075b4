"""The routing file's `mediation:` section: the mediation organisations and where cases go.

    mediation:
      dispute_categories: [disputes]   # staff may refer a request in these to mediation
      organisations:                   # tried in this order; the first that fits gets a case
        - code: qixing-pmc
          name: {en: Qixing People's Mediation Committee, zh: 七星街道人民调解委员会}
          kinds: [neighbours, property, family, other]   # default: every kind
          grids: [SJB-01, SJB-02]      # area by grid code (optional)
          communities: [sanjiabang]    # or by community code (optional); neither: everywhere
          chat: -1001000000095         # the organisation's chat: cases arrive there as cards

A case goes to the first organisation that takes its kind in the applicant's area and has not
declined it; when none is left, to the street office's chat.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

KINDS = ("neighbours", "property", "consumer", "labour", "medical", "family", "other")


def _known_kinds(value: list[str]) -> list[str]:
    unknown = [kind for kind in value if kind not in KINDS]
    if unknown:
        raise ValueError(f"unknown kind {unknown[0]!r} (known: {', '.join(KINDS)})")
    return value


def _bilingual(value: dict[str, str]) -> dict[str, str]:
    missing = [locale for locale in ("en", "zh") if locale not in value]
    if missing:
        raise ValueError(f"needs a text in {' and '.join(missing)} (en and zh are required)")
    return value


_Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")]
_Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Organisation(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    code: _Code
    name: Annotated[dict[str, _Text], AfterValidator(_bilingual)]
    kinds: Annotated[list[str], AfterValidator(_known_kinds)] = list(KINDS)
    grids: list[_Code] = []
    communities: list[_Code] = []
    chat: int


class MediationSection(BaseModel):
    """The section as the routing file writes it (checked with the rest of the file)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    dispute_categories: list[_Code] = []
    organisations: list[_Organisation] = []


@dataclass(frozen=True)
class Organisation:
    code: str
    name: Mapping[str, str]
    kinds: tuple[str, ...]
    grids: tuple[str, ...]
    communities: tuple[str, ...]
    chat_id: int

    def serves(self, kind: str, grid: str | None, community: str | None) -> bool:
        if kind not in self.kinds:
            return False
        if not self.grids and not self.communities:
            return True
        return (grid is not None and grid in self.grids) or (
            community is not None and community in self.communities
        )


class MediationDirectory:
    """The organisations, looked up by code, by chat, and for a case's kind and place."""

    def __init__(self, section: MediationSection | None) -> None:
        section = section or MediationSection()
        self.dispute_categories = frozenset(section.dispute_categories)
        self.organisations = tuple(
            Organisation(
                code=o.code,
                name=dict(o.name),
                kinds=tuple(o.kinds),
                grids=tuple(o.grids),
                communities=tuple(o.communities),
                chat_id=o.chat,
            )
            for o in section.organisations
        )
        self._by_code = {o.code: o for o in self.organisations}
        self._by_chat = {o.chat_id: o for o in self.organisations}

    def organisation(self, code: str) -> Organisation | None:
        return self._by_code.get(code)

    def of_chat(self, chat_id: int) -> Organisation | None:
        return self._by_chat.get(chat_id)

    def next_for(
        self, kind: str, grid: str | None, community: str | None, declined: Sequence[str]
    ) -> Organisation | None:
        """The first organisation that takes this kind here and has not declined the case."""
        for organisation in self.organisations:
            if organisation.code not in declined and organisation.serves(kind, grid, community):
                return organisation
        return None


def directory_of(section: Any) -> MediationDirectory:
    """The directory of a routing's `mediation` section (None: no organisations)."""
    return MediationDirectory(section if isinstance(section, MediationSection) else None)


def section_document(section: MediationSection | None) -> dict[str, Any] | None:
    """The section as the file's data, for exporting the routing."""
    return section.model_dump() if section is not None else None
