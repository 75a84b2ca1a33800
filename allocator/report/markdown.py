"""Reports people read, made from a run folder alone: ``report.md``, ``report.xlsx``, charts.

:func:`write_reports` reads only the files of a run folder (``plan.json``, the CSV files,
``inputs/plan.toml`` for area names, ``explanation.txt``), so it works on any run folder,
including the complete hidden folder before the pipeline renames it into place. It writes

- ``report.md``: a one-page summary for a director (headline, what is and is not funded,
  binding years, what 0.1 % of GDP more would buy, links to the rest);
- ``report.xlsx`` (:mod:`allocator.report.xlsx`): summary, schedule pivot, programs, ranks,
  marginal values and run information, with native Excel charts;
- ``charts/allocation_by_area.png`` and ``charts/funding_by_rank.png``
  (:mod:`allocator.report.charts`).

An infeasible run folder (no ``summary.csv``) gets ``report.md`` only, quoting
``explanation.txt``. Every file is deterministic for a given run folder: no timestamps in the
PNG files, and the workbook's dates are taken from ``plan.json``'s ``created_at``.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from allocator import OKU_PER_CHO
from allocator.run.results import _DANGEROUS_START

LANGS = ("ja", "en")
CHARTS_DIR = "charts"
AREA_CHART = "allocation_by_area.png"
RANK_CHART = "funding_by_rank.png"
WORKBOOK = "report.xlsx"
REPORT_MD = "report.md"

MARGINAL_RE = re.compile(r"^marginal_rank(\d+)_per_100_oku_yen$")
"""Summary columns: value of rank k bought by 100 億円 more cap in that fiscal year."""

TEXT_COLUMNS = frozenset(
    {
        "program_id",
        "name_ja",
        "name_en",
        "area",
        "areas",
        "phase",
        "funded",
        "mandatory",
        "counts_toward_defense",
        "status",
    }
)
"""CSV columns always read as text (an id such as ``007`` must not become a number)."""

RATIO_COLUMNS = frozenset({"cap_ratio", "gdp_ratio", "share_funded", "gap", "cap_gdp_ratio"})


# ---------------------------------------------------------------------------------------------
# words


COLUMN_LABELS: dict[str, tuple[str, str]] = {
    # column: (ja, en)
    "fiscal_year": ("年度", "Fiscal year"),
    "gdp_oku_yen": ("名目GDP(億円)", "GDP (億円)"),
    "cap_ratio": ("上限(GDP比)", "Cap (ratio to GDP)"),
    "cap_gdp_ratio": ("上限の当年度GDP比", "Cap as ratio to the year's GDP"),
    "cap_oku_yen": ("上限額(億円)", "Cap (億円)"),
    "baseline_oku_yen": ("既存防衛予算(億円)", "Baseline defence (億円)"),
    "defense_alloc_oku_yen": ("新規・防衛(億円)", "New defence (億円)"),
    "other_alloc_oku_yen": ("新規・その他(億円)", "New other (億円)"),
    "defense_total_oku_yen": ("防衛費合計(億円)", "Defence total (億円)"),
    "gdp_ratio": ("防衛費のGDP比", "Defence ratio to GDP"),
    "headroom_oku_yen": ("上限までの余裕(億円)", "Headroom to cap (億円)"),
    "new_total_oku_yen": ("新規合計(億円)", "New total (億円)"),
    "fiscal_ceiling_oku_yen": ("新規支出の年間上限(億円)", "Fiscal ceiling (億円)"),
    "program_id": ("事業ID", "Program ID"),
    "name_ja": ("名称(日本語)", "Name (Japanese)"),
    "name_en": ("名称(英語)", "Name (English)"),
    "area": ("分野", "Area"),
    "areas": ("分野", "Areas"),
    "phase": ("期間区分", "Phase"),
    "rank": ("優先順位", "Rank"),
    "funded": ("実施", "Funded"),
    "total_oku_yen": ("配分合計(億円)", "Total (億円)"),
    "low_oku_yen": ("下限(億円)", "Low (億円)"),
    "high_oku_yen": ("上限(億円)", "High (億円)"),
    "first_funded_year": ("配分初年度", "First funded FY"),
    "last_funded_year": ("配分最終年度", "Last funded FY"),
    "window_first_year": ("実施可能期間・開始", "Window first FY"),
    "window_last_year": ("実施可能期間・終了", "Window last FY"),
    "mandatory": ("必須", "Mandatory"),
    "programs": ("事業数", "Programs"),
    "programs_funded": ("実施事業数", "Programs funded"),
    "funded_oku_yen": ("手当て額(億円)", "Funded (億円)"),
    "sum_of_highs_oku_yen": ("上限額の合計(億円)", "Sum of highs (億円)"),
    "share_funded": ("充足率", "Share funded"),
    "value": ("目的関数値", "Value"),
    "best_bound": ("最良限界値", "Best bound"),
    "gap": ("ギャップ", "Gap"),
    "status": ("状態", "Status"),
    "amount_oku_yen": ("配分額(億円)", "Amount (億円)"),
    "units": ("数量", "Units"),
    "counts_toward_defense": ("防衛費に算入", "Counts toward defence"),
}

YES_NO = {"ja": {"yes": "はい", "no": "いいえ"}, "en": {"yes": "yes", "no": "no"}}

STATUS_WORDS = {
    "optimal": ("最適", "optimal"),
    "feasible": ("実行可能(最適性は未証明)", "feasible (not proven optimal)"),
    "infeasible": ("実行不可能", "infeasible"),
    "no_solution": ("解なし(時間切れ)", "no solution (time limit)"),
    "not_solved": ("未求解", "not solved"),
}


def column_label(column: str, lang: str) -> str:
    """The header of ``column`` in ``lang``; unknown (future) columns keep their name."""
    m = MARGINAL_RE.match(column)
    if m:
        k = m.group(1)
        return (
            f"順位{k}の限界価値(上限+100億円あたり)"
            if lang == "ja"
            else f"Rank {k} marginal value (per +100 億円 cap)"
        )
    pair = COLUMN_LABELS.get(column)
    if pair is None:
        return column
    return pair[0] if lang == "ja" else pair[1]


def status_word(status: str, lang: str) -> str:
    pair = STATUS_WORDS.get(status)
    if pair is None:
        return status
    return pair[0] if lang == "ja" else pair[1]


def rank_label(rank: int, lang: str) -> str:
    return f"順位{rank}" if lang == "ja" else f"rank {rank}"


def fy(year: int, lang: str) -> str:
    return f"{year}年度" if lang == "ja" else f"FY{year}"


def cho_text(oku: float, lang: str) -> str:
    """億円 as 兆円 with one decimal: ``400000`` -> ``40.0兆円`` / ``40.0 兆円``."""
    v = f"{oku / OKU_PER_CHO:,.1f}"
    return f"{v}兆円" if lang == "ja" else f"{v} 兆円"


def pct_text(ratio: float, decimals: int = 1) -> str:
    return f"{ratio * 100:.{decimals}f}%"


def year_ranges(years: list[int], lang: str) -> str:
    """``[2026, 2027, 2028, 2031]`` -> ``2026–2028年度, 2031年度``."""
    parts: list[str] = []
    ys = sorted(set(years))
    i = 0
    while i < len(ys):
        j = i
        while j + 1 < len(ys) and ys[j + 1] == ys[j] + 1:
            j += 1
        if j == i:
            parts.append(fy(ys[i], lang))
        elif lang == "ja":
            parts.append(f"{ys[i]}–{ys[j]}年度")
        else:
            parts.append(f"FY{ys[i]}–{ys[j]}")
        i = j + 1
    return ", ".join(parts)


# ---------------------------------------------------------------------------------------------
# reading a run folder


def unneutralise(value: str) -> str:
    """Undo :func:`allocator.results.neutralise_cell`: ``'=x`` -> ``=x`` (the workbook keeps
    such text as text by its own means, and Markdown shows it as written)."""
    if len(value) >= 2 and value[0] == "'" and value[1:].startswith(_DANGEROUS_START):
        return value[1:]
    return value


def read_run_csv(path: Path) -> pd.DataFrame:
    """A run-folder CSV: text columns as text, the others as Int64 or float where they parse."""
    df = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    for col in df.columns:
        df[col] = df[col].map(unneutralise)
        if col in TEXT_COLUMNS:
            continue
        texts = df[col]
        filled = texts[texts != ""]
        nums = pd.to_numeric(filled, errors="coerce")
        if len(filled) == 0 or nums.isna().any():
            continue
        integral = not filled.str.contains(r"[.eE]", regex=True).any() and col not in (
            RATIO_COLUMNS
        )
        full = pd.to_numeric(texts.replace("", None), errors="coerce")
        df[col] = full.astype("Int64") if integral else full.astype(float)
    return df


@dataclass
class RunData:
    """Everything the reports need, read from one run folder."""

    folder: Path
    record: dict[str, Any]
    summary: pd.DataFrame | None = None
    schedule: pd.DataFrame | None = None
    programs: pd.DataFrame | None = None
    ranks: pd.DataFrame | None = None
    area_names: dict[str, tuple[str, str]] = field(default_factory=dict)
    explanation: str | None = None

    @property
    def has_plan(self) -> bool:
        return self.summary is not None

    @property
    def plan_info(self) -> dict[str, Any]:
        info = self.record.get("plan")
        return info if isinstance(info, dict) else {}

    @property
    def cap_text(self) -> str:
        return str(self.plan_info.get("cap", "?"))

    def cap_phrase(self, lang: str) -> str:
        """``GDP比 2%`` / ``2% of GDP``, or with the base year when the cap has a fixed base."""
        info = self.plan_info
        year = info.get("cap_base_year")
        if info.get("cap_base") == "fixed_year" and year:
            return (
                f"{year}年度GDPの {self.cap_text}"
                if lang == "ja"
                else f"{self.cap_text} of FY{year} GDP"
            )
        return f"GDP比 {self.cap_text}" if lang == "ja" else f"{self.cap_text} of GDP"

    @property
    def status(self) -> str:
        return str(self.record.get("status", "unknown"))

    def title(self, lang: str) -> str:
        info = self.plan_info
        t = info.get("title_ja" if lang == "ja" else "title_en") or info.get("title_en")
        return str(t or info.get("name") or self.folder.name)

    def area_name(self, area: str, lang: str) -> str:
        pair = self.area_names.get(area)
        if not pair:
            return ""
        return pair[0] if lang == "ja" else pair[1]

    def marginal_columns(self) -> list[tuple[int, str]]:
        """``[(rank, column)]`` of the marginal-value columns in summary.csv, by rank."""
        if self.summary is None:
            return []
        found = []
        for col in self.summary.columns:
            m = MARGINAL_RE.match(str(col))
            if m:
                found.append((int(m.group(1)), str(col)))
        return sorted(found)

    def binding_years(self) -> list[int]:
        if self.summary is None or "headroom_oku_yen" not in self.summary:
            return []
        s = self.summary
        return [int(y) for y, h in zip(s.fiscal_year, s.headroom_oku_yen, strict=True) if h == 0]

    def cap_gdp_ratio(self) -> pd.Series:
        """The cap as a ratio to each year's GDP (differs from cap_ratio for a fixed base)."""
        assert self.summary is not None
        s = self.summary
        return s.cap_oku_yen.astype(float) / s.gdp_oku_yen.astype(float)


