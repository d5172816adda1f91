"""The headless core of photofind. Nothing below this package imports Qt."""
