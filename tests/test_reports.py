"""Reports made from real run folders (the real pipeline): workbook, charts and report.md."""

from __future__ import annotations

import csv
import json
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import PLAIN

from allocator.api import allocate
from allocator.formatting import year_ranges
from allocator.plan.cap import parse_cap
from allocator.plan.loading import Overrides
from allocator.report import write_reports
from allocator.report.markdown import md
from allocator.report.plotting import pyplot
from allocator.run.csvfile import read_run_csv, write_csv
from allocator.run.record import RecordError
from allocator.run.verify import verify_run

DATA = PLAIN  # the shipped plan without contract data: see tests/plainplan.py
INJECTED = '=HYPERLINK("http://x","click")'
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

SHEETS = {
    "ja": [
        "概要",
        "配分表",
        "事業",
        "優先順位",
        "下限の不足",
        "配分の選び方と上限",
        "指標",
        "限界価値",
        "実行情報",
    ],
    "en": [
        "Summary",
        "Schedule",
        "Programs",
        "Ranks",
        "Shortfalls",
        "Choice and limits",
        "Indicators",
        "Marginal values",
        "Run info",
    ],
}


def run(plan: Path, out: Path, cap: str, floors: str | None = None) -> Path:
    allocate(plan, Overrides(cap=parse_cap(cap), floors=floors), out=out)
    return out


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped plan at 2 % of GDP: a complete run folder, reports not yet written."""
    return run(DATA, tmp_path_factory.mktemp("rep") / "run", "2%")


@pytest.fixture(scope="module")
def infeasible(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run(DATA, tmp_path_factory.mktemp("rep") / "inf", "1.8%", floors="hard")


@pytest.fixture(scope="module")
def injected(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped plan with a funded program named like an Excel formula."""
    base = tmp_path_factory.mktemp("rep")
    plan = base / "plan"
    shutil.copytree(DATA, plan)
    path = plan / "programs.csv"
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    head = rows[0]
    for r in rows[1:]:
        if r and r[0] == "A01":
            r[head.index("name_en")] = INJECTED
            r[head.index("name_ja")] = "@SUM(1+1)"
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(rows)
    return run(plan, base / "run", "2%")


