"""Charts for the brief: SVG from matplotlib, text kept as text, readable in black and white."""

from __future__ import annotations

import io
import shutil
import subprocess
import warnings
from datetime import date
from functools import cache

from workplan.reports.brief import MetricSeries

CJK_FAMILY = "Noto Sans CJK SC"


@cache
def font_families() -> list[str]:
    """Return the charts' font families: the CJK font first when this machine has it.

    Matplotlib keeps its list of the system's fonts in a cache it writes once; a font installed
    later is missing from it, and each text drawn would warn that the family is not found
    (thousands of lines for a brief).  The font's files, as fontconfig knows them, are
    registered with matplotlib directly.
    """
    from matplotlib import font_manager

    manager = font_manager.fontManager
    if not any(f.name == CJK_FAMILY for f in manager.ttflist) and shutil.which("fc-list"):
        listed = subprocess.run(
            ["fc-list", "--format", "%{file}\n", CJK_FAMILY],
            capture_output=True,
            text=True,
            check=False,
        )
        for path in listed.stdout.split():
            manager.addfont(path)
    if any(f.name == CJK_FAMILY for f in manager.ttflist):
        return [CJK_FAMILY, "sans-serif"]
    return ["sans-serif"]


def metric_svg(series: MetricSeries, year: int) -> str:
    """Draw reported values against checkpoints and the 序时进度 line; return inline SVG."""
    import matplotlib

    matplotlib.use("svg")
    from matplotlib import dates as mdates
    from matplotlib import pyplot as plt

    plt.rcParams["svg.fonttype"] = "none"  # the browser draws the Chinese text
    plt.rcParams["font.family"] = font_families()
    plt.rcParams["svg.hashsalt"] = "workplan"  # the same brief twice, the same bytes
    fig, ax = plt.subplots(figsize=(3.6, 2.1), dpi=72)
    unit = series.metric.unit
    if series.pace:
        xs, ys = zip(*series.pace, strict=True)
        ax.plot(xs, ys, linestyle="--", color="0.35", linewidth=1.2, label="序时进度")
    if series.checkpoints:
        xs, ys = zip(*series.checkpoints, strict=True)
        ax.plot(
            xs,
            ys,
            linestyle="none",
            marker="s",
            markersize=6,
            markerfacecolor="white",
            markeredgecolor="black",
            label="节点目标",
        )
    if series.reports:
        xs, ys = zip(*series.reports, strict=True)
        ax.plot(
            xs,
            ys,
            linestyle="-",
            marker="o",
            markersize=4,
            color="black",
            linewidth=1.6,
            label="报告值",
        )
    else:
        ax.text(
            0.5,
            0.5,
            "未报告",
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=11,
            color="0.3",
        )
    start, end = mdates.date2num([date(year, 1, 1), date(year, 12, 31)])  # type: ignore[no-untyped-call]
    ax.set_xlim(start, end)
    ax.margins(y=0.15)
    ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=range(1, 13, 2)))  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%-m月"))  # type: ignore[no-untyped-call]
    ax.tick_params(labelsize=7)
    ax.set_ylabel(unit, fontsize=8)
    ax.grid(True, color="0.85", linewidth=0.6)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    out = io.StringIO()
    with warnings.catch_warnings():
        # without a CJK font matplotlib measures Chinese in a Latin one and warns once a glyph;
        # the browser draws the text with its own fonts
        warnings.filterwarnings("ignore", "Glyph .* missing from font", UserWarning)
        fig.tight_layout(pad=0.4)
        fig.savefig(out, format="svg", metadata={"Date": None})
    plt.close(fig)
    text = out.getvalue()
    return text[text.index("<svg") :]
