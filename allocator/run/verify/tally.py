"""What the verifier found: every rule it checks, how often, and each violation."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

RULES: tuple[str, ...] = (
    "file",
    "digest",
    "signature",
    "schedule_row",
    "window",
    "funded",
    "program_range",
    "year_max",
    "ramp",
    "units",
    "payment_profile",
    "mandatory",
    "precedence",
    "group_at_most",
    "group_at_least",
    "group_all_or_none",
    "group_requires",
    "area_bound",
    "phase_bound",
    "aggregate_bound",
    "shortfall",
    "gdp_cap",
    "fiscal_year_cap",
    "fiscal_total_cap",
    "fiscal_growth",
    "contract_payments",
    "contract_window",
    "new_contract_cap",
    "outstanding_cap",
    "vehicle_split",
    "vehicle_cap",
    "fund_balance",
    "obligations_ledger",
    "actual",
    "indicator_target",
    "indicator",
    "variance",
    "summary_mismatch",
    "programs_mismatch",
    "ranks_mismatch",
    "rank_value",
    "plan_json_mismatch",
    "rank_value",
    "stage_claim",
)
"""Every rule the verifier checks, in the order of the report."""


@dataclass(frozen=True)
class Violation:
    """One broken rule.

    Attributes
    ----------
    rule : str
        The rule's name, one of :data:`RULES`.
    subject : str
        A program id, area id, phase id, bound id, group id, ``"horizon"`` or a file name.
    fiscal_year : int or None
        The fiscal year concerned, when the rule is per year.
    excess_oku_yen : int or None
        By how many 億円 the rule is broken (positive), when it is a money rule.
    message : str
        One line of plain English.
    """

    rule: str
    subject: str
    fiscal_year: int | None
    excess_oku_yen: int | None
    message: str


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of :func:`verify_run`.

    Attributes
    ----------
    ok : bool
        True when no rule is broken.
    violations : tuple of Violation
        Every broken rule, in the order found.
    checks : tuple of (str, int)
        For every rule, how many instances were checked.
    notes : tuple of str
        What was not checked and why (e.g. a run without a schedule).
    signature : str
        Whether the folder is signed, and whether the signature is valid.
    """

    ok: bool
    violations: tuple[Violation, ...]
    checks: tuple[tuple[str, int], ...]
    notes: tuple[str, ...] = ()
    signature: str = ""
    """``not signed``, ``signature valid (key …)``, ``signature INVALID``, or for a signed
    folder verified without a key, a line saying so; empty when the seal was not checked."""

    def to_record(self) -> dict[str, Any]:
        """A JSON-serialisable record for ``plan.json``.

        Returns
        -------
        dict
            ``{"ok", "checked": {rule: n}, "violations": [...], "notes": [...]}``.
        """
        return {
            "ok": self.ok,
            "checked": dict(self.checks),
            "violations": [asdict(v) for v in self.violations],
            "notes": list(self.notes),
        }


class Tally:
    """Collects how many instances of each rule were checked and which were broken."""

    def __init__(self) -> None:
        self.violations: list[Violation] = []
        self.checked: Counter[str] = Counter()
        self.notes: list[str] = []

    def check(self, rule: str, n: int = 1) -> None:
        """Count ``n`` checked instances of ``rule``."""
        self.checked[rule] += n

    def fail(
        self,
        rule: str,
        subject: str,
        message: str,
        *,
        year: int | None = None,
        excess: int | None = None,
    ) -> None:
        """Record a violation of ``rule``."""
        self.violations.append(Violation(rule, subject, year, excess, message))

    def report(self, signature: str = "") -> VerifyReport:
        """The report of everything tallied so far."""
        extra = sorted(set(self.checked) - set(RULES))
        checks = tuple((r, self.checked[r]) for r in (*RULES, *extra))
        return VerifyReport(
            ok=not self.violations,
            violations=tuple(self.violations),
            checks=checks,
            notes=tuple(self.notes),
            signature=signature,
        )
