"""The embeddable widget: JS/CSS sources, the vendored socket.io client and their bundling."""

from virtual_office.widget.bundle import WidgetBundle, build_widget, render_widget

__all__ = ["WidgetBundle", "build_widget", "render_widget"]
