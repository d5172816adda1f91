"""The desktop app: Qt widgets over photofind.core (which never imports this package)."""
