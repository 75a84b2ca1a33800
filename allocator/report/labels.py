"""The words of the reports, in Japanese and English: column headers, statuses, ranks."""

from __future__ import annotations

import re

from allocator.formatting import cho_text

MARGINAL_RE = re.compile(r"^marginal_rank(\d+)_per_100_oku_yen$")
"""Summary columns: value of rank k bought by 100 億円 more cap in that fiscal year."""


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def md(text: object) -> str:
    """Text from the plan as inert Markdown (no links, HTML, emphasis or table breaks)."""
    s = " ".join(str(text).split())
    return _MD_SPECIAL.sub(r"\\\1", s)


def t(ja: str, en: str, lang: str) -> str:
    """``ja`` or ``en`` by ``lang``."""
    return ja if lang == "ja" else en


COLUMN_LABELS: dict[str, tuple[str, str]] = {
    # column: (ja, en)
    "fiscal_year": ("年度", "Fiscal year"),
    "scope": ("集計単位", "Scope"),
    "level": ("水準", "Level"),
    "subject": ("対象", "Subject"),
    "fixed": ("実績で固定", "Fixed to actuals"),
    "planned_oku_yen": ("計画(億円)", "Planned (億円)"),
    "executed_oku_yen": ("執行(億円)", "Executed (億円)"),
    "replanned_oku_yen": ("再計画(億円)", "Re-planned (億円)"),
    "change_oku_yen": ("増減(億円)", "Change (億円)"),
    "moved_oku_yen": ("動いた額(億円)", "Moved (億円)"),
    "execution_rate": ("執行率", "Execution rate"),
    "reasons": ("理由コード", "Reason codes"),
    "reason_ja": ("理由", "Why (Japanese)"),
    "reason_en": ("理由(英語)", "Why"),
    "indicator": ("指標", "Indicator"),
    "unit_ja": ("単位", "Unit (Japanese)"),
    "unit_en": ("単位(英語)", "Unit"),
    "delivered": ("当年度の納入", "Delivered in the year"),
    "target": ("目標", "Target"),
    "target_rule": ("目標は制約", "Target is a rule"),
    "target_met": ("目標達成", "Target met"),
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
    "contract_oku_yen": ("契約額(億円)", "Contracted (億円)"),
    "payment_oku_yen": ("支払額(億円)", "Paid (億円)"),
    "obligations_oku_yen": ("既定分の歳出化経費(億円)", "Owed on earlier contracts (億円)"),
    "defense_contract_oku_yen": ("新規契約・防衛(億円)", "New contracts, defence (億円)"),
    "other_contract_oku_yen": ("新規契約・その他(億円)", "New contracts, other (億円)"),
    "in_horizon": ("計画期間内", "In the horizon"),
    "new_contracts_oku_yen": ("新規契約額(億円)", "New contracts (億円)"),
    "new_obligations_oku_yen": ("新規後年度負担(億円)", "New later-year obligations (億円)"),
    "paid_on_new_contracts_oku_yen": ("歳出・新規分(億円)", "Paid on new contracts (億円)"),
    "paid_on_earlier_obligations_oku_yen": (
        "歳出・既定分(億円)",
        "Paid on earlier obligations (億円)",
    ),
    "payments_total_oku_yen": ("歳出合計(億円)", "Payments, total (億円)"),
    "outstanding_end_oku_yen": ("年度末の後年度負担残高(億円)", "Outstanding at year end (億円)"),
    "owed_past_horizon_oku_yen": (
        "うち計画期間後の支払(億円)",
        "Of which due after the horizon (億円)",
    ),
    "basis": ("計上ベース", "Basis"),
    "contract_pattern": ("支払パターン", "Payment pattern"),
    "vehicles": ("財源", "Vehicles"),
    "contract_total_oku_yen": ("契約額合計(億円)", "Contracted in total (億円)"),
    "paid_past_horizon_oku_yen": ("計画期間後の支払(億円)", "Paid after the horizon (億円)"),
    "order": ("譲る順", "Gives way"),
    "floor": ("下限の種類", "Floor"),
    "id": ("ID", "ID"),
    "name": ("名称", "Name"),
    "first_year": ("開始年度", "First FY"),
    "last_year": ("終了年度", "Last FY"),
    "pooled": ("複数年度の合計", "Pooled over years"),
    "floor_oku_yen": ("下限(億円)", "Floor (億円)"),
    "achieved_oku_yen": ("達成(億円)", "Reached (億円)"),
    "shortfall_oku_yen": ("不足(億円)", "Short by (億円)"),
}

