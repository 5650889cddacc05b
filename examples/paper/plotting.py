"""Plot helpers for the paper figures (figures.py): error bands and error bars that are either
visible or stated to be narrower than the line, legends placed where they hide no data, and
footers readable at the PNG's native size.

Every band / error bar drawn through band() or error_bars() is recorded on its axes. When the
figure is finished, each record is measured in pixels on the final layout: a band narrower
than its line everywhere (or error bars shorter than their markers everywhere) cannot be seen,
so the panel says so in its legend title, with the largest error. Widths are never inflated.
"""
import textwrap

import matplotlib
import matplotlib.pyplot as plt
import numpy as np

DPI = 110
FOOTER_FONTSIZE = 9
LEGEND_FONTSIZE = 8
NOTE_FONTSIZE = 8
BAND_ALPHA = 0.35
VISIBLE_EXCESS_PX = 3.0  # a band / bar must exceed its line / marker by this many pixels


class ErrorRecord:
    """One curve's errors as drawn: kind "band" (shaded, around a line of width lw points)
    or "bars" (error bars around markers of size ms points)."""

    def __init__(self, kind, x, y, err, size_pt, name):
        self.kind, self.name, self.size_pt = kind, name, size_pt
        self.x, self.y, self.err = (np.asarray(v, dtype=float) for v in (x, y, err))

    def width_px(self, ax):
        """Full width 2*err of the band / bar at every point, in pixels on the final layout."""
        ok = np.isfinite(self.err) & np.isfinite(self.y)
        lo, hi = self.y[ok] - self.err[ok], self.y[ok] + self.err[ok]
        if ax.get_yscale() == "log":
            lo = np.where(lo > 0, lo, np.nan)
        a = ax.transData.transform(np.column_stack([self.x[ok], lo]))[:, 1]
        b = ax.transData.transform(np.column_stack([self.x[ok], hi]))[:, 1]
        w = np.abs(b - a)
        if self.kind == "band" and ok.sum() > 2:
            # A band is seen across the line, not vertically: on a steep stretch the line
            # itself covers a vertical extent, so measure the width perpendicular to it.
            p = ax.transData.transform(np.column_stack([self.x[ok], self.y[ok]]))
            dx, dy = np.gradient(p[:, 0]), np.gradient(p[:, 1])
            with np.errstate(divide="ignore", invalid="ignore"):
                w = w * np.abs(dx) / np.hypot(dx, dy)
        x0, x1 = sorted(ax.get_xlim())
        inside = (self.x[ok] >= x0) & (self.x[ok] <= x1)
        return np.where(np.isnan(w), np.inf, w)[inside]  # log axis, band reaching 0: visible

    def visible(self, ax):
        w = self.width_px(ax)
        return w.size > 0 and np.max(w) >= self.size_pt * DPI / 72.0 + VISIBLE_EXCESS_PX

    def largest_error(self, ax):
        x0, x1 = sorted(ax.get_xlim())
        inside = (self.x >= x0) & (self.x <= x1) & np.isfinite(self.err)
        return float(np.max(self.err[inside])) if inside.any() else float("nan")


def _records(ax):
    if not hasattr(ax, "_error_records"):
        ax._error_records = []
    return ax._error_records


def band(ax, t, y, err, color, label=None, ls="-", lw=1.2, name=None):
    """Line with a shaded +-1 error band (no band where the error is NaN)."""
    t, y, err = (np.asarray(v, dtype=float) for v in (t, y, err))
    ok = np.isfinite(err)
    ax.fill_between(t, y - np.where(ok, err, 0), y + np.where(ok, err, 0), where=ok,
                    color=color, alpha=BAND_ALPHA, lw=0)
    ax.plot(t, y, color=color, ls=ls, lw=lw, label=label)
    _records(ax).append(ErrorRecord("band", t, y, err, lw, name or label))


def error_bars(ax, x, y, err, color, label=None, fmt="o-", ms=4, name=None, xerr=None,
               **kwargs):
    """Markers with +-1 error bars (capped); bare bars (fmt="none") get no caps, which
    would read as markers. Recorded for the visibility check."""
    marked = fmt not in ("none", "") and any(c in fmt for c in "os^vdxD*+")
    ax.errorbar(x, y, err, xerr=xerr, fmt=fmt, color=color, ms=ms,
                capsize=2.5 if marked else 0, elinewidth=1, label=label, **kwargs)
    size = ms if marked else 1.0
    _records(ax).append(ErrorRecord("bars", x, y, err, size, name or label))
    if xerr is not None:  # horizontal bars: measure them with the axes swapped
        _records(ax).append(_HorizontalRecord(x, y, xerr, size, name or label))


