"""Syntax-guided synthesis: SyGuS-IF problems, enumeration, CEGIS with Z3, guidance by the reasoner."""
