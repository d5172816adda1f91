"""photofind: find photos in your own library by meaning."""

# The only place the version is written: pyproject.toml reads it from here
# ([tool.setuptools.dynamic]), and the CLI and the model downloads' user agent import it.
__version__ = "0.1.0"
