"""Matplotlib set-up shared by every chart: no screen (Agg), and a bundled Japanese font.

The font comes from the matplotlib-fontja package (IPAex Gothic), so Japanese labels render
the same on any machine without a system font.
"""

from __future__ import annotations

from typing import Any

_READY = False

AREA_COLOURS = {
    "A": "#c0392b",
    "B": "#2980b9",
    "C": "#16a085",
    "D": "#8e44ad",
    "E": "#f39c12",
    "F": "#2c3e50",
    "G": "#7f8c8d",
    "H": "#27ae60",
    "I": "#d35400",
}


def pyplot() -> Any:
    """Return ``matplotlib.pyplot`` configured for files (Agg) with the Japanese font."""
    global _READY
    import matplotlib

    if not _READY:
        matplotlib.use("Agg", force=True)
        import matplotlib_fontja

        matplotlib_fontja.japanize()
        matplotlib.rcParams["axes.unicode_minus"] = False
        matplotlib.rcParams["svg.hashsalt"] = "allocator"
        _READY = True
    import matplotlib.pyplot as plt

    return plt


def save(fig: Any, path: Any) -> None:
    """Save a figure as PNG without timestamps in its metadata (byte-stable files)."""
    fig.savefig(path, dpi=120, bbox_inches="tight", metadata={"Software": None})
    pyplot().close(fig)