def _area_names(folder: Path) -> dict[str, tuple[str, str]]:
    path = folder / "inputs" / "plan.toml"
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    out: dict[str, tuple[str, str]] = {}
    for a in doc.get("areas", []) if isinstance(doc.get("areas"), list) else []:
        if isinstance(a, dict) and "id" in a:
            out[str(a["id"])] = (str(a.get("name_ja", "")), str(a.get("name_en", "")))
    return out


def read_run(folder: Path) -> RunData:
    """Read a run folder. Raises FileNotFoundError if it has no ``plan.json``."""
    folder = Path(folder)
    record_path = folder / "plan.json"
    if not record_path.is_file():
        raise FileNotFoundError(f"{folder}: no plan.json — not a run folder")
    record = json.loads(record_path.read_text(encoding="utf-8"))
    data = RunData(folder=folder, record=record, area_names=_area_names(folder))
    expl = folder / "explanation.txt"
    if expl.is_file():
        data.explanation = expl.read_text(encoding="utf-8").rstrip("\n")
    if (folder / "summary.csv").is_file():
        data.summary = read_run_csv(folder / "summary.csv")
        for name in ("schedule", "programs", "ranks"):
            path = folder / f"{name}.csv"
            if path.is_file():
                setattr(data, name, read_run_csv(path))
    return data


