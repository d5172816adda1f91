"""photofind: find photos in your own library by meaning."""

__version__ = "0.1.0"
