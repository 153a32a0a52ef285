"""Where datasets live: one Parquet file or a folder of parts, written atomically
under one lock, with the change log beside them.
"""
