"""The shop's pricing rules."""
