"""The result grid: the list model (model.py), the view (view.py), the cell painter
(delegate.py), the strip above it (toolbar.py) and the in-memory thumbnail cache
(pixmaps.py), put together by :class:`~photofind.gui.results.pane.ResultsPane`."""
