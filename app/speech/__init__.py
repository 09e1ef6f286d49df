"""The Speech tab (tab.py) and its UI-free views (views.py)."""
