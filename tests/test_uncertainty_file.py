"""uncertainty.toml is read with the same care as plan.toml: the shipped file resolves as its
comments say, and every kind of mistake is refused with the file, line, key and fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import DATA
from uncertaintybuilder import GDP_ONLY, WITH_COSTS, one_program_plan

from allocator.errors import PlanError
from allocator.plan.loading import load_plan
from allocator.plan.uncertainty import load_uncertainty


def test_shipped_file_resolves_each_program_to_its_most_specific_entry() -> None:
    plan = load_plan(DATA)
    u = load_uncertainty(DATA, plan)
    assert u.gdp.cases == ("past_projection", "growth_transition")
    assert u.fx.costing_rate == 150 and u.fx.around == "market_150"
    b02, g01, h01, f01, a01 = (u.cost(p) for p in ("B02", "G01", "H01", "F01", "A01"))
    assert (b02.overrun.mode, b02.overrun.high, b02.dollar_share) == (0.2, 0.54, 0.5)
    assert g01.overrun.mode == 0.08 and g01.dollar_share == 0.0  # overrun: every program
    assert h01.overrun.distribution == "none" and h01.dollar_share == 0.0
    assert f01.overrun.mode == 0.08 and f01.dollar_share == 0.1
    assert a01.overrun_rule == "costs #1 (every program)"
    assert g01.dollar_rule == "costs #6 (area G)"


def test_every_number_of_the_shipped_file_has_a_source() -> None:
    text = (DATA / "uncertainty.toml").read_text(encoding="utf-8")
    tables = text.split("\n[")
    for table in tables[1:]:
        header = table.split("]", 1)[0]
        if header in ("uncertainty", "[costs"):
            assert "source" in table, header
    assert text.count("[[costs]]") == text.count('source = "', text.index("[[costs]]"))


def _plan(tmp_path: Path, text: str) -> Path:
    return one_program_plan(tmp_path / "plan", uncertainty=text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GDP_ONLY + "\nspread = 1\n", "key spread is not a known setting"),
        (GDP_ONLY.replace("growth_sd_pct = 2.0", "growth_sdpct = 2.0"), "key growth_sdpct"),
        (
            GDP_ONLY.replace('"base", "low"', '"base", "high"'),
            "'high', which gdp.csv does not have",
        ),
        (
            WITH_COSTS + '\n[[costs]]\narea = "Z"\ndollar_share = 0.1\nsource = "x"\n',
            "'Z' is not an area",
        ),
        (
            WITH_COSTS + '\n[[costs]]\nprogram = "Q"\ndollar_share = 0.1\nsource = "x"\n',
            "'Q' is not a program",
        ),
        (
            WITH_COSTS + '\n[[costs]]\nrank = 9\ndollar_share = 0.1\nsource = "x"\n',
            "9 is not a rank",
        ),
        (
            WITH_COSTS + '\n[[costs]]\narea = "A"\nrank = 1\ndollar_share = 0.1\nsource = "x"\n',
            "both given",
        ),
        (
            WITH_COSTS + '\n[[costs]]\ndollar_share = 0.1\nsource = "x"\n',
            "already set by [[costs]] #1",
        ),
        (WITH_COSTS.replace("mode_pct = 10", "mode_pct = 40"), "low ≤ mode ≤ high"),
        (WITH_COSTS.replace("high_pct = 30", ""), "high_pct is missing"),
        (WITH_COSTS.replace('around = "flat"', 'around = "weak"'), "'weak', which is not one of"),
        (WITH_COSTS.replace("dollar_share = 0.5", "dollar_share = 1.5"), "dollar_share"),
        (WITH_COSTS + '\n[[costs]]\narea = "A"\ndollar_share = 0.1\n', "source is missing"),
        (WITH_COSTS + '\n[[costs]]\narea = "A"\nsd_pct = 3\nsource = "x"\n', "needs overrun"),
        (WITH_COSTS + '\n[[costs]]\narea = "A"\nsource = "x"\n', "sets nothing"),
        (GDP_ONLY.replace('source = "test: worked by hand"', ""), "[gdp], key source is missing"),
        ("[gdp\ncases = []\n", "TOML syntax error"),
    ],
)
def test_mistakes_are_refused_with_file_line_and_fix(
    tmp_path: Path, text: str, expected: str
) -> None:
    folder = _plan(tmp_path, text)
    with pytest.raises(PlanError) as err:
        load_uncertainty(folder, load_plan(folder))
    message = str(err.value)
    assert expected in message, message
    assert "uncertainty.toml" in message and " — " in message  # the file and a fix
    assert err.value.exit_code == 3


def test_the_line_of_a_bad_entry_is_named(tmp_path: Path) -> None:
    text = WITH_COSTS + '\n[[costs]]\narea = "Z"\ndollar_share = 0.1\nsource = "x"\n'
    folder = _plan(tmp_path, text)
    with pytest.raises(PlanError) as err:
        load_uncertainty(folder, load_plan(folder))
    lines = text.splitlines()
    assert err.value.row is not None
    assert lines[err.value.row - 1].startswith("area = ")
    assert "[[costs]] #2" in str(err.value)


def test_missing_file_says_how_to_make_one(tmp_path: Path) -> None:
    folder = _plan(tmp_path, GDP_ONLY)
    (folder / "uncertainty.toml").unlink()
    with pytest.raises(PlanError, match="file not found"):
        load_uncertainty(folder, load_plan(folder))


def test_a_gdp_case_without_every_horizon_year_is_refused(tmp_path: Path) -> None:
    folder = _plan(tmp_path, GDP_ONLY)
    text = (folder / "gdp.csv").read_text(encoding="utf-8")
    (folder / "gdp.csv").write_text(
        "\n".join(line for line in text.splitlines() if not line.startswith("2027,low")) + "\n",
        encoding="utf-8",
    )
    with pytest.raises(PlanError, match="no GDP for 2027年度"):
        load_uncertainty(folder, load_plan(folder))


def test_the_documented_example_loads_against_the_shipped_plan(tmp_path: Path) -> None:
    import re

    text = (DATA.parent / "docs" / "plan-format.md").read_text(encoding="utf-8")
    section = text[text.index("## `uncertainty.toml`") : text.index("## A complete small example")]
    block = re.search(r"```toml\n(.*?)```", section, re.S)
    assert block is not None
    path = tmp_path / "uncertainty.toml"
    path.write_text(block.group(1), encoding="utf-8")
    plan = load_plan(DATA)
    u = load_uncertainty(path, plan)
    assert u.cost("B02").overrun.high == 0.54 and u.cost("A01").dollar_share == 0.0
    assert u.fx.persistence == 0.8 and u.gdp.growth_sd == pytest.approx(0.014)
