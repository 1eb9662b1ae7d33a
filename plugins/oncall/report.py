"""The monthly on-call claim: hours on call, out-of-hours time worked and pay, as text or CSV."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from plugins.oncall.hours import Claim, claims
from plugins.oncall.periods import Period, fmt_hours
from plugins.oncall.settings import OncallSection

if TYPE_CHECKING:
    from core.runtime import Runtime

CSV_COLUMNS = (
    "month",
    "person",
    "oncall_hours",
    "worked_hours",
    "full_hours_worked",
    "availability_pay",
    "worked_pay",
    "total_pay",
)


def month_claims(runtime: Runtime, section: OncallSection, period: Period) -> list[Claim]:
    with runtime.db.session() as session:
        return claims(session, runtime.calendars, section, period)


def as_text(section: OncallSection, month: str, found: list[Claim]) -> str:
    currency = section.pay.currency
    lines = [f"On-call hours and pay for {month}:"]
    for claim in found:
        worked = f"{fmt_hours(claim.worked_seconds / 3600)} h worked out of hours ({claim.full_hours_worked} full)"
        if claim.total_pay is None:
            pay = f"pay not computed: {claim.salary_problem} ({claim.variable})"
        else:
            pay = (
                f"pay {currency}{claim.total_pay} (availability {currency}{claim.availability_pay}"
                f" + worked {currency}{claim.worked_pay})"
            )
        lines.append(
            f"- {claim.person}: {fmt_hours(claim.oncall_hours)} h on call, {worked}; {pay}"
        )
    return "\n".join(lines)


def as_csv(month: str, found: list[Claim]) -> str:
    """One row per person; pay cells are empty when the salary is not available."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for claim in found:
        writer.writerow(
            [
                month,
                claim.person,
                fmt_hours(claim.oncall_hours),
                fmt_hours(claim.worked_seconds / 3600),
                claim.full_hours_worked,
                claim.availability_pay if claim.availability_pay is not None else "",
                claim.worked_pay if claim.worked_pay is not None else "",
                claim.total_pay if claim.total_pay is not None else "",
            ]
        )
    return out.getvalue()
