"""Pictures of one digit, from any source, to the model's 28x28 input.

- files.py: opening a picture file (EXIF turned, huge or broken files refused in one line)
- preprocess.py: any picture to MNIST's form (crop, 20-px box, centre of mass), step by step
- strokes.py: pen strokes to pixels, shared by the pad and the window
- reading.py: many picture files at once, in batches, with a progress bar
"""