# ---------------------------------------------------------------------------------------------
# report.md


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def md(text: Any) -> str:
    """Text from the plan as inert Markdown (no links, HTML, emphasis or table breaks)."""
    s = " ".join(str(text).split())
    return _MD_SPECIAL.sub(r"\\\1", s)


def code(text: Any) -> str:
    """Text from the plan as a Markdown code span (identifiers such as ``past_projection``)."""
    return "`" + " ".join(str(text).split()).replace("`", "'") + "`"


def _fence(text: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _verification_line(data: RunData, lang: str) -> str:
    v = data.record.get("verification")
    if not isinstance(v, dict):
        return "未検証(plan.json に検証結果がありません)" if lang == "ja" else "not verified"
    checks = sum(int(n) for n in (v.get("checked") or {}).values())
    bad = len(v.get("violations") or [])
    if v.get("ok"):
        if lang == "ja":
            return f"独立検証で全ルールを満たす({checks:,}件を確認、違反0)"
        return f"every rule holds, checked independently ({checks:,} checks, 0 violations)"
    if lang == "ja":
        return f"**検証で違反あり**({checks:,}件を確認、違反{bad}件)— 計画として使えません"
    return f"**verification FAILED** ({checks:,} checks, {bad} violations) — do not use"


def _status_line(data: RunData, lang: str) -> str:
    if data.status == "optimal":
        return (
            "最適 — すべての優先順位で最適性を証明済み"
            if lang == "ja"
            else "optimal — every priority rank is proven optimal"
        )
    gaps = []
    for s in data.record.get("stages") or []:
        if isinstance(s, dict) and s.get("rank") is not None and s.get("gap"):
            gaps.append(f"{rank_label(int(s['rank']), lang)} {pct_text(float(s['gap']), 2)}")
    gap_text = ", ".join(gaps) if gaps else "—"
    if lang == "ja":
        return f"{status_word(data.status, lang)} — 時間制限で停止。ギャップ: {gap_text}"
    return f"{status_word(data.status, lang)} — stopped by the time limit; gap: {gap_text}"


def _cap_line(data: RunData, lang: str) -> str:
    info = data.plan_info
    case = code(info.get("gdp_case", "?"))
    base_year = info.get("cap_base_year")
    fixed = info.get("cap_base") == "fixed_year" and base_year
    if lang == "ja":
        base = f"{base_year}年度のGDP" if fixed else "各年度のGDP"
        return f"防衛費(既存予算+新規)は{base}の {data.cap_text} 以内(GDPケース: {case})"
    base = f"FY{base_year} GDP" if fixed else "each year's GDP"
    return f"defence spending (baseline + new) at most {data.cap_text} of {base} (GDP case: {case})"


def _horizon(data: RunData, lang: str) -> str:
    info = data.plan_info
    first, years = info.get("first_year"), info.get("years")
    name = code(info.get("name", data.folder.name))
    if isinstance(first, int) and isinstance(years, int):
        span = (
            f"{first}–{first + years - 1}年度({years}年度)"
            if lang == "ja"
            else f"FY{first}–{first + years - 1} ({years} years)"
        )
    else:
        span = "?"
    return f"計画 {name}、{span}" if lang == "ja" else f"Plan {name}, {span}"


def _infeasible_md(data: RunData, lang: str) -> str:
    ja = lang == "ja"
    lines = [
        f"# {md(data.title(lang))} — {'配分結果の要約' if ja else 'allocation summary'}",
        "",
        _horizon(data, lang) + ("。" if ja else "."),
        "",
        f"- **{'上限' if ja else 'Cap'}**: {_cap_line(data, lang)}",
        f"- **{'解の状態' if ja else 'Status'}**: {status_word(data.status, lang)}",
        "",
    ]
    if data.status == "infeasible":
        lines.append(
            "**実行可能な計画はありません。** すべてのルールを同時に満たす配分は存在しません。"
            if ja
            else "**No plan exists (infeasible).** No schedule satisfies every rule at once."
        )
    else:
        lines.append(
            "**この実行には配分がありません。**" if ja else "**This run has no schedule.**"
        )
    lines.append("")
    if data.explanation:
        lines += [
            "## 理由と対処(explanation.txt)"
            if ja
            else "## Why, and what would fix it (explanation.txt)",
            "",
        ]
        fence = _fence(data.explanation)
        lines += [fence + "text", data.explanation, fence]
    else:
        lines.append("explanation.txt がありません。" if ja else "There is no explanation.txt.")
    return "\n".join(lines) + "\n"


def _num(v: float) -> str:
    if v == 0:
        return "0"
    return f"{v:,.0f}" if abs(v) >= 10 else f"{v:,.2f}"


def _marginal_md(data: RunData, lang: str, binding: list[int]) -> list[str]:
    ja = lang == "ja"
    cols = data.marginal_columns()
    if not cols:
        return [
            "この実行フォルダには限界価値(summary.csv の `marginal_rank{k}_per_100_oku_yen` 列)"
            "がないため、見積もれません。"
            if ja
            else "Not available: this run folder has no marginal values (the "
            "`marginal_rank{k}_per_100_oku_yen` columns of summary.csv)."
        ]
    if not binding:
        return [
            "どの年度も上限に達していないため、上限を引き上げても配分は増えません。"
            if ja
            else "No year is at the cap, so a higher cap buys nothing."
        ]
    assert data.summary is not None
    s = data.summary.set_index("fiscal_year")
    rows: list[tuple[int, int, dict[int, float | None]]] = []
    for y in binding:
        step = float(s.at[y, "gdp_oku_yen"]) * 0.001
        vals: dict[int, float | None] = {}
        for k, col in cols:
            v = s.at[y, col]
            vals[k] = None if pd.isna(v) else float(v) / 100 * step
        rows.append((y, round(step), vals))
    used = [k for k, _ in cols if any((r[2][k] or 0) != 0 for r in rows)]
    out = [
        (
            "各年度の上限をGDPの0.1%引き上げたとき、各順位の価値がどれだけ増えるか"
            "(限界価値による線形の見積もり。価値は明示的な価値のない順位では手当て額の億円。"
            "大きな変更では小さくなりえます):"
            if ja
            else "How much each rank's value rises if that year's cap is raised by 0.1% of "
            "GDP (a linear estimate from the marginal values; for a rank without explicit "
            "values its value is 億円 funded; larger changes may buy less):"
        ),
        "",
    ]
    if not used:
        out.append(
            "どの順位の価値も増えません(上限以外のルールが配分を制約しています)。"
            if ja
            else "No rank gains anything: rules other than the cap limit the schedule."
        )
        return out
    head = ["年度" if ja else "FY", "+0.1% (億円)", *(rank_label(k, lang) for k in used)]
    out += ["| " + " | ".join(head) + " |", "|" + "---:|" * len(head)]
    for y, step, vals in rows:
        cells = [fy(y, lang), f"{step:,}"]
        for k in used:
            v = vals[k]
            cells.append("—" if v is None else ("+" + _num(v) if v > 0 else _num(v)))
        out.append("| " + " | ".join(cells) + " |")
    return out


def report_markdown(data: RunData, lang: str) -> str:
    """The text of ``report.md`` for ``data`` in ``lang``."""
    if not data.has_plan:
        return _infeasible_md(data, lang)
    assert data.summary is not None
    ja = lang == "ja"
    s = data.summary
    lines = [
        f"# {md(data.title(lang))} — {'配分結果の要約' if ja else 'allocation summary'}",
        "",
    ]
    n_prog = len(data.programs) if data.programs is not None else None
    tail = (
        (f"、事業{n_prog}件。" if ja else f", {n_prog} programs.")
        if n_prog is not None
        else ("。" if ja else ".")
    )
    lines += [_horizon(data, lang) + tail, ""]

    new_def = float(s.defense_alloc_oku_yen.sum())
    new_other = float(s.other_alloc_oku_yen.sum())
    ratios = s.gdp_ratio.astype(float)
    peak = float(ratios.max())
    peak_years = [int(y) for y, r in zip(s.fiscal_year, ratios, strict=True) if r == peak]
    binding = data.binding_years()
    lines += [
        "## 結論" if ja else "## Headline",
        "",
        f"- **{'上限' if ja else 'Cap'}**: {_cap_line(data, lang)}",
        f"- **{'解の状態' if ja else 'Status'}**: {_status_line(data, lang)}",
        f"- **{'検証' if ja else 'Verification'}**: {_verification_line(data, lang)}",
        (
            f"- **新規支出の合計**: 防衛 {cho_text(new_def, lang)}、その他(防衛費に算入しない分野)"
            f" {cho_text(new_other, lang)}"
            if ja
            else f"- **New spending over the horizon**: defence {cho_text(new_def, lang)}, other "
            f"(not counted toward the cap) {cho_text(new_other, lang)} (1 兆円 = ¥1 trillion)"
        ),
        (
            f"- **GDP比のピーク**: {pct_text(peak, 3)}({year_ranges(peak_years, lang)})"
            if ja
            else f"- **Peak ratio to GDP**: {pct_text(peak, 3)} ({year_ranges(peak_years, lang)})"
        ),
        "",
    ]

    # funded and not funded
    lines += [
        "## 何が手当てされ、何がされないか" if ja else "## What is funded and what is not",
        "",
    ]
    if data.ranks is not None and len(data.ranks):
        name_col = "name_ja" if ja else "name_en"
        head = (
            ["順位", "名称", "手当て", "上限額の合計", "充足率", "実施事業"]
            if ja
            else ["Rank", "Name", "Funded", "Sum of highs", "Share", "Programs funded"]
        )
        lines += ["| " + " | ".join(head) + " |", "|---:|---|---:|---:|---:|---:|"]
        for r in data.ranks.itertuples(index=False):
            share = getattr(r, "share_funded", None)
            share_text = "—" if share is None or pd.isna(share) else pct_text(float(share))
            funded = cho_text(float(r.funded_oku_yen), lang)
            highs = cho_text(float(r.sum_of_highs_oku_yen), lang)
            lines.append(
                f"| {r.rank} | {md(getattr(r, name_col))} | {funded} | {highs} | {share_text} | "
                f"{r.programs_funded}/{r.programs} |"
            )
        lines.append("")
    if data.programs is not None:
        unfunded = data.programs[data.programs.funded != "yes"]
        name_col = "name_ja" if ja else "name_en"
        if len(unfunded):
            lines.append(
                f"手当てされない事業({len(unfunded)}件):"
                if ja
                else f"Programs not funded ({len(unfunded)}):"
            )
            lines.append("")
            for p in unfunded.itertuples(index=False):
                high = cho_text(float(p.high_oku_yen), lang)
                rk = rank_label(int(p.rank), lang)
                where = (
                    f"{rk}、分野{md(p.area)}、上限 {high}"
                    if ja
                    else f"{rk}, area {md(p.area)}, high {high}"
                )
                lines.append(f"- {md(p.program_id)} {md(getattr(p, name_col))} — {where}")
        else:
            lines.append("すべての事業が実施されます。" if ja else "Every program is funded.")
        lines.append("")

    # binding years
    lines += ["## 上限に達している年度" if ja else "## Years at the cap", ""]
    if binding:
        lines.append(
            f"{year_ranges(binding, lang)}({len(binding)}年度):防衛費が上限いっぱいで余裕は0。"
            "これらの年度では上限が配分を制約しています。"
            if ja
            else f"{year_ranges(binding, lang)} ({len(binding)} years): defence spending is "
            "exactly at the cap (no headroom); the cap limits the schedule in these years."
        )
    else:
        lines.append("どの年度も上限に達していません。" if ja else "No year is at the cap.")
    lines.append("")

    # marginal value
    lines += [
        "## GDP比をあと0.1%引き上げると" if ja else "## What one more 0.1% of GDP would buy",
        "",
        *_marginal_md(data, lang, binding),
        "",
    ]

    # links
    lines += [
        "## 図表" if ja else "## Charts and tables",
        "",
        f"- {'分野別の新規配分とGDP比' if ja else 'Allocation by area and ratio to GDP'}: "
        f"[{CHARTS_DIR}/{AREA_CHART}]({CHARTS_DIR}/{AREA_CHART})",
        f"- {'優先順位別の充足' if ja else 'Funding by priority rank'}: "
        f"[{CHARTS_DIR}/{RANK_CHART}]({CHARTS_DIR}/{RANK_CHART})",
        f"- {'詳細な表(Excel)' if ja else 'All tables (Excel)'}: [{WORKBOOK}]({WORKBOOK})",
    ]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# entry point


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``path`` through a temporary sibling, so a reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_reports(run_dir: Path, lang: str = "ja") -> list[Path]:
    """Write ``report.md`` and, when the run has a schedule, ``report.xlsx`` and the charts.

    Reads only the files of ``run_dir``. Returns the paths written.

    Raises
    ------
    ValueError
        If ``lang`` is not ``"ja"`` or ``"en"``.
    FileNotFoundError
        If ``run_dir`` has no ``plan.json``.
    """
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, not {lang!r}")
    run_dir = Path(run_dir)
    data = read_run(run_dir)
    written: list[Path] = []
    if data.has_plan:
        from allocator.report.charts import area_chart, rank_chart
        from allocator.report.xlsx import write_workbook

        xlsx = run_dir / WORKBOOK
        write_workbook(data, xlsx, lang)
        written.append(xlsx)
        charts = run_dir / CHARTS_DIR
        charts.mkdir(exist_ok=True)
        area_chart(data, charts / AREA_CHART, lang)
        rank_chart(data, charts / RANK_CHART, lang)
        written += [charts / AREA_CHART, charts / RANK_CHART]
    report = run_dir / REPORT_MD
    write_bytes_atomic(report, report_markdown(data, lang).encode("utf-8"))
    written.append(report)
    return written
