"""Generated demonstration data for Shanxi and the one-command demo.

Everything this package writes is GENERATED, not measured; the files it
writes say so (a README in the data folder) and so does every summary.
"""