class _HorizontalRecord(ErrorRecord):
    def __init__(self, x, y, xerr, size_pt, name):
        super().__init__("bars", x, y, xerr, size_pt, name)

    def width_px(self, ax):
        ok = np.isfinite(self.err)
        a = ax.transData.transform(np.column_stack([self.x[ok] - self.err[ok], self.y[ok]]))
        b = ax.transData.transform(np.column_stack([self.x[ok] + self.err[ok], self.y[ok]]))
        return np.abs(b[:, 0] - a[:, 0])

    def largest_error(self, ax):
        return float(np.nanmax(self.err))


def legend(ax, **kwargs):
    """ax.legend with the exact-solver entries last (after the curves they overlay)."""
    handles, labels = ax.get_legend_handles_labels()
    order = sorted(range(len(labels)), key=lambda k: labels[k].startswith("exact"))
    return ax.legend([handles[k] for k in order], [labels[k] for k in order], **kwargs)


def _fmt_error(v):
    return f"{v:.1g}" if v < 0.01 or v >= 100 else f"{v:.2g}"


def narrow_note(ax):
    """Legend title for the records of ax whose errors cannot be seen, or None."""
    recs = _records(ax)
    narrow = [r for r in recs if not r.visible(ax)]
    if not narrow:
        return None
    largest = max(r.largest_error(ax) for r in narrow)
    marked = [r.kind == "bars" and r.size_pt > 1.0 for r in narrow]
    what = ("bars shorter than the markers" if all(marked) else
            "bands narrower than the lines" if all(r.kind == "band" for r in narrow) else
            "error bars shorter than the line width" if not any(marked) else
            "errors narrower than lines / markers")
    names = []
    for r in narrow:
        if r.name and r.name not in names:
            names.append(r.name)
    if len(narrow) == len(recs) or not names:
        head = f"all $\\pm1\\sigma$ {what}"
    else:
        head = f"$\\pm1\\sigma$ {what} for " + ", ".join(names)
    return head + f" (largest $\\sigma$ = {_fmt_error(largest)})"


def _wrap_mathtext(text, width):
    """textwrap that never breaks inside $...$ (mathtext must stay balanced per line)."""
    words, out, cur = text.split(" "), [], ""
    i = 0
    while i < len(words):
        w = words[i]
        while w.count("$") % 2 == 1 and i + 1 < len(words):  # rejoin a split math span
            i += 1
            w += " " + words[i]
        visible = len(cur.replace("$", "").replace("\\", "")) + len(w.replace("\\", ""))
        if cur and visible > width:
            out.append(cur)
            cur = w
        else:
            cur = (cur + " " + w) if cur else w
        i += 1
    out.append(cur)
    return "\n".join(out)


# ---------------------------------------------------------------- legends


def _data_points_px(ax):
    """Display coordinates of everything drawn as data on ax: line vertices, with segments
    densified so a legend box between two far vertices still sees the line."""
    pts = []
    for line in ax.get_lines():
        if not line.get_visible() or line.get_label().startswith("_legend_dummy"):
            continue
        xy = line.get_xydata()
        if len(xy) == 0:
            continue
        p = line.get_transform().transform(xy)
        p = p[np.all(np.isfinite(p), axis=1)]
        if len(p) == 0:
            continue
        if len(p) > 1 and line.get_linestyle() not in ("None", "none", " ", ""):
            seg = np.linspace(0, 1, 8)[:-1]
            d = np.diff(p, axis=0)
            p = np.vstack([(p[:-1, None, :] + seg[None, :, None] * d[:, None, :]).reshape(-1, 2),
                           p[-1:]])
        pts.append(p)
    for coll in ax.collections:  # error-bar segments and filled bands
        for path in coll.get_paths():
            v = coll.get_transform().transform(path.vertices)
            v = v[np.all(np.isfinite(v), axis=1)]
            if len(v) > 1:
                seg = np.linspace(0, 1, 6)[:-1]
                d = np.diff(v, axis=0)
                v = np.vstack([(v[:-1, None, :] + seg[None, :, None] * d[:, None, :])
                               .reshape(-1, 2), v[-1:]])
            pts.append(v)
    return np.vstack(pts) if pts else np.zeros((0, 2))


def _hidden(points, bbox, pad=2.0):
    x0, y0, x1, y1 = bbox.x0 - pad, bbox.y0 - pad, bbox.x1 + pad, bbox.y1 + pad
    return int(np.sum((points[:, 0] >= x0) & (points[:, 0] <= x1) &
                      (points[:, 1] >= y0) & (points[:, 1] <= y1)))


