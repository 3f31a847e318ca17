"""What every chart shares: sizes chosen so text stays readable when the page is
900 px wide, colours by strategy in the registry's order (from results.json),
verdict colours, and saving as PNG and SVG."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# Figures are WIDTH inches at DPI; the page shows them at WIDTH * DISPLAY_PX px
# (at most), so an 11 pt label reads at about 15 px, and at 14 px when the page
# is 900 px wide.
WIDTH = 9.0
DPI = 150
DISPLAY_PX = 100  # CSS px per inch on the page

VERDICT_COLOURS = {"OK": "#66bb6a", "STALE": "#fdd835", "INCONSISTENT": "#fb8c00", "CORRUPT": "#e53935",
                   "FAILED": "#8e63b5", "harness error": "#90a4ae", "SKIPPED": "#e0e0e0"}
EXPECTED_COLOUR = "#b0bec5"  # a non-OK verdict that is as designed (unsafe in this mode)
WRITER_COLOURS = plt.get_cmap("tab10").colors
WINDOW_COLOUR = "#e53935"

plt.rcParams.update({
    "font.size": 11, "axes.titlesize": 11.5, "axes.labelsize": 11, "xtick.labelsize": 10.5,
    "ytick.labelsize": 10.5, "legend.fontsize": 10, "figure.titlesize": 12.5, "axes.grid": True,
    "grid.alpha": 0.3, "svg.fonttype": "none", "axes.spines.top": False, "axes.spines.right": False,
})


# A hue per strategy: tab10's ten, then five dark hues of tab20b, so a run of
# every registered strategy (more than ten) gives no two the same colour. Each
# hue's light shade (for variants) sits at the same index of LIGHT.
_TAB20, _TAB20B = plt.get_cmap("tab20").colors, plt.get_cmap("tab20b").colors
HUES = list(plt.get_cmap("tab10").colors) + [_TAB20B[j] for j in (0, 8, 12, 16, 4)]
LIGHT = [_TAB20[2 * k + 1] for k in range(10)] + [_TAB20B[j + 2] for j in (0, 8, 12, 16, 4)]


def colour(results, label):
    """A strategy's colour: its place in the registry; a variant (another label of
    the same strategy) gets the light shade of its strategy's hue."""
    names = list(results.strategies)
    strategy = next((t.strategy for t in results.trials_of(label=label)), label)
    i = names.index(strategy) if strategy in names else len(names) + results.labels.index(label)
    if label == strategy or strategy not in names:
        return HUES[i % len(HUES)]
    return LIGHT[i % len(LIGHT)]


def figure(rows, cols=1, height=3.0, **kw):
    """A figure WIDTH wide with `rows` x `cols` panels of `height` inches."""
    fig, axes = plt.subplots(rows, cols, figsize=(WIDTH, height * rows + 0.6), squeeze=False, **kw)
    return fig, axes


def save(fig, path_stem):
    """Writes PNG and SVG; returns the PNG's size in pixels (w, h)."""
    fig.savefig(path_stem + ".png", dpi=DPI, bbox_inches="tight", pad_inches=0.08)
    fig.savefig(path_stem + ".svg", bbox_inches="tight", pad_inches=0.08)
    from matplotlib.image import imread
    h, w = imread(path_stem + ".png").shape[:2]
    plt.close(fig)
    return w, h


def note(ax, text, **kw):
    """A grey note in the middle of an empty panel."""
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#666", wrap=True,
            fontsize=10.5, **kw)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
