"""What an event is: the schema, the taxonomy, the rules every row is checked by,
honest dates, places and sides.
"""
