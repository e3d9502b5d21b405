"""Where a learner draws and the model reads it live.

- view.py: what both surfaces show (probability bars, the 28x28 input, the feature maps)
- pad.py: the drawing pad inside a notebook (ipycanvas)
- window.py: the desktop window (Tkinter): python -m digitlib gui
"""