def copy_run(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    return dest


@pytest.fixture(scope="module", params=["ja", "en"])
def reported(
    request: pytest.FixtureRequest, shipped: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, str, list[Path]]:
    lang = request.param
    folder = copy_run(shipped, tmp_path_factory.mktemp(f"rep-{lang}") / "run")
    return folder, lang, write_reports(folder, lang)


def csv_of(folder: Path, name: str) -> pd.DataFrame:
    return read_run_csv(folder / name)


# ---------------------------------------------------------------------------------------------
# workbook


def test_files_written(reported: tuple[Path, str, list[Path]]) -> None:
    folder, lang, written = reported
    names = sorted(p.relative_to(folder).as_posix() for p in written)
    assert names == [
        "charts/allocation_by_area.png",
        "charts/funding_by_rank.png",
        "charts/indicators.png",  # the shipped plan maps a seed §8 indicator
        "report.md",
        "report.xlsx",
    ]
    assert all(p.is_file() and p.stat().st_size > 0 for p in written)
    assert not list(folder.rglob(".*tmp*")), "no temporary file is left behind"
    assert verify_run(folder, sealed=False).ok, "the reports do not disturb the run's files"
    report = verify_run(folder)  # the run was written in Japanese: regenerating it changes nothing
    changed = {v.subject for v in report.violations}
    if lang == "ja":
        assert report.ok, report.violations
    else:  # reports in another language are a change the seal sees, and nothing else is
        assert {v.rule for v in report.violations} == {"digest"}
        assert changed <= set(names) and "report.md" in changed


def test_workbook_sheets_charts_formats(reported: tuple[Path, str, list[Path]]) -> None:
    folder, lang, _ = reported
    wb = openpyxl.load_workbook(folder / "report.xlsx")
    assert wb.sheetnames == SHEETS[lang]
    summary, schedule, programs, ranks, _short, _choice, _indicators, marginal, info = (
        wb[n] for n in SHEETS[lang]
    )
    # native charts: combined bar + line on the summary, bar chart on ranks
    assert len(summary._charts) == 1
    assert len(ranks._charts) == 1
    # frozen panes
    assert summary.freeze_panes == "A2"
    assert schedule.freeze_panes == "F2"
    assert programs.freeze_panes and ranks.freeze_panes and info.freeze_panes
    # headers in the chosen language
    assert summary["A1"].value == ("年度" if lang == "ja" else "Fiscal year")
    # number formats: amounts #,##0, ratios 0.000% written as numbers
    head = {c.value: c.column for c in summary[1]}
    gdp_col = head["名目GDP(億円)" if lang == "ja" else "GDP (億円)"]
    ratio_col = head["防衛費のGDP比" if lang == "ja" else "Defence ratio to GDP"]
    gdp = summary.cell(row=2, column=gdp_col)
    ratio = summary.cell(row=2, column=ratio_col)
    assert gdp.number_format == "#,##0" and isinstance(gdp.value, int)
    assert ratio.number_format == "0.000%" and isinstance(ratio.value, float)
    s = csv_of(folder, "summary.csv")
    assert gdp.value == s.gdp_oku_yen[0]
    assert ratio.value == pytest.approx(float(s.gdp_ratio[0]))
    # the schedule's amounts are formatted too
    assert schedule["F2"].number_format == "#,##0"
    # the re-solve at 0.1 % of GDP more first, then one row per fiscal year under the header
    assert "2.1%" in str(marginal["A1"].value)
    first = [c.value for c in marginal["A"]]
    head = first.index("年度" if lang == "ja" else "Fiscal year") + 1
    years = [r[0] for r in marginal.iter_rows(min_row=head + 1, values_only=True) if r[0]]
    assert [int(str(y)[:4]) for y in years[: len(s)]] == list(s.fiscal_year)
    # run info: status and verification
    values = [str(r[1]) for r in info.iter_rows(min_row=2, values_only=True)]
    assert "HiGHS" in " ".join(values)
    assert ("最適" if lang == "ja" else "optimal") in values


def test_workbook_prints_sensibly(reported: tuple[Path, str, list[Path]]) -> None:
    # landscape A4, all columns on one page width, header rows repeated, charts on a page of
    # their own (a manual page break right above each chart's anchor row)
    folder, lang, _ = reported
    wb = openpyxl.load_workbook(folder / "report.xlsx")
    for ws in wb.worksheets:
        setup = ws.page_setup
        assert setup.orientation == "landscape", ws.title
        assert str(setup.paperSize) == str(ws.PAPERSIZE_A4)
        assert (setup.fitToWidth, setup.fitToHeight) == (1, 0), ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage is True, ws.title
    summary, schedule, programs, ranks = (wb[n] for n in SHEETS[lang][:4])
    for ws in (summary, schedule, programs, ranks):
        assert ws.print_title_rows == "$1:$1", ws.title
    marginal = wb[SHEETS[lang][-2]]
    assert marginal.print_title_rows and marginal.print_title_rows != "$1:$1"
    for ws in (summary, ranks):
        breaks = {b.id for b in ws.row_breaks.brk}
        for chart in ws._charts:
            top = chart.anchor._from.row  # 0-based row of the anchor cell
            assert top in breaks, (ws.title, top, breaks)  # break after the row above it


def test_schedule_pivot_totals(reported: tuple[Path, str, list[Path]]) -> None:
    folder, lang, _ = reported
    wb = openpyxl.load_workbook(folder / "report.xlsx")
    ws = wb[SHEETS[lang][1]]
    sched = csv_of(folder, "schedule.csv")
    summary = csv_of(folder, "summary.csv")
    years = [int(y) for y in summary.fiscal_year]
    header = [c.value for c in ws[1]]
    year_cols = {y: 6 + i for i, y in enumerate(years)}
    assert header[5] == (f"{years[0]}年度" if lang == "ja" else f"FY{years[0]}")
    total_col = 6 + len(years)
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    total_row = rows[-1]
    assert total_row[0] == ("合計" if lang == "ja" else "Total")
    by_year = sched.groupby("fiscal_year").amount_oku_yen.sum()
    for y, col in year_cols.items():
        assert total_row[col - 1] == int(by_year.get(y, 0))
        assert total_row[col - 1] == summary.set_index("fiscal_year").new_total_oku_yen[y]
    assert total_row[total_col - 1] == int(sched.amount_oku_yen.sum())
    # every program row adds up to its total in programs.csv
    progs = csv_of(folder, "programs.csv").set_index("program_id")
    body = rows[:-1]
    assert [r[0] for r in body] == list(progs.index)
    for r in body:
        assert r[total_col - 1] == progs.total_oku_yen[r[0]]
        assert sum(v or 0 for v in r[5 : total_col - 1]) == r[total_col - 1]


def test_formula_like_names_stay_text(injected: Path, tmp_path: Path) -> None:
    folder = copy_run(injected, tmp_path / "run")
    write_reports(folder, "en")
    wb = openpyxl.load_workbook(folder / "report.xlsx")
    found = []
    for ws in wb:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value in (INJECTED, "@SUM(1+1)"):
                    assert cell.data_type == "s", (ws.title, cell.coordinate)
                    assert cell.quotePrefix, (ws.title, cell.coordinate)
                    found.append(ws.title)
    assert {"Schedule", "Programs"} <= set(found)
    # and no formula anywhere in the file
    with zipfile.ZipFile(folder / "report.xlsx") as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in z.read(name), name
    text = (folder / "report.md").read_text(encoding="utf-8")
    assert "Pay, training and joint exercises" in text  # report.md still written


# ---------------------------------------------------------------------------------------------
# charts


def test_charts_are_valid_png(reported: tuple[Path, str, list[Path]]) -> None:
    folder, _, _ = reported
    plt = pyplot()
    for name in ("allocation_by_area.png", "funding_by_rank.png"):
        path = folder / "charts" / name
        assert path.read_bytes()[:8] == PNG_SIGNATURE
        img = plt.imread(path)
        height, width = img.shape[:2]
        assert 1000 <= width <= 1500, (name, width)
        assert 500 <= height <= 1300, (name, height)
        assert 20_000 < path.stat().st_size < 1_000_000


# ---------------------------------------------------------------------------------------------
# report.md


def test_report_md_headline(reported: tuple[Path, str, list[Path]]) -> None:
    folder, lang, _ = reported
    text = (folder / "report.md").read_text(encoding="utf-8")
    summary = csv_of(folder, "summary.csv")
    binding = summary.fiscal_year[summary.headroom_oku_yen == 0].astype(int).tolist()
    assert binding, "the shipped plan at 2% is at the cap in some years"
    assert year_ranges(binding, lang) in text
    assert "2%" in text
    assert "past_projection" in text
    new_def = summary.defense_alloc_oku_yen.sum() / 10_000
    assert f"{new_def:,.1f}" in text
    programs = csv_of(folder, "programs.csv")
    name_col = "name_ja" if lang == "ja" else "name_en"
    unfunded = programs[programs.funded == "no"]
    assert len(unfunded)
    for p in unfunded.itertuples():
        assert f"- {p.program_id} {md(getattr(p, name_col))} — " in text
    assert ("最適" if lang == "ja" else "optimal") in text
    for link in ("charts/allocation_by_area.png", "charts/funding_by_rank.png", "report.xlsx"):
        assert f"]({link})" in text
    # what 0.1 % of GDP more buys is re-solved; the local rates have their range
    assert ("解き直した結果" if lang == "ja" else "Solved again with the cap") in text
    assert ("| 年度 | 順位3 /100億円 |" if lang == "ja" else "| FY | rank 3 /100億円 |") in text
    assert ("成り立つ範囲(億円) |" if lang == "ja" else "holds up to (億円) |") in text


def test_infeasible_folder_gets_report_md(infeasible: Path, tmp_path: Path) -> None:
    assert not (infeasible / "summary.csv").exists()
    for lang, phrase in (("ja", "実行可能な計画はありません"), ("en", "infeasible")):
        folder = copy_run(infeasible, tmp_path / lang)
        written = write_reports(folder, lang)
        assert written == [folder / "report.md"]
        text = (folder / "report.md").read_text(encoding="utf-8")
        assert phrase in text
        assert "1.8%" in text
        record = json.loads((folder / "plan.json").read_text(encoding="utf-8"))
        explanation = record["explanation_ja" if lang == "ja" else "explanation"]
        assert explanation[0] in text
        if lang == "ja":  # the Japanese report embeds no English explanation
            assert "cannot hold together" not in text and "the floors can give way" not in text
        assert not (folder / "report.xlsx").exists()
        assert not (folder / "charts").exists()


def add_marginal_columns(folder: Path) -> None:
    """summary.csv with other marginal rates: rank 3 +100 and rank 6 +12.5 per 100 億円 in the
    years at the cap, valid for the first 251 億円 (rank 4's column all 0)."""
    path = folder / "summary.csv"
    s = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    s = s[[c for c in s.columns if not c.startswith("marginal_")]]
    binding = s.headroom_oku_yen == "0"
    s["marginal_rank3_per_100_oku_yen"] = ["100" if b else "0" for b in binding]
    s["marginal_rank4_per_100_oku_yen"] = ["0"] * len(s)
    s["marginal_rank6_per_100_oku_yen"] = ["12.5" if b else "" for b in binding]
    s["marginal_valid_up_to_oku_yen"] = ["251" if b else "" for b in binding]
    write_csv(s, path)


def test_marginal_values_are_rates_with_their_range_never_extrapolated(
    shipped: Path, tmp_path: Path
) -> None:
    folder = copy_run(shipped, tmp_path / "run")
    add_marginal_columns(folder)
    write_reports(folder, "en")
    text = (folder / "report.md").read_text(encoding="utf-8")
    section = text.split("## What one more")[1].split("##")[0]
    # rank 3 +100 and rank 6 +12.50 per 100 億円, holding for 251 億円 — no "+6,384"
    assert "| FY2026 | +100 | +12.50 | 251 |" in section
    assert "6,384" not in section and "rank 4 /100" not in section
    wb = openpyxl.load_workbook(folder / "report.xlsx")
    ws = wb["Marginal values"]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    head = next(r for r in rows if r[0] == "Fiscal year")
    assert "Rank 3 marginal value (per +100 億円 cap)" in head
    assert "Rate holds up to (億円 more)" in head
    assert not any("bought by" in str(c) for r in rows for c in r)
    # the summary sheet does not repeat the marginal columns
    assert not any("marginal" in str(c.value) for c in wb["Summary"][1])


def test_not_optimal_run_shows_the_gap(shipped: Path, tmp_path: Path) -> None:
    folder = copy_run(shipped, tmp_path / "run")
    record = json.loads((folder / "plan.json").read_text(encoding="utf-8"))
    record["status"] = "feasible"
    record["optimal"] = False
    record["stages"][2]["gap"] = 0.0123
    record["stages"][2]["status"] = "time_limit"
    (folder / "plan.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    write_reports(folder, "ja")
    text = (folder / "report.md").read_text(encoding="utf-8")
    assert "順位3 1.23%" in text
    assert "時間制限" in text


# ---------------------------------------------------------------------------------------------
# robustness


def test_byte_stable_and_reads_only_the_folder(
    shipped: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same folder gives the same bytes, wherever it lies and whatever the cwd."""
    monkeypatch.chdir(tmp_path)
    first = copy_run(shipped, tmp_path / "a" / "run")
    second = copy_run(shipped, tmp_path / "b" / "elsewhere")
    out1 = write_reports(first, "ja")
    out2 = write_reports(second, "ja")
    for p1, p2 in zip(out1, out2, strict=True):
        assert p1.read_bytes() == p2.read_bytes(), p1.name
    again = write_reports(first, "ja")
    assert [p.read_bytes() for p in again] == [p.read_bytes() for p in out2]


def test_rejects_unknown_language(shipped: Path) -> None:
    with pytest.raises(ValueError, match="lang"):
        write_reports(shipped, "fr")


def test_not_a_run_folder(tmp_path: Path) -> None:
    with pytest.raises(RecordError, match=r"plan\.json"):
        write_reports(tmp_path, "en")


# ---------------------------------------------------------------------------------------------
# charts drawn in the report worker (the command line's way)


def test_worker_draws_the_same_files(
    reported: tuple[Path, str, list[Path]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from allocator.report.worker import ENV_SWITCH, ReportWorker

    monkeypatch.setenv(ENV_SWITCH, "1")  # even on a busy machine
    folder, lang, _ = reported
    again = copy_run(folder, tmp_path / "again")
    shutil.rmtree(again / "charts")
    worker = ReportWorker.start()
    if worker is None:
        pytest.skip("no report worker on a single CPU")
    try:
        write_reports(again, lang, worker=worker)
    finally:
        worker.close()
    assert worker._proc is None
    for name in ("allocation_by_area.png", "funding_by_rank.png"):
        assert (again / "charts" / name).read_bytes() == (folder / "charts" / name).read_bytes()


def test_dead_worker_falls_back_to_drawing_here(
    shipped: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from allocator.report.worker import ENV_SWITCH, ReportWorker

    monkeypatch.setenv(ENV_SWITCH, "1")
    folder = copy_run(shipped, tmp_path / "run")
    worker = ReportWorker.start()
    if worker is None or worker._proc is None:
        pytest.skip("no report worker on a single CPU")
    worker._proc.kill()
    worker._proc.wait()
    written = write_reports(folder, "ja", worker=worker)
    assert all(p.is_file() for p in written)
    assert (folder / "charts" / "allocation_by_area.png").read_bytes()[:8] == PNG_SIGNATURE


def test_worker_off_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    from allocator.report.worker import ENV_SWITCH, ReportWorker

    monkeypatch.setenv(ENV_SWITCH, "0")
    assert ReportWorker.start() is None


def test_the_cap_reached_but_holding_no_rank_back_is_said_once(tmp_path: Path) -> None:
    # P can take exactly the 2 % cap of 2026 (2,000) and no more: the cap is reached, yet 0.1 %
    # more cap buys nothing; the report must not say both "the cap binds" and "other rules
    # bind" for 2026
    from planbuilder import program, write_plan

    folder = write_plan(tmp_path / "plan", [program("P", 0, 2000)])
    run = tmp_path / "run"
    allocate(folder, Overrides(), out=run)
    for lang, says, never in (
        ("ja", "GDP比上限には2026年度に達していますが、どの順位も制約していません", "上限以外"),
        ("en", "the GDP cap is reached in FY2026, but holds no rank back there", "every rank back"),
    ):
        write_reports(run, lang)
        text = (run / "report.md").read_text(encoding="utf-8")
        assert says in text and never not in text, text


def test_report_lists_the_program_groups_and_what_each_funds(tmp_path: Path) -> None:
    # an either-or between P1 and P2 (rank 1 takes the larger, P1) and P3 only with P1
    from planbuilder import program, write_plan

    folder = write_plan(
        tmp_path / "plan",
        [program("P1", 0, 900), program("P2", 0, 500), program("P3", 0, 300)],
        extra_toml='[[groups]]\nid = "choice"\nname_ja = "二案から一つ"\nname_en = "One of two"\n'
        'programs = ["P1", "P2"]\nat_most = 1\nsource = "test"\n\n'
        '[[groups]]\nid = "needs"\nname_ja = "前提"\nname_en = "Needs P1"\n'
        'programs = ["P3"]\nrequires = ["P1"]\nsource = "test"\n',
    )
    run = tmp_path / "run"
    allocate(folder, Overrides(), out=run, lang="en")
    text = (run / "report.md").read_text(encoding="utf-8")
    assert "## Program groups (alternatives, packages, requirements)" in text
    assert "| choice One of two | at most 1 of P1, P2 | P1 |" in text
    assert "| needs Needs P1 | P3 only with P1 | P3 |" in text
    write_reports(run, "ja")
    text = (run / "report.md").read_text(encoding="utf-8")
    assert "| choice 二案から一つ | P1、P2のうち最大1件 | P1 |" in text