VEHICLE_COLUMN_RE = re.compile(r"^paid_(\w+?)_oku_yen$")
"""schedule.csv columns of what each budget vehicle pays."""

YES_NO = {"ja": {"yes": "はい", "no": "いいえ"}, "en": {"yes": "yes", "no": "no"}}

STATUS_WORDS = {
    "optimal": ("最適", "optimal"),
    "feasible": ("実行可能(最適性は未証明)", "feasible (not proven optimal)"),
    "infeasible": ("実行不可能", "infeasible"),
    "no_solution": ("解なし(時間切れ)", "no solution (time limit)"),
    "not_solved": ("未求解", "not solved"),
    "not_proven": ("最適性未証明", "not proven optimal"),
    "time_limit": ("時間制限で停止", "stopped at the time limit"),
    "skipped": ("未実施(時間切れ)", "skipped (time limit)"),
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
        v = VEHICLE_COLUMN_RE.match(column)
        if v and column not in COLUMN_LABELS:
            return f"支払・{v.group(1)}(億円)" if lang == "ja" else f"Paid by {v.group(1)} (億円)"
        return column
    return pair[0] if lang == "ja" else pair[1]


def basis_word(basis: str, lang: str) -> str:
    """``payment`` -> 歳出ベース / payments; ``contract`` -> 契約ベース / contracts."""
    words = {"payment": ("歳出ベース", "payments"), "contract": ("契約ベース", "contracts")}
    pair = words.get(basis, (basis, basis))
    return pair[0] if lang == "ja" else pair[1]


def status_word(status: str, lang: str) -> str:
    pair = STATUS_WORDS.get(status)
    if pair is None:
        return status
    return pair[0] if lang == "ja" else pair[1]


def rank_label(rank: int, lang: str) -> str:
    return f"順位{rank}" if lang == "ja" else f"rank {rank}"


TIEBREAK_WORDS = {
    "level": (
        "level(最も平準な経路): 新規支出の合計、防衛費のGDP比、各事業の配分の年度間の変化"
        "(とその最大値)が最も小さい配分",
        "level (the smoothest path): the smallest year-to-year changes — and largest change — "
        "of total new spending, of the defence ratio to GDP and of each program's money",
    ),
    "early": (
        "early(早期): 規則が許す限り早い年度に資金を配分",
        "early: money in the earliest years the rules allow",
    ),
    "reference": (
        "reference(基準の実行結果に最も近い配分): 動かす億円が最も少ない配分",
        "reference (closest to an approved run): the fewest 億円 moved",
    ),
}


def limit_phrase(rule: str, key: str, name: str, limit: int, cap_text: str, lang: str) -> str:
    """A cap or ceiling in words: ``the 2% GDP-ratio cap``, ``the 6.0 兆円 yearly ceiling on new
    spending`` …"""
    ja = lang == "ja"
    money = cho_text(limit, lang)
    if rule == "gdp_cap":
        return f"GDP比上限 {cap_text}" if ja else f"the {cap_text} GDP-ratio cap"
    if rule == "fiscal_year_cap":
        return (
            f"新規支出の年間上限 {money}" if ja else f"the {money} yearly ceiling on new spending"
        )
    if rule == "fiscal_total_cap":
        return (
            f"計画期間の新規支出の上限 {money}"
            if ja
            else f"the {money} ceiling on new spending over the horizon"
        )
    kind = {"area_high": ("分野", "area"), "phase_high": ("期間区分", "phase")}.get(
        rule, ("集計", "bound")
    )
    return (
        f"{kind[0]} {key}({name})の上限 {money}"
        if ja
        else f"the {money} ceiling of {kind[1]} {key} ({name})"
    )
