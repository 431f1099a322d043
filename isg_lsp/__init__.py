"""isg-lsp: the Interface Signature Graph of a workspace, served to editors and AI assistants."""

__version__ = "0.2.0"
