"""The notebooks' measuring helpers: not needed to train or use a model.

- plots.py: every figure of the course
- analysis.py: looking at a trained model (notebook 05)
- experiments.py: one part changed at a time (notebook 04b)
- speed.py: how fast it can learn (notebook 08)
- exercises.py: check("01.1", answer)
"""
