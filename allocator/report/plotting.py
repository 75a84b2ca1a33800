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


DPI = 120


def save(fig: Any, path: Any) -> None:
    """Save a figure as PNG without timestamps in its metadata (byte-stable files), cropped to
    its content plus ``savefig.pad_inches`` as ``bbox_inches="tight"`` would crop it.

    The figure is drawn once: ``bbox_inches="tight"`` (and a layout engine left on the figure
    by ``tight_layout``) make ``savefig`` run a whole extra draw pass only to find the box; the
    box is computed here from a renderer instead, which gives the same file (checked byte for
    byte on every chart of the shipped plan).
    """
    import matplotlib
    from matplotlib.layout_engine import PlaceHolderLayoutEngine

    engine = fig.get_layout_engine()
    if engine is None or isinstance(engine, PlaceHolderLayoutEngine):
        fig.set_layout_engine(None)  # tight_layout() is done; nothing to redo while saving
        fig.set_dpi(DPI)
        bbox = fig.get_tightbbox(fig.canvas.get_renderer()).padded(
            matplotlib.rcParams["savefig.pad_inches"]
        )
        fig.savefig(path, dpi=DPI, bbox_inches=bbox, metadata={"Software": None})
    else:  # a live layout engine (constrained layout): let savefig lay out and crop
        fig.savefig(path, dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    pyplot().close(fig)
