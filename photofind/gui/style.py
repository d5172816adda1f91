"""The few looks the platform style does not give: the rounded search bar and its chips."""

STYLE_SHEET = """
#searchBar {
    border: 1px solid palette(mid);
    border-radius: 10px;
    background: palette(base);
}
#searchBar:focus-within { border-color: palette(highlight); }
#searchField { font-size: 15px; padding: 6px 2px; background: transparent; }
#chip {
    border: 1px solid palette(mid);
    border-radius: 8px;
    background: palette(alternate-base);
}
#chipRemove { border: none; padding: 0 3px; font-weight: bold; }
#queryError { color: #c62828; }
#dateOffer { color: palette(link); text-decoration: underline; border: none; padding: 0 2px; }
#emptyTitle { padding-bottom: 2px; }
#emptyBody { color: palette(text); }
#modelsMessage[error="true"] { color: #c62828; }
#dropOverlay QLabel {
    font-size: 18px;
    font-weight: bold;
    color: palette(highlighted-text);
    background: palette(highlight);
    border-radius: 12px;
    padding: 16px 28px;
}
"""

# Set on the Models dialog's table itself: from the window's sheet the header's rule is not
# applied to a dialog's table (seen with Qt 6.11), and header and cells must pad alike.
TABLE_STYLE_SHEET = """
QTableWidget::item { padding: 0 6px; }
QHeaderView::section { padding: 3px 6px; }
"""
