"""Textual/rich glue shared by the panes and screens."""