def place_legend(ax, renderer):
    """Move an inside legend to the location (of the nine standard ones) that hides the fewest
    data points; legends anchored outside the axes are left alone. Returns the number hidden."""
    leg = ax.get_legend()
    if leg is None:
        return 0
    pts = _data_points_px(ax)
    axbox = ax.get_window_extent(renderer)
    if leg.get_bbox_to_anchor().bounds != ax.bbox.bounds:
        return _hidden(pts, leg.get_window_extent(renderer))
    best = None
    for loc in (1, 2, 3, 4, 7, 6, 9, 8, 10):
        leg._set_loc(loc)
        box = leg.get_window_extent(renderer)
        inside = box.x0 >= axbox.x0 - 1 and box.x1 <= axbox.x1 + 1 and \
            box.y0 >= axbox.y0 - 1 and box.y1 <= axbox.y1 + 1
        n = _hidden(pts, box) + (10 ** 6 if not inside else 0)
        if best is None or n < best[0]:
            best = (n, loc)
    leg._set_loc(best[1])
    if best[0] == 0:
        return 0
    # No standard corner is free: search a grid of positions inside the axes.
    box = leg.get_window_extent(renderer)
    w, h = box.width / axbox.width, box.height / axbox.height
    pad = 0.01
    for y in np.linspace(1 - pad, h + pad, 25):
        for x in np.linspace(pad, 1 - w - pad, 25):
            leg._set_loc((x, y - h))
            n = _hidden(pts, leg.get_window_extent(renderer))
            if n < best[0]:
                best = (n, (x, y - h))
    leg._set_loc(best[1])
    return best[0]


# ---------------------------------------------------------------- finishing a figure


def _footer(fig, note):
    """Footer text wrapped to the figure width at FOOTER_FONTSIZE; returns (text, lines)."""
    chars = int(fig.get_figwidth() * 72 / (0.52 * FOOTER_FONTSIZE))
    lines = []
    for part in note.split("\n"):
        lines += textwrap.wrap(part, chars) or [""]
    return "\n".join(lines), len(lines)


def _note_above(ax, note, renderer):
    """Write the error-visibility note between the panel title and the axes: the title gets
    as many blank lines as the note needs, so tight_layout keeps room for it."""
    width_pt = ax.get_window_extent(renderer).width * 72.0 / DPI
    text = _wrap_mathtext(note, int(width_pt / (0.5 * NOTE_FONTSIZE)))
    k = text.count("\n") + 1
    title = ax.get_title(loc="left").split("\n")[0]
    ax.set_title(title + "\n" * k, loc="left", fontsize=10, linespacing=1.2)
    offset = matplotlib.transforms.ScaledTranslation(0, 4 / 72.0, ax.figure.dpi_scale_trans)
    if getattr(ax, "_note_artist", None) is not None:
        ax._note_artist.remove()
    ax._note_artist = ax.text(0, 1, text, transform=ax.transAxes + offset, ha="left",
                              va="bottom", fontsize=NOTE_FONTSIZE, color="0.25", linespacing=1.1)


def finish(fig, path, note, log=print):
    """Footer, layout, error-visibility notes, legend placement; save at DPI and report any
    legend that still hides data or overlaps another legend."""
    text, nlines = _footer(fig, note)
    fig.text(0.5, 0.006, text, ha="center", va="bottom", fontsize=FOOTER_FONTSIZE, color="0.15",
             linespacing=1.3)
    footer_in = (nlines * FOOTER_FONTSIZE * 1.3 + 8) / 72.0
    rect = (0, footer_in / fig.get_figheight(), 1, 1)
    fig.set_dpi(DPI)
    fig.tight_layout(rect=rect)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    notes = {ax: None for ax in fig.axes}
    for _ in range(3):  # a note moves the layout, which can move a band across the threshold
        changed = False
        for ax in fig.axes:
            note_ = narrow_note(ax)
            if note_ != notes[ax]:
                if note_ is None:  # visible after all: drop the note and its title space
                    ax._note_artist.remove()
                    ax._note_artist = None
                    ax.set_title(ax.get_title(loc="left").split("\n")[0], loc="left",
                                 fontsize=10)
                else:
                    _note_above(ax, note_, renderer)
                notes[ax], changed = note_, True
        if not changed:
            break
        fig.tight_layout(rect=rect)
        fig.canvas.draw()
    else:
        log(f"      warning: visibility notes of {path} did not settle")
    for ax in fig.axes:
        place_legend(ax, renderer)
    fig.canvas.draw()
    _report(fig, path, renderer, notes, log)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def _report(fig, path, renderer, notes, log):
    name = path.rsplit("/", 1)[-1]
    boxes = []
    for i, ax in enumerate(fig.axes):
        leg = ax.get_legend()
        if leg is None:
            continue
        box = leg.get_window_extent(renderer)
        n = _hidden(_data_points_px(ax), box, pad=0.0)
        if n:
            log(f"      {name}: legend of panel {i} covers {n} data points")
        for j, other in boxes:
            if box.overlaps(other):
                log(f"      {name}: legends of panels {j} and {i} overlap")
        boxes.append((i, box))
    for i, ax in enumerate(fig.axes):
        if notes.get(ax):
            log(f"      {name} panel {i}: {notes[ax]}")
