"""kg: the 1959 PRC Foreign Ministry report (WCDA 114177) as a validated knowledge graph."""

__version__ = "0.1.0"
