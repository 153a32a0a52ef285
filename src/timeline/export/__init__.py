"""What a briefer takes away: charts as images, rows as data files, slides and decks,
all framed by one title, subtitle and footer.
"""
