"""Tax-tool exports: what each stored record means (meaning.py), trade legs paired (pairing.py), and the rows of
Koinly's universal CSV (koinly.py) and Cryptact's custom file (cryptact.py)."""
