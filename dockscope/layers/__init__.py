"""Image layer analysis, free of any UI: model, sources, wasted space, diff.

The UI calls :func:`analyze_image` from a worker thread and :func:`diff_images`
on two results; the headless commands live in :mod:`dockscope.layers.cli`.
"""
