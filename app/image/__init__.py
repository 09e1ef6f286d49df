"""The image tabs: Inspect Y' (inspect.py), Generate (generate.py) and Compare (compare.py), with their UI-free views."""
