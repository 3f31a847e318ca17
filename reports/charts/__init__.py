"""The chart registry: each chart is a function of the results model that
returns a matplotlib figure, or None when the run has no data for it (so charts
for axes a run does not have, such as several database sizes, simply do not
appear). `render` writes each as NAME.png and NAME.svg."""
import os

REGISTRY = []  # (name, title, caption, function), in page order


def chart(name, title, caption):
    def register(fn):
        REGISTRY.append((name, title, caption, fn))
        return fn
    return register


def render(results, out_dir, only=None):
    """Draws every chart that applies; returns [(name, title, caption, png size)]."""
    from charts import style
    drawn = []
    for name, title, caption, fn in REGISTRY:
        if only and name not in only:
            continue
        fig = fn(results)
        if fig is None:
            continue
        size = style.save(fig, os.path.join(out_dir, name))
        drawn.append((name, title, caption, size))
    return drawn


# Registration order is page order.
from charts import impact, speed, timeline, wal, axes  # noqa: E402,F401
