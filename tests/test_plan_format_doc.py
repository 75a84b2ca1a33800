"""The complete small example of docs/plan-format.md loads and solves as the page says."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import REPO, amounts, solve_folder


def write_example(folder: Path) -> Path:
    text = (REPO / "docs" / "plan-format.md").read_text(encoding="utf-8")
    section = text[text.index("## A complete small example") :]
    blocks = re.findall(
        r"`([\w.]+)`[^`\n]*(?:\n[^`\n]*)*?:\n\n```(?:toml|csv)\n(.*?)```", section, re.S
    )
    names = [name for name, _ in blocks]
    assert names == ["plan.toml", "programs.csv", "gdp.csv"], names
    folder.mkdir()
    for name, body in blocks:
        (folder / name).write_text(body, encoding="utf-8")
    return folder


def test_small_example_solves_as_documented(tmp_path: Path) -> None:
    plan, result = solve_folder(write_example(tmp_path / "example"))
    assert result.status == "optimal"
    assert result.funded == {"M01": True, "C01": True, "S01": True}
    got = amounts(result)
    assert got[("C01", 2026)] == 100 and got[("C01", 2027)] == 150
    assert got[("M01", 2026)] == 360 and got[("M01", 2027)] == 240
    assert got[("S01", 2026)] == 265 and got[("S01", 2027)] == 335  # level: 725 a year
    assert result.rank_values() == {1: 900, 2: 600}
    assert plan.cap_oku_yen(2026) - plan.baseline(2026) == 500
