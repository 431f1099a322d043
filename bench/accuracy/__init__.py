"""Accuracy of the ISG against compilers (issue #9): see __main__.py and README.md."""
