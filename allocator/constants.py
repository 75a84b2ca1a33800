"""The vocabulary every layer shares: run and stage statuses, run-folder file names, and the
table of constraint families. Imports nothing from the package.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

OKU_PER_CHO = 10_000
"""億円 per 兆円."""

# ---------------------------------------------------------------------------------------------
# statuses

RunStatus = Literal["optimal", "feasible", "infeasible", "no_solution"]
"""``optimal``: every stage proven optimal (within the gap asked for); ``feasible``: a plan, but
some stage stopped at a limit; ``infeasible``: no plan satisfies the rules; ``no_solution``: a
limit came before any plan was found."""

StageStatus = Literal["optimal", "time_limit", "infeasible", "no_solution", "skipped"]
"""How one priority stage ended."""

PLAN_STATUSES: frozenset[str] = frozenset({"optimal", "feasible"})
NO_PLAN_STATUSES: frozenset[str] = frozenset({"infeasible", "no_solution"})
"""Statuses of a run that has no schedule (the run folder then holds plan.json and inputs/)."""


def has_plan(status: str) -> bool:
    """Whether a run (or a sweep point) with ``status`` has a schedule."""
    return status in PLAN_STATUSES


# ---------------------------------------------------------------------------------------------
# the run folder

RUN_FORMAT = "allocator-run/1"
PLAN_JSON = "plan.json"
INPUTS_DIR = "inputs"
SCHEDULE_CSV = "schedule.csv"
OBLIGATIONS_CSV = "obligations.csv"
SUMMARY_CSV = "summary.csv"
PROGRAMS_CSV = "programs.csv"
RANKS_CSV = "ranks.csv"
SHORTFALLS_CSV = "shortfalls.csv"
EXPLANATION_TXT = "explanation.txt"
REPORT_MD = "report.md"
WORKBOOK = "report.xlsx"
CHARTS_DIR = "charts"
AREA_CHART = "allocation_by_area.png"
RANK_CHART = "funding_by_rank.png"
OBLIGATIONS_CHART = "contracts_and_payments.png"
INDICATORS_CSV = "indicators.csv"
"""Indicator trajectories per fiscal year (plans with ``[[indicators]]``)."""
INDICATOR_CHART = "indicators.png"
VARIANCE_CSV = "variance.csv"
"""A re-plan: planned, executed and re-planned per program, area, rank and year, and why."""
EVALUATION_MD = "evaluation.md"
"""A re-plan: the year's evaluation (年次評価) for a director."""

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make Excel evaluate a text cell as a formula (CSV injection)."""

LANGS = ("ja", "en")


# ---------------------------------------------------------------------------------------------
# constraint families

FamilyKind = Literal["program", "link", "group", "floor", "ceiling", "cap", "priority", "tiebreak"]


@dataclass(frozen=True)
class Family:
    """One constraint family of the model (rows are named ``family[index]``)."""

    name: str
    kind: FamilyKind
    """``program``: a program's own rules; ``link``: between programs (precedence);
    ``group``: which programs are funded together (``[[groups]]``); ``floor``/``ceiling``:
    lower/upper bounds on aggregates; ``cap``: the GDP and fiscal caps; ``priority``: holds;
    ``tiebreak``: auxiliary rows of the tie-break stage (|·| as a variable)."""
    en: str
    ja: str


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family("no_window", "program", "a program with no year in the horizon is not funded",
               "計画期間内に年度のない事業は実施しない"),
        Family("range_low", "program", "a funded program receives at least its low",
               "実施する事業は下限以上を受け取る"),
        Family("range_high", "program", "a program receives at most its high (0 if unfunded)",
               "事業の合計は上限以下(実施しなければ0)"),
        Family("year_max", "program", "no year above the program's per-year maximum",
               "各年度の配分は年度上限以下"),
        Family("mandatory", "program", "a mandatory program is funded", "必須の事業は必ず実施する"),
        Family("ramp", "program", "spending grows by at most the ramp limit a year",
               "年度間の増加は上限以下"),
        Family("needs_funded", "link", "a successor is funded only if its predecessor is",
               "後続事業は先行事業を実施する場合のみ実施"),
        Family("started_monotone", "link", "once started, a predecessor stays started",
               "一度開始した先行事業は開始済みのまま"),
        Family("started_def", "link", "a predecessor is started only once something was paid",
               "支払いがあって初めて開始済み"),
        Family("finished_def", "link", "a predecessor is finished only if it pays nothing later",
               "以後の支払いがなければ完了"),
        Family("after_start", "link", "a successor pays only once its predecessor has started",
               "先行事業の開始後にのみ支払う"),
        Family("after_finish", "link", "a successor pays only after its predecessor's last payment",
               "先行事業の最終支払いの翌年度以降にのみ支払う"),
        Family("group_at_most", "group", "at most k of a group's programs are funded",
               "グループのうち実施する事業はk件以下"),
        Family("group_at_least", "group", "at least k of a group's programs are funded",
               "グループのうち少なくともk件を実施する"),
        Family("group_all_or_none", "group", "a package is funded whole or not at all",
               "パッケージの事業はすべて実施するか、いずれも実施しない"),
        Family("group_requires", "group", "a program is funded only if the program it requires is",
               "必要とする事業を実施する場合にのみ実施する"),
        Family("group_requires_any", "group",
               "a program is funded only if one of the programs it requires is",
               "必要とする事業のいずれかを実施する場合にのみ実施する"),
        Family("area_low", "floor", "an area's floor", "分野の下限"),
        Family("area_high", "ceiling", "an area's ceiling", "分野の上限"),
        Family("phase_low", "floor", "a phase's floor", "短期・中期・長期の下限"),
        Family("phase_high", "ceiling", "a phase's ceiling", "短期・中期・長期の上限"),
        Family("bound_low", "floor", "an aggregate bound's floor", "その他の集計の下限"),
        Family("bound_high", "ceiling", "an aggregate bound's ceiling", "その他の集計の上限"),
        Family("gdp_cap", "cap", "defence spending within the GDP-ratio cap",
               "防衛費はGDP比上限以内"),
        Family("fiscal_year_cap", "cap", "new spending within the year's fiscal ceiling",
               "新規支出は年度の財政上限以内"),
        Family("fiscal_total_cap", "cap", "new spending within the horizon's ceiling",
               "新規支出の合計は期間上限以内"),
        Family("fiscal_growth", "cap", "new spending grows by at most the growth limit",
               "新規支出の伸びは上限以内"),
        Family("ratio_floor", "floor", "defence spending at least the floor ratio of GDP",
               "防衛費はGDP比の下限以上"),
        Family("priority_hold", "priority", "a higher rank keeps the value it reached",
               "上位の順位は達成した価値を保つ"),
        Family("payment_rounding", "program",
               "a contract's payments are whole 億円: each share rounded down, the rest last",
               "契約の各年度の支払は整数億円(各年度は切り捨て、端数は最終年度)"),
        Family("contract_window", "program", "multi-year contracts are signed only in the window",
               "国庫債務負担行為は契約可能年度内にのみ結ぶ"),
        Family("new_contract_cap", "cap",
               "new contracts (or their later-year part) within the year's ceiling",
               "新規契約額(新規後年度負担)は年度の上限以内"),
        Family("outstanding_cap", "cap", "obligations outstanding at year end within the ceiling",
               "年度末の後年度負担残高は上限以内"),
        Family("vehicle_split", "link", "a payment is split among the vehicles that may pay it",
               "支払は充当可能な財源(当初・補正・基金)に配分する"),
        Family("vehicle_cap", "cap", "a vehicle pays at most its ceiling in a year",
               "各財源の年度の支払は上限以内"),
        Family("fund_balance", "cap", "a fund's balance never goes below zero",
               "基金の残高は負にならない"),
        Family("floor_hold", "priority",
               "a higher rank's floors fall no further short than they had to",
               "上位の下限の不足は最小のまま保つ"),
        Family("level_total", "tiebreak", "year-to-year change of total new spending",
               "新規支出合計の年度間変化"),
        Family("level_ratio", "tiebreak", "year-to-year change of the defence ratio to GDP",
               "防衛費のGDP比の年度間変化"),
        Family("level_program", "tiebreak", "year-to-year change of a program's money",
               "事業ごとの配分の年度間変化"),
        Family("level_peak", "tiebreak", "the largest year-to-year change (total, ratio)",
               "年度間変化の最大値"),
        Family("reference_gap", "tiebreak", "money moved against the reference run",
               "基準とする実行結果からの変更額"),
        Family("actual", "program",
               "in a re-plan, a fixed year's money is what was executed",
               "再計画では確定年度の配分は執行実績額"),
        Family("actual_funded", "program", "a program with money executed stays funded",
               "執行実績のある事業は実施を継続する"),
        Family("indicator_target", "floor",
               "an indicator meets its target by a year (a target that is a rule)",
               "指標は目標年度までに目標水準を満たす"),
    )
}  # fmt: skip
"""Every constraint family the model may define (``ModelHandles.add`` refuses any other)."""


def families_of(*kinds: FamilyKind) -> frozenset[str]:
    """Names of the families of the given kinds."""
    return frozenset(f.name for f in FAMILIES.values() if f.kind in kinds)
