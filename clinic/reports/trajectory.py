"""One patient's outcomes over time as an SVG chart (matplotlib), for the patient page.

Usage in a view::

    from clinic.reports.data import patient_scores
    from clinic.reports.trajectory import trajectory_svg
    svg = trajectory_svg(patient_scores(session, patient.id))  # Markup(svg) in the template
"""

from __future__ import annotations

import io

import pandas as pd

from clinic.scoring.instruments import INSTRUMENTS, InstrumentKind

CHARTED = (InstrumentKind.SCALE, InstrumentKind.SECTIONS)
COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7")


def trajectory_svg(scores: pd.DataFrame, instruments: list[str] | None = None) -> str:
    """SVG text: one small panel per outcome (own scale), points joined in timepoint order.

    ``scores`` has columns timepoint, label, position, instrument, value (see
    :func:`clinic.reports.data.patient_scores`). No outcome → a short SVG saying so.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    codes = instruments or [c for c in dict.fromkeys(scores["instrument"])
                            if c in INSTRUMENTS and INSTRUMENTS[c].kind in CHARTED]
    order = scores.drop_duplicates("timepoint").sort_values("position")
    labels = list(order["label"])
    fig = Figure(figsize=(6.4, 1.9 * max(1, len(codes))), layout="constrained")
    if not codes:
        fig.text(0.5, 0.5, "No outcome recorded yet", ha="center", va="center")
    for i, code in enumerate(codes):
        ax = fig.add_subplot(len(codes), 1, i + 1)
        own = scores[(scores["instrument"] == code) & scores["value"].notna()]
        x = [labels.index(label) for label in own["label"]]
        ax.plot(x, own["value"], marker="o", color=COLORS[i % len(COLORS)], linewidth=1.6)
        inst = INSTRUMENTS[code]
        ax.set_ylim(inst.min_value, inst.max_value if inst.max_value is not None else None)
        ax.set_xticks(range(len(labels)), labels, fontsize=8)
        ax.set_ylabel(f"{code.upper()} ({inst.unit})" if inst.unit else code.upper(),
                      fontsize=8)
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        ax.set_title(inst.label, fontsize=9, loc="left")
    out = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "clinic"}):
        fig.savefig(out, format="svg", metadata={"Date": None})
    text = out.getvalue()
    return text[text.index("<svg"):]
