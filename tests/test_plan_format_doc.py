"""The examples of docs/plan-format.md load and solve as the page says."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import REPO, amounts, solve_folder, totals


def write_example(folder: Path, section: str = "## A complete small example") -> Path:
    """Write the three files of one section of docs/plan-format.md (up to the next ``## ``)."""
    text = (REPO / "docs" / "plan-format.md").read_text(encoding="utf-8")
    start = text.index(section)
    end = text.find("\n## ", start + len(section))
    body = text[start : end if end != -1 else len(text)]
    blocks = re.findall(
        r"`([\w.]+)`[^`\n]*(?:\n[^`\n]*)*?:\n\n```(?:toml|csv)\n(.*?)```", body, re.S
    )
    names = [name for name, _ in blocks]
    assert names == ["plan.toml", "programs.csv", "gdp.csv"], names
    folder.mkdir()
    for name, block in blocks:
        (folder / name).write_text(block, encoding="utf-8")
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


GROUPS_SECTION = "## A worked example with groups"


def test_groups_example_solves_as_worked_by_hand(tmp_path: Path) -> None:
    plan, result = solve_folder(write_example(tmp_path / "groups", GROUPS_SECTION))
    assert [g.id for g in plan.groups] == ["fighter", "launcher", "dock"]
    assert plan.cap_room(2026) == plan.cap_room(2027) == 600
    assert result.status == "optimal"
    assert result.rank_values() == {1: 700, 2: 300, 3: 0, 4: 100}
    assert {p for p, on in result.funded.items() if on} == {"F1", "M1", "L1"}
    assert amounts(result) == {
        ("F1", 2026): 500,
        ("F1", 2027): 200,
        ("L1", 2026): 100,
        ("M1", 2027): 300,
    }


def test_groups_example_without_each_group_as_the_page_says(tmp_path: Path) -> None:
    """Without ``launcher`` M1 goes alone and the package fits; without ``dock`` V1 takes the
    100 left alone; without ``fighter`` both options take all the room."""
    folder = write_example(tmp_path / "groups", GROUPS_SECTION)
    toml = (folder / "plan.toml").read_text(encoding="utf-8")
    entries = toml.split("[[groups]]")

    def without(group_id: str) -> Path:
        kept = [e for e in entries[1:] if f'id = "{group_id}"' not in e]
        assert len(kept) == len(entries) - 2
        other = tmp_path / f"without-{group_id}"
        other.mkdir()
        for name in ("programs.csv", "gdp.csv"):
            (other / name).write_bytes((folder / name).read_bytes())
        text = entries[0] + "".join("[[groups]]" + e for e in kept)
        (other / "plan.toml").write_text(text, encoding="utf-8")
        return other

    _, result = solve_folder(without("launcher"))
    assert result.rank_values() == {1: 700, 2: 300, 3: 200, 4: 0}
    assert totals(result) == {"F1": 700, "M1": 300, "D1": 150, "V1": 50}
    assert amounts(result)[("F1", 2026)] == 450
    _, result = solve_folder(without("dock"))
    assert result.rank_values() == {1: 700, 2: 300, 3: 100, 4: 100}
    assert totals(result)["V1"] == 100 and not result.funded["D1"]
    _, result = solve_folder(without("fighter"))
    assert result.rank_values() == {1: 1_200, 2: 0, 3: 0, 4: 0}
    assert totals(result) == {"F1": 700, "F2": 500}
