"""The routing file's `volunteers:` section: the skills volunteers offer and tasks ask for.

    volunteers:
      skills:
        - {code: elderly_care, name: {en: Elderly care, zh: 助老}}
        - {code: repairs, name: {en: Small repairs, zh: 小修小补}}

Without the section (or without `skills`) the fixed set of services/volunteers.py applies, named
by the catalogs. Checked when the routing file is loaded (services/routing.py calls
`check_volunteers`); a mistake is a ValueError naming the entry.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.volunteers import SKILLS

CODE = re.compile(r"^[a-z][a-z0-9_]{0,15}$")  # stored comma-joined: short, and no commas
MOST = 10  # a keyboard of skills a person can read; ten codes fit the column


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _Skill(_Model):
    code: str
    name: dict[str, Annotated[str, Field(min_length=1, max_length=40)]]


class _Volunteers(_Model):
    skills: Annotated[list[_Skill], Field(min_length=1, max_length=MOST)] | None = None


@dataclass(frozen=True)
class Skill:
    code: str
    name: dict[str, str]


def check_volunteers(data: object) -> tuple[Skill, ...]:
    """The section's skills, checked; ValueError "volunteers.where: what is wrong" otherwise."""
    try:
        parsed = _Volunteers.model_validate(data)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ValueError(f"volunteers.{where}: {first['msg']}".replace(".: ", ": ")) from None
    if parsed.skills is None:
        return ()
    skills = []
    for i, skill in enumerate(parsed.skills):
        if not CODE.match(skill.code):
            raise ValueError(
                f"volunteers.skills[{i}].code: {skill.code!r} is not a code (a-z, 0-9, _; "
                "up to 16 characters, starting with a letter)"
            )
        if not {"en", "zh"} <= set(skill.name):
            raise ValueError(f"volunteers.skills[{i}].name: give it in en and zh")
        skills.append(Skill(skill.code, dict(skill.name)))
    if len({skill.code for skill in skills}) != len(skills):
        raise ValueError("volunteers.skills: a code is listed twice")
    return tuple(skills)


def routed_skills(section: Mapping[str, Any] | None) -> tuple[Skill, ...]:
    """The routing's own skills; () when it names none (the fixed set applies)."""
    return () if section is None else check_volunteers(dict(section))


def skill_codes(section: Mapping[str, Any] | None) -> tuple[str, ...]:
    """The codes volunteers choose from: the routing's, else the fixed set."""
    return tuple(skill.code for skill in routed_skills(section)) or SKILLS
