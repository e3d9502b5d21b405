"""Pictures the course makes itself, to measure what it cannot collect in a classroom.

- restyled.py: MNIST test digits made to look drawn on a pad, photographed, scanned, cut tight ...
- writers.py: the sample class in samples/writers/ (five synthetic writers)
- nondigits.py, symbols.py: letters, shapes and symbols, for the "not sure" check
"""
